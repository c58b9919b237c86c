import { bootstrapImmudb } from '../../stores/immudb/bootstrapImmudb.js';
import { isImmudbAddress, resolveImmudbConfig } from '../../stores/immudb/immudbConfig.js';
import { defineCommand, requireOption, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';

export const bootstrap = defineCommand({
  name: 'bootstrap',
  summary: 'create the immudb database of a store, or a replica of one (idempotent; run once per deployment)',
  usage: `--store immudb://HOST:PORT/DB [--sync-acks N] [--config FILE]
  --store immudb://R:PORT/DB --replica-of immudb://P:PORT/DB [--sync] [--config FILE]`,
  description: `Creates database DB on the immudb server with CreateDatabaseV2, then checks that the
configured user can open it. Running it again changes nothing. Opening a ledger never creates
its database: stores fail fast with LedgerConnectionError until bootstrap has run. Directory
stores need no bootstrap.

--replica-of creates DB as a read-only replica that follows the primary database (immudb
replication); it logs in to the primary with the configured user and password, which immudb
keeps in the replica's settings. --sync makes it a synchronous replica: the primary then
commits a transaction only once it holds it. A synchronous replica needs a primary created or
updated with --sync-acks N (N synchronous replicas must confirm each transaction; appends
block until they do). The replica cannot be an existing database: bootstrap it fresh.

Credentials come from IMMUDB_USER / IMMUDB_PASSWORD or the "immudb" section of the JSON
config file (--config, or $FMWK_LEDGER_CONFIG); immudb/immudb is the local-development
default. The address never carries credentials.

Prints {"store":"immudb://HOST:PORT/DB","created":true|false} (and "replica_of", "sync").`,
  options: {
    store: { value: 'STORE', description: 'immudb://HOST:PORT/DB' },
    'replica-of': { value: 'PRIMARY', description: 'immudb://HOST:PORT/DB of the primary this database replicates' },
    sync: { description: 'with --replica-of: a synchronous replica' },
    'sync-acks': { value: 'N', integer: true, description: 'on a primary: synchronous replicas that must hold each transaction' },
    config: { value: 'FILE', description: 'JSON config file with an "immudb" section' },
  },
  json: true,
  exit: `Exit: 0 database exists, 2 usage error or server unreachable / refused.`,

  async execute({ values, flags, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!isImmudbAddress(store)) throw new UsageError(`--store must be immudb://HOST:PORT/DB (directory stores need no bootstrap), got ${JSON.stringify(store)}`);
    const primary = values['replica-of'];
    if (primary !== undefined && !isImmudbAddress(primary)) throw new UsageError(`--replica-of must be immudb://HOST:PORT/DB, got ${JSON.stringify(primary)}`);
    const sync = flags.sync === true;
    if (sync && primary === undefined) throw new UsageError('--sync needs --replica-of (on a primary use --sync-acks N)');
    const syncAcks = values['sync-acks'] === undefined ? undefined : Number(values['sync-acks']);
    if (syncAcks !== undefined && primary !== undefined) throw new UsageError('--sync-acks is set on the primary, not with --replica-of');
    const config = resolveImmudbConfig({ address: store, ...storeConfig(values) });
    const replicaOf = primary === undefined ? undefined : resolveImmudbConfig({ address: primary, ...storeConfig(values) });
    const result = await bootstrapImmudb(config, {
      ...(replicaOf === undefined ? {} : { replicaOf, sync }),
      ...(syncAcks === undefined ? {} : { syncAcks }),
    });
    const replica = primary === undefined ? {} : { replica_of: primary, sync };
    io.stdout.write(`${JSON.stringify({ store: result.address, created: result.created, ...replica })}\n`);
    return EXIT.ok;
  },
});
