// Node preload (`node -r`) for Microsoft 365 Agents Playground in tests: it listens on all
// interfaces and probes 169.254.169.254 at start even with telemetry off. This pins every
// listen() to 127.0.0.1 and refuses connections to anything but loopback.
const net = require('node:net');

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function pinnedListen(...args) {
  const [first] = args;
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    if (first.path !== undefined) return listen.apply(this, args);
    return listen.call(
      this,
      { ...first, host: '127.0.0.1' },
      ...args.slice(1).filter((a) => typeof a === 'function'),
    );
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const callback = args.find((a) => typeof a === 'function');
    return callback
      ? listen.call(this, Number(first), '127.0.0.1', callback)
      : listen.call(this, Number(first), '127.0.0.1');
  }
  return listen.apply(this, args);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function loopbackOnlyConnect(...args) {
  const [first] = args;
  const options = Array.isArray(first)
    ? first[0]
    : typeof first === 'object' && first !== null
      ? first
      : undefined;
  if (options?.path !== undefined) return connect.apply(this, args);
  const host = options ? (options.host ?? 'localhost') : typeof args[1] === 'string' ? args[1] : 'localhost';
  if (!LOOPBACK.has(host)) {
    const err = new Error(`loopback preload: refused connection to ${host}`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};
