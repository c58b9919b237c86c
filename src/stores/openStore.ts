// Turns a `--store` address into a store: a directory path (the embedded default) or
// `immudb://HOST:PORT/DB` (credentials from the environment or the config file, never the URL).
import { LedgerFileError, LedgerValidationError } from '../errors/errors.js';
import { readSideFileSync } from './sideFile.js';
import type { LedgerStore } from '../ledger/ledgerStore.js';
import { DirectoryStore } from './directoryStore.js';
import { isImmudbAddress } from './immudb/immudbConfig.js';

/** How {@link openStore} opens a store. */
export interface OpenStoreOptions {
  /** Open without taking the writer lock (directory) / for reads only. */
  readonly readOnly?: boolean;
  /** JSON config file with an "immudb" section (credentials); default $FMWK_LEDGER_CONFIG. */
  readonly configFile?: string;
}

/**
 * Opens the store at `address`: a directory (the embedded {@link DirectoryStore}) or
 * `immudb://HOST:PORT/DB` (the immudb adapter, loaded on demand; credentials from the
 * environment or the config file, never the URL).
 *
 * @example
 * const ledger = await Ledger.open(await openStore('./data'));
 * const reader = await openStore('immudb://127.0.0.1:3322/ledger', { readOnly: true });
 */
export async function openStore(address: string, options: OpenStoreOptions = {}): Promise<LedgerStore> {
  if (address.length === 0) throw new LedgerValidationError('store', 'expected a directory or immudb://HOST:PORT/DB', address);
  // immudb has no writer lock to skip: readOnly changes nothing there.
  if (isImmudbAddress(address)) {
    // Loaded on demand: only users of immudb pay for gRPC (the core entry point never imports it).
    const { ImmudbStore } = await import('./immudb/immudbStore.js');
    return ImmudbStore.openAddress(address, options.configFile === undefined ? {} : { configFile: options.configFile });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    throw new LedgerValidationError('store', `unsupported store address (expected a directory or immudb://HOST:PORT/DB)`, address);
  }
  // A directory store takes nothing from the config file, but a file passed is never ignored
  // unread: it must be one the immudb adapter would accept (a regular file, JSON).
  if (options.configFile !== undefined) checkConfigFile(options.configFile);
  return DirectoryStore.open(address, { readOnly: options.readOnly ?? false });
}

function checkConfigFile(path: string): void {
  const { text } = readSideFileSync('config file', path, 'config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined; // the parser's message could quote a password
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new LedgerFileError('config file', path, 'is not a JSON object');
}
