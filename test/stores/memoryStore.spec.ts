import { MemoryStore } from '../../src/index.js';
import { ledgerStoreContract } from './ledgerStoreContract.js';

ledgerStoreContract('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }), { persistent: false });
