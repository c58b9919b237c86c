// Fresh ImmudbStores on the shared test server: each call gets its own key prefix in one
// bootstrapped database, so cases are independent without creating a database per case.

import { randomUUID } from 'node:crypto';
import { bootstrapImmudb } from '../../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig, type ImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore, type ImmudbStoreOptions } from '../../src/stores/immudb/immudbStore.js';
import type { ImmudbTestServer } from './immudbServer.js';
import { sharedImmudb } from './sharedImmudb.js';

export const TEST_DATABASE = 'fmwk_ledger_test';

const bootstrapped = new Set<string>();

/** Config for `database` on `server` with a key prefix of its own. */
export async function freshImmudbConfig(server: ImmudbTestServer = sharedImmudb(), database = TEST_DATABASE): Promise<ImmudbConfig> {
  const config = resolveImmudbConfig({
    env: server.env(database),
    overrides: { keyPrefix: `test/${randomUUID()}/` },
  });
  const key = `${server.port}/${server.dataDir}/${database}`;
  if (!bootstrapped.has(key)) {
    await bootstrapImmudb(config);
    bootstrapped.add(key);
  }
  return config;
}

export async function freshImmudbStore(options: ImmudbStoreOptions = {}): Promise<{ store: ImmudbStore; config: ImmudbConfig }> {
  const config = await freshImmudbConfig();
  return { store: await ImmudbStore.open(config, options), config };
}
