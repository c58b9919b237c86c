// Failover: turning a replica database into a primary (UpdateDatabaseV2, replication settings
// only). immudb then stops following the old primary and takes writes; with synchronous
// replication every transaction the old primary acknowledged is already on the replica.

import { LedgerConnectionError } from '../../errors/errors.js';
import { SYSTEM_DATABASE } from './bootstrapImmudb.js';
import { connectImmudbSession } from './connectImmudbSession.js';
import { formatImmudbAddress, type ImmudbConfig } from './immudbConfig.js';
import { ImmudbRpcError } from './immudbRpc.js';

/** What {@link promoteImmudb} did. */
export interface ImmudbPromoteResult {
  /** The promoted database's `immudb://HOST:PORT/DB` address. */
  readonly address: string;
}

/**
 * Makes the replica at `config` a primary (asynchronous: it waits for no replica). Only do this
 * once the old primary is stopped for good: two primaries would fork the ledger.
 *
 * @example
 * await promoteImmudb(resolveImmudbConfig({ address: 'immudb://10.0.0.2:3322/ledger' }));
 */
export async function promoteImmudb(config: ImmudbConfig): Promise<ImmudbPromoteResult> {
  const address = formatImmudbAddress(config);
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
    const replication = response.settings?.replicationSettings;
    if (replication?.replica?.value === true) throw new LedgerConnectionError(`${address}: immudb still reports the database as a replica after promotion`);
    return { address };
  } catch (e) {
    if (e instanceof ImmudbRpcError) {
      throw new LedgerConnectionError(`${address}: cannot promote database "${config.database}" (${e.message})`, { cause: e });
    }
    throw e;
  } finally {
    await admin.close();
  }
}
