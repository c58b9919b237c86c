// immudb-node 1.1.1 as a *raw* client: for tests that write behind the ledger's back and for
// the benchmark baseline. The library itself never loads immudb-node (docs/immudb.md says why).
//
// Constructing its client installs process-wide 'exit', 'SIGINT' and 'uncaughtException'
// handlers (they write a state file); a SIGINT or uncaughtException listener changes how the
// whole process dies. We remove exactly the listeners it added and point its state file into a
// temp dir.

import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as immudbNode from 'immudb-node';

const require = createRequire(import.meta.url);

type ImmudbClientClass = typeof immudbNode.default.default;
type ImmudbClient = InstanceType<ImmudbClientClass>;
type Listener = (...args: unknown[]) => void;
const listenersOf = (event: string): Listener[] => process.listeners(event as 'exit') as Listener[];

const HOOKED_EVENTS = ['exit', 'SIGINT', 'uncaughtException'] as const;

export type RawImmudbNodeClient = ImmudbClient;

export interface RawClientParams {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** A logged-in immudb-node client using `database` (Login + UseDatabase, the SDK's own calls). */
export async function openRawImmudbNodeClient(params: RawClientParams): Promise<RawImmudbNodeClient> {
  const Client = (require('immudb-node') as { default: ImmudbClientClass }).default;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  const client = new Client({
    host: params.host,
    port: params.port,
    rootPath: join(mkdtempSync(join(tmpdir(), 'immudb-node-state-')), 'root'),
  });
  for (const event of HOOKED_EVENTS) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  await client.login({ user: params.user, password: params.password });
  await client.useDatabase({ databasename: params.database });
  return client;
}

/** Closes the channel. (The SDK's own shutdown() calls process.exit.) */
export function closeRawImmudbNodeClient(client: RawImmudbNodeClient): void {
  client.client.close();
}
