// Turns a `--store` address into a store: a directory path (the embedded default) or
// `immudb://HOST:PORT/DB` (credentials from the environment or the config file, never the URL).
import { LedgerValidationError } from '../errors.js';
import type { LedgerStore } from '../ledgerStore.js';
import { DirectoryStore } from './directoryStore.js';

export interface OpenStoreOptions {
  /** Open without taking the writer lock (directory) / for reads only. */
  readonly readOnly?: boolean;
}

export async function openStore(address: string, options: OpenStoreOptions = {}): Promise<LedgerStore> {
  if (address.length === 0) throw new LedgerValidationError('store', 'expected a directory or immudb://HOST:PORT/DB', address);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    throw new LedgerValidationError('store', `unsupported store address (expected a directory or immudb://HOST:PORT/DB)`, address);
  }
  return DirectoryStore.open(address, { readOnly: options.readOnly ?? false });
}
