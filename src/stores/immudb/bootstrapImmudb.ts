// Provisioning, kept apart from connecting: `fmwk-ledger bootstrap --store immudb://...` creates
// the database once, so that stores opening concurrently never race on CreateDatabaseV2.
// The administrative calls the project makes are CreateDatabaseV2 (here) and UpdateDatabaseV2
// with replication settings only (here and in promoteImmudb.ts); neither deletes anything.

import { LedgerConnectionError } from '../../errors/errors.js';
import { connectImmudbSession } from './connectImmudbSession.js';
import { formatImmudbAddress, type ImmudbConfig } from './immudbConfig.js';
import { ImmudbRpcError, type ReplicationSettingsMsg } from './immudbRpc.js';

/** Every immudb server has this database; the session that creates ours is opened on it. */
export const SYSTEM_DATABASE = 'defaultdb';

/** What {@link bootstrapImmudb} did. */
export interface ImmudbBootstrapResult {
  /** The database's `immudb://HOST:PORT/DB` address. */
  readonly address: string;
  /** False when the database already existed (bootstrap is idempotent). */
  readonly created: boolean;
}

/** How {@link bootstrapImmudb} sets up the database beside creating it. */
export interface ImmudbBootstrapOptions {
  /**
   * Make the database a read-only replica of this primary. The replica logs in to the primary
   * with `primary.user`/`primary.password` (configuration, as for any store); immudb keeps them
   * in the replica's database settings.
   */
  readonly replicaOf?: ImmudbConfig;
  /** With `replicaOf`: a synchronous replica (the primary must wait for it: `syncAcks`). */
  readonly sync?: boolean;
  /**
   * On a primary: commit a transaction only once this many synchronous replicas hold it
   * (syncReplication=true, syncAcks=N). Applied to an existing database too. Until that many
   * synchronous replicas follow, appends block (then time out as connection errors).
   */
  readonly syncAcks?: number;
}

/**
 * Creates the ledger's immudb database if it does not exist (idempotent); opening a ledger
 * never creates it. With `replicaOf`, the database is created as a replica of that primary.
 *
 * @example
 * const { created } = await bootstrapImmudb(resolveImmudbConfig({ address: 'immudb://127.0.0.1:3322/ledger' }));
 */
export async function bootstrapImmudb(config: ImmudbConfig, options: ImmudbBootstrapOptions = {}): Promise<ImmudbBootstrapResult> {
  const address = formatImmudbAddress(config);
  const replication = replicationSettings(config, options);
  const admin = await connectImmudbSession(config, SYSTEM_DATABASE);
  let created: boolean;
  try {
    const response = await admin.createDatabaseV2({
      name: config.database,
      ifNotExists: true,
      ...(replication === undefined ? {} : { settings: { replicationSettings: replication } }),
    });
    created = !response.alreadyExisted;
    // An existing primary gets its sync settings too; an existing database is never turned into
    // a replica here (its own history would conflict with the primary's).
    if (!created && options.syncAcks !== undefined) {
      await admin.updateDatabaseV2({ database: config.database, settings: { replicationSettings: primarySyncSettings(options.syncAcks) } });
    }
  } catch (e) {
    if (e instanceof ImmudbRpcError) {
      throw new LedgerConnectionError(`${address}: cannot create database "${config.database}" (${e.message})`, { cause: e });
    }
    throw e;
  } finally {
    await admin.close();
  }
  // Prove the database is usable by the configured user, as the store will use it.
  const check = await connectImmudbSession(config, config.database);
  try {
    // An existing database is left as it is: say so if it is not the replica that was asked for
    // (taking it for one, writers could fork the ledger on it).
    if (!created && options.replicaOf !== undefined) {
      const have = (await check.getDatabaseSettingsV2()).settings?.replicationSettings;
      const want = options.replicaOf;
      const follows = have?.replica?.value === true && have.primaryHost?.value === want.host && have.primaryPort?.value === want.port && have.primaryDatabase?.value === want.database;
      if (!follows) {
        throw new LedgerConnectionError(`${address}: the database exists and is not a replica of ${formatImmudbAddress(want)}; bootstrap a new database as the replica`);
      }
    }
  } catch (e) {
    if (e instanceof ImmudbRpcError) throw new LedgerConnectionError(`${address}: cannot read the database's settings (${e.message})`, { cause: e });
    throw e;
  } finally {
    await check.close();
  }
  return { address, created };
}

function replicationSettings(config: ImmudbConfig, options: ImmudbBootstrapOptions): ReplicationSettingsMsg | undefined {
  const { replicaOf, sync = false, syncAcks } = options;
  if (replicaOf === undefined) {
    if (sync) throw new LedgerConnectionError(`${formatImmudbAddress(config)}: sync applies to a replica (replicaOf); on a primary set syncAcks`);
    return syncAcks === undefined ? undefined : primarySyncSettings(syncAcks);
  }
  if (syncAcks !== undefined) throw new LedgerConnectionError(`${formatImmudbAddress(config)}: syncAcks is a primary's setting, not a replica's`);
  if (replicaOf.host === config.host && replicaOf.port === config.port && replicaOf.database === config.database) {
    throw new LedgerConnectionError(`${formatImmudbAddress(config)}: a database cannot be a replica of itself`);
  }
  return {
    replica: { value: true },
    primaryHost: { value: replicaOf.host },
    primaryPort: { value: replicaOf.port },
    primaryDatabase: { value: replicaOf.database },
    primaryUsername: { value: replicaOf.user },
    primaryPassword: { value: replicaOf.password.reveal() },
    syncReplication: { value: sync },
  };
}

function primarySyncSettings(syncAcks: number): ReplicationSettingsMsg {
  if (!Number.isSafeInteger(syncAcks) || syncAcks < 0 || syncAcks > 255) {
    throw new LedgerConnectionError(`syncAcks: ${syncAcks} is not a replica count (0-255)`);
  }
  return { replica: { value: false }, syncReplication: { value: syncAcks > 0 }, syncAcks: { value: syncAcks } };
}
