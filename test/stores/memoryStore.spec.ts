import { MemoryStore } from '../../src/index.js';
import { ledgerStoreConformance } from '../../src/testing.js';

ledgerStoreConformance('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }), { persistent: false });
