import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { parseCommandArgs, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';

export const tip: Command = {
  name: 'tip',
  summary: 'print the newest sequence and hash',
  help: `Usage: fmwk-ledger tip --store STORE

Prints {"sequence_number":N,"hash":"sha256:..."} for the newest event. An empty ledger
prints {"sequence_number":-1,"hash":"sha256:000...0"} (the genesis hash), so that the next
event is always tip + 1 and links to tip.hash.

Options:
  --store STORE   a directory or immudb://HOST:PORT/DB (opened read-only)
  --config FILE   JSON config file with an "immudb" section (credentials)
  -h, --help      this help

Exit: 0 printed, 2 usage or I/O error.`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, STORE_OPTIONS);
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const ledger = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    try {
      const t = await ledger.getTip();
      io.stdout.write(`${JSON.stringify({ sequence_number: t.sequence_number, hash: t.hash })}\n`);
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
};
