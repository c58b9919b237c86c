// Mocha global fixtures (loaded through .mocharc.json "require"): one throwaway immudb server for
// the whole run, stopped at the end whether tests pass or fail. A missing binary fails the run.

import { startSharedImmudb, stopSharedImmudb } from './sharedImmudb.js';

export async function mochaGlobalSetup(): Promise<void> {
  const server = await startSharedImmudb();
  process.stderr.write(`immudb test server: ${server.binary} on ${server.host}:${server.port} (data ${server.dataDir})\n`);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopSharedImmudb();
}
