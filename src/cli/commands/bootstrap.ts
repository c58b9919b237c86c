import { bootstrapImmudb } from '../../stores/immudb/bootstrapImmudb.js';
import { isImmudbAddress, resolveImmudbConfig } from '../../stores/immudb/immudbConfig.js';
import { defineCommand, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';

export const bootstrap = defineCommand({
  name: 'bootstrap',
  summary: 'create the immudb database of a store (idempotent; run once per deployment)',
  usage: `--store immudb://HOST:PORT/DB [--config FILE]`,
  description: `Creates database DB on the immudb server with CreateDatabaseV2, the only administrative
call fmwk-ledger makes, then checks that the configured user can open it. Running it
again changes nothing. Opening a ledger never creates its database: stores fail fast with
LedgerConnectionError until bootstrap has run. Directory stores need no bootstrap.

Credentials come from IMMUDB_USER / IMMUDB_PASSWORD or the "immudb" section of the JSON
config file (--config, or $FMWK_LEDGER_CONFIG); immudb/immudb is the local-development
default. The address never carries credentials.

Prints {"store":"immudb://HOST:PORT/DB","created":true|false}.`,
  options: {
    store: { value: 'STORE', description: 'immudb://HOST:PORT/DB' },
    config: { value: 'FILE', description: 'JSON config file with an "immudb" section' },
  },
  json: true,
  exit: `Exit: 0 database exists, 2 usage error or server unreachable / refused.`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!isImmudbAddress(store)) throw new UsageError(`--store must be immudb://HOST:PORT/DB (directory stores need no bootstrap), got ${JSON.stringify(store)}`);
    const config = resolveImmudbConfig({ address: store, ...storeConfig(values) });
    const result = await bootstrapImmudb(config);
    io.stdout.write(`${JSON.stringify({ store: result.address, created: result.created })}\n`);
    return EXIT.ok;
  },
});
