// The one immudb server a test run shares, started by the mocha global fixture
// (globalFixtures.ts). Tests that kill or restart a server start their own ImmudbTestServer.

import { ImmudbTestServer } from './immudbServer.js';

let shared: ImmudbTestServer | undefined;

export async function startSharedImmudb(): Promise<ImmudbTestServer> {
  if (shared === undefined) {
    const server = new ImmudbTestServer(); // throws if the binary is missing: a failure, not a skip
    await server.start();
    shared = server;
  }
  return shared;
}

/** The running shared server; fails loudly if the global fixture did not start it. */
export function sharedImmudb(): ImmudbTestServer {
  if (shared === undefined || !shared.running) {
    throw new Error('the shared immudb test server is not running (is dist/test/support/globalFixtures.js in .mocharc.json "require"?)');
  }
  return shared;
}

export async function stopSharedImmudb(): Promise<void> {
  const server = shared;
  shared = undefined;
  await server?.dispose();
}
