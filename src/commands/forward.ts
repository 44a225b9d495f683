import type { CommandIo } from '../cli.js';
import { NotAvailableError } from '../errors.js';

/** `kv-warden forward`: not built yet in this version. */
export async function run(_args: string[], _io: CommandIo): Promise<number> {
  throw new NotAvailableError('kv-warden forward', 'this command is not implemented in this version yet');
}
