// Several throwaway immudb servers for the replication tests: each on its own free loopback port
// with its own data dir (ImmudbTestServer), started one after the other, disposed together.

import { resolveImmudbConfig, type ImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbTestServer } from './immudbServer.js';

/** Starts `count` servers; if one fails to start, the ones already running are disposed. */
export async function startImmudbServers(count: number): Promise<ImmudbTestServer[]> {
  const servers: ImmudbTestServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = new ImmudbTestServer();
      servers.push(server);
      await server.start();
    }
    return servers;
  } catch (e) {
    await disposeImmudbServers(servers);
    throw e;
  }
}

export async function disposeImmudbServers(servers: readonly ImmudbTestServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.dispose().catch(() => undefined)));
}

/** Config for `database` on `server` (the test admin user), with a fixed key prefix. */
export function configOn(server: ImmudbTestServer, database: string, keyPrefix = 'event/'): ImmudbConfig {
  return resolveImmudbConfig({ env: server.env(database), overrides: { keyPrefix } });
}

/** `immudb://127.0.0.1:PORT/DB` of `database` on `server`. */
export const addressOn = (server: ImmudbTestServer, database: string): string => `immudb://${server.host}:${server.port}/${database}`;
