import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A minimal Slack Socket Mode endpoint: a WebSocket server (RFC 6455 handshake and text frames,
 * written here so no extra package is needed) that says `hello`, pushes envelopes, and records
 * the acknowledgements the client sends back by `envelope_id`.
 */
export interface FakeSocketMode {
  readonly url: string;
  readonly acks: Array<{ envelope_id: string; payload?: unknown }>;
  /** Resolves once a client has connected and received `hello`. */
  connected(): Promise<void>;
  send(envelope: Record<string, unknown>): void;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const acks: FakeSocketMode['acks'] = [];
  let socket: Duplex | undefined;
  let onConnect: () => void = () => {};
  const connectedPromise = new Promise<void>((r) => {
    onConnect = r;
  });
  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, sock: Duplex) => {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    sock.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket = sock;
    let buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let frame = readFrame(buffer); frame; frame = readFrame(buffer)) {
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 0x9) sock.write(encodeFrame(frame.payload, 0xa));
        else if (frame.opcode === 0x8) sock.end();
        else if (frame.opcode === 0x1) acks.push(JSON.parse(frame.payload.toString('utf8')));
      }
    });
    sock.on('error', () => {});
    sock.write(
      encodeFrame(
        Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' } })),
      ),
    );
    onConnect();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/link`,
    acks,
    connected: () => connectedPromise,
    send: (envelope) => socket?.write(encodeFrame(Buffer.from(JSON.stringify(envelope)))),
    close: async () => {
      socket?.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Server frames are never masked. */
function encodeFrame(payload: Buffer, opcode = 0x1): Buffer {
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

/** Client frames are always masked. Returns undefined until a whole frame is buffered. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = (buf[0] ?? 0) & 0x0f;
  let len = (buf[1] ?? 0) & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = ((buf[1] ?? 0) & 0x80) !== 0;
  const maskLen = masked ? 4 : 0;
  if (buf.length < offset + maskLen + len) return undefined;
  const mask = buf.subarray(offset, offset + maskLen);
  const payload = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { opcode, payload, length: offset + maskLen + len };
}
