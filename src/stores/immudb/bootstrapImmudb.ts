// Provisioning, kept apart from connecting: `fmwk-ledger bootstrap --store immudb://...` creates
// the database once, so that stores opening concurrently never race on CreateDatabaseV2.
// CreateDatabaseV2 is the only administrative call the project makes.

import { LedgerConnectionError } from '../../errors/errors.js';
import { connectImmudbSession } from './connectImmudbSession.js';
import { formatImmudbAddress, type ImmudbConfig } from './immudbConfig.js';
import { ImmudbRpcError } from './immudbRpc.js';

/** Every immudb server has this database; the session that creates ours is opened on it. */
const SYSTEM_DATABASE = 'defaultdb';

/** What {@link bootstrapImmudb} did. */
export interface ImmudbBootstrapResult {
  /** The database's `immudb://HOST:PORT/DB` address. */
  readonly address: string;
  /** False when the database already existed (bootstrap is idempotent). */
  readonly created: boolean;
}

/**
 * Creates the ledger's immudb database if it does not exist (idempotent); opening a ledger
 * never creates it.
 *
 * @example
 * const { created } = await bootstrapImmudb(resolveImmudbConfig({ address: 'immudb://127.0.0.1:3322/ledger' }));
 */
export async function bootstrapImmudb(config: ImmudbConfig): Promise<ImmudbBootstrapResult> {
  const admin = await connectImmudbSession(config, SYSTEM_DATABASE);
  let created: boolean;
  try {
    const response = await admin.createDatabaseV2({ name: config.database, ifNotExists: true });
    created = !response.alreadyExisted;
  } catch (e) {
    if (e instanceof ImmudbRpcError) {
      throw new LedgerConnectionError(`${formatImmudbAddress(config)}: cannot create database "${config.database}" (${e.message})`, { cause: e });
    }
    throw e;
  } finally {
    await admin.close();
  }
  // Prove the database is usable by the configured user, as the store will use it.
  const check = await connectImmudbSession(config, config.database);
  await check.close();
  return { address: formatImmudbAddress(config), created };
}
