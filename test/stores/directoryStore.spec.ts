import { join } from 'node:path';
import { DirectoryStore } from '../../src/index.js';
import { ledgerStoreConformance } from '../../src/testing.js';
import { tempDir } from '../support/tempDir.js';

ledgerStoreConformance('DirectoryStore', async () => {
  const { dir, remove } = tempDir();
  const path = join(dir, 'ledger');
  return { store: await DirectoryStore.open(path), reopen: () => DirectoryStore.open(path), cleanup: async () => remove() };
});
