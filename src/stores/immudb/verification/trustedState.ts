// The client's trusted state: the last immudb transaction whose header this client has proven
// (its id and Alh). Every later answer must prove consistency with it, so a server cannot rewrite
// what the client already saw. Kept in a file the caller names (mode 0600, written atomically:
// temporary file, fsync, rename), one entry per server database.

import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { LedgerValidationError } from '../../../errors/errors.js';
import { readSideFileSync } from '../../sideFile.js';

export interface TrustedState {
  readonly txId: number;
  /** The Alh of tx `txId`, 32 bytes. */
  readonly txHash: Buffer;
}

interface StateFileShape { [database: string]: { txId: number; txHash: string } }

const readStates = (path: string): StateFileShape => {
  // Derived data beside the store: a regular file within a size limit, or none yet.
  const file = readSideFileSync('trustedStateFile', path, 'state', true);
  if (file === undefined) return {};
  const text = file.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LedgerValidationError('trustedStateFile', 'the trusted state file is not JSON', path);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LedgerValidationError('trustedStateFile', 'the trusted state file is not a JSON object', path);
  }
  return parsed as StateFileShape;
};

/** The trusted state of `database` in `path`, or undefined if the client has none yet. */
export function loadTrustedState(path: string, database: string): TrustedState | undefined {
  const entry = readStates(path)[database];
  if (entry === undefined) return undefined;
  const hash = typeof entry.txHash === 'string' && /^[0-9a-f]{64}$/.test(entry.txHash) ? Buffer.from(entry.txHash, 'hex') : undefined;
  if (!Number.isSafeInteger(entry.txId) || entry.txId < 0 || hash === undefined) {
    throw new LedgerValidationError('trustedStateFile', `the entry for database ${JSON.stringify(database)} is not {txId, txHash (64 hex)}`, path);
  }
  return { txId: entry.txId, txHash: hash };
}

/** Records `state` for `database`; other databases' entries are kept. */
export function saveTrustedState(path: string, database: string, state: TrustedState): void {
  const states = readStates(path);
  states[database] = { txId: state.txId, txHash: state.txHash.toString('hex') };
  const tmp = `${path}.${randomUUID()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(states, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600); // a umask cannot widen it, but be explicit
  renameSync(tmp, path);
}
