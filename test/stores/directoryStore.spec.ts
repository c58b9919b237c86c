import { join } from 'node:path';
import { DirectoryStore } from '../../src/index.js';
import { tempDir } from '../support/tempDir.js';
import { ledgerStoreContract } from './ledgerStoreContract.js';

ledgerStoreContract('DirectoryStore', async () => {
  const { dir, remove } = tempDir();
  const path = join(dir, 'ledger');
  return { store: await DirectoryStore.open(path), reopen: () => DirectoryStore.open(path), cleanup: async () => remove() };
});
