import { promoteImmudb } from '../../stores/immudb/promoteImmudb.js';
import { isImmudbAddress, resolveImmudbConfig } from '../../stores/immudb/immudbConfig.js';
import { defineCommand, requireOption, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';

export const promote = defineCommand({
  name: 'promote',
  summary: 'failover: make an immudb replica database the primary (takes appends from then on)',
  usage: `--store immudb://R:PORT/DB [--allow-async] [--primary-alive] [--config FILE]`,
  description: `Turns the replica database DB into a primary (UpdateDatabaseV2 with replica=false; an
asynchronous primary that waits for no replica). Procedure (docs/immudb.md "Failover"):
make sure the old primary is stopped for good (two primaries fork the ledger), promote a
SYNCHRONOUS replica (it holds every transaction the old primary acknowledged; an asynchronous
one may miss the last ones), point writers at it, then verify.

Refused (exit 2, LEDGER_FAILOVER, nothing changed) when DB is not a replica, when it is an
asynchronous replica (--allow-async overrides), or when the old primary's port still accepts
connections (--primary-alive overrides: only when it is fenced off otherwise).

Credentials as for bootstrap: the configured user must be an immudb admin of DB.

Waits until the events the replica held precommitted are committed (its tip stays put), then
prints {"store":"immudb://HOST:PORT/DB","promoted":true,"former_primary":"immudb://…",
"was_sync":true,"tip":N}.`,
  options: {
    store: { value: 'STORE', description: 'immudb://HOST:PORT/DB of the replica' },
    'allow-async': { description: 'promote an asynchronous replica (may lack acknowledged events)' },
    'primary-alive': { description: 'promote although the old primary still accepts connections (fork risk)' },
    config: { value: 'FILE', description: 'JSON config file with an "immudb" section' },
  },
  json: true,
  exit: `Exit: 0 promoted, 2 usage error or server unreachable / refused.`,

  async execute({ values, flags, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!isImmudbAddress(store)) throw new UsageError(`--store must be immudb://HOST:PORT/DB, got ${JSON.stringify(store)}`);
    const result = await promoteImmudb(resolveImmudbConfig({ address: store, ...storeConfig(values) }), {
      allowAsync: flags['allow-async'] === true,
      primaryAlive: flags['primary-alive'] === true,
    });
    io.stdout.write(`${JSON.stringify({ store: result.address, promoted: true, former_primary: result.formerPrimary, was_sync: result.wasSync, tip: result.tip })}\n`);
    return EXIT.ok;
  },
});
