// Failover: turning a replica database into a primary (UpdateDatabaseV2, replication settings
// only). immudb then stops following the old primary and takes writes; with synchronous
// replication every transaction the old primary acknowledged is already on the replica.
// Before changing anything it checks the three mistakes that lose or fork events.

import { connect } from 'node:net';
import { LedgerConnectionError, LedgerFailoverError } from '../../errors/errors.js';
import { SYSTEM_DATABASE } from './bootstrapImmudb.js';
import { connectImmudbSession } from './connectImmudbSession.js';
import { formatImmudbAddress, type ImmudbConfig } from './immudbConfig.js';
import { ImmudbRpcError, type ReplicationSettingsMsg } from './immudbRpc.js';
import { ImmudbStore } from './immudbStore.js';

/** What {@link promoteImmudb} did. */
export interface ImmudbPromoteResult {
  /** The promoted database's `immudb://HOST:PORT/DB` address. */
  readonly address: string;
  /** The primary it followed, `immudb://HOST:PORT/DB`, as its replication settings named it. */
  readonly formerPrimary: string;
  /** Whether it was a synchronous replica. */
  readonly wasSync: boolean;
  /** The ledger's last sequence on the promoted database once it settled (-1: empty). */
  readonly tip: number;
}

/** Overrides of {@link promoteImmudb}'s checks; each one risks what its check protects. */
export interface ImmudbPromoteOptions {
  /** Promote an asynchronous replica (it may lack the old primary's last acknowledged events). */
  readonly allowAsync?: boolean;
  /** Promote although the old primary's port still accepts connections (fork risk). */
  readonly primaryAlive?: boolean;
  /** How long the old primary's port is tried (default 2000 ms). */
  readonly probeTimeoutMs?: number;
}

/**
 * Makes the replica at `config` a primary (asynchronous: it waits for no replica). Refused with
 * LedgerFailoverError, changing nothing, when the database is not a replica, is an asynchronous
 * one, or its old primary still accepts connections (the options override the last two).
 *
 * @example
 * await promoteImmudb(resolveImmudbConfig({ address: 'immudb://10.0.0.2:3322/ledger' }));
 */
export async function promoteImmudb(config: ImmudbConfig, options: ImmudbPromoteOptions = {}): Promise<ImmudbPromoteResult> {
  const address = formatImmudbAddress(config);
  const settings = await replicationOf(config);
  if (settings?.replica?.value !== true) {
    throw new LedgerFailoverError(address, 'not-replica', `${address}: not a replica database; promote only replaces a primary that is gone`);
  }
  const formerPrimary = formatImmudbAddress({
    host: settings.primaryHost?.value ?? '',
    port: settings.primaryPort?.value ?? 0,
    database: settings.primaryDatabase?.value ?? '',
  });
  const wasSync = settings.syncReplication?.value === true;
  if (!wasSync && options.allowAsync !== true) {
    throw new LedgerFailoverError(address, 'async-replica', `${address}: an asynchronous replica of ${formerPrimary} may lack events the primary acknowledged; promote a synchronous one (or allow async)`);
  }
  if (options.primaryAlive !== true && (await accepts(settings.primaryHost?.value ?? '', settings.primaryPort?.value ?? 0, options.probeTimeoutMs ?? 2_000))) {
    throw new LedgerFailoverError(address, 'primary-reachable', `${address}: the primary ${formerPrimary} still accepts connections; stop it first (two primaries fork the ledger)`);
  }
  const admin = await connectImmudbSession(config, SYSTEM_DATABASE);
  try {
    const response = await admin.updateDatabaseV2({
      database: config.database,
      settings: {
        // Every replica-only setting is cleared explicitly: immudb refuses a primary that keeps one.
        replicationSettings: {
          replica: { value: false },
          syncReplication: { value: false },
          syncAcks: { value: 0 },
          allowTxDiscarding: { value: false },
          skipIntegrityCheck: { value: false },
          waitForIndexing: { value: false },
        },
      },
    });
    if (response.settings?.replicationSettings?.replica?.value === true) {
      throw new LedgerConnectionError(`${address}: immudb still reports the database as a replica after promotion`);
    }
    return { address, formerPrimary, wasSync, tip: await settledTip(config) };
  } catch (e) {
    if (e instanceof ImmudbRpcError) throw new LedgerConnectionError(`${address}: cannot promote database "${config.database}" (${e.message})`, { cause: e });
    throw e;
  } finally {
    await admin.close();
  }
}

const SETTLE_POLL_MS = 100;
const SETTLE_STABLE_READS = 5;
const SETTLE_LIMIT_MS = 10_000;

/**
 * A synchronous replica holds the primary's last transactions precommitted; promotion lets
 * immudb commit them, shortly after. Waiting until the tip stays put means writers that open
 * the ledger next see every acknowledged event and append after them.
 */
async function settledTip(config: ImmudbConfig): Promise<number> {
  const store = await ImmudbStore.open(config);
  try {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    let tip = (await store.tip()).sequence_number;
    for (let stable = 0; stable < SETTLE_STABLE_READS && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
      const now = (await store.tip()).sequence_number;
      stable = now === tip ? stable + 1 : 0;
      tip = now;
    }
    return tip;
  } finally {
    await store.close();
  }
}

async function replicationOf(config: ImmudbConfig): Promise<ReplicationSettingsMsg | undefined> {
  const session = await connectImmudbSession(config, config.database);
  try {
    return (await session.getDatabaseSettingsV2()).settings?.replicationSettings ?? undefined;
  } catch (e) {
    if (e instanceof ImmudbRpcError) throw new LedgerConnectionError(`${formatImmudbAddress(config)}: cannot read the database's settings (${e.message})`, { cause: e });
    throw e;
  } finally {
    await session.close();
  }
}

/** True when a TCP connection to host:port opens within the timeout. */
function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  if (host === '' || port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
