import { canonicalJson } from '../../contract/canonicalJson.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { parseCommandArgs, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';

export const read: Command = {
  name: 'read',
  summary: 'print one event as its canonical JSON line',
  help: `Usage: fmwk-ledger read --store STORE SEQ

Prints the event at sequence SEQ as one canonical JSON line (the stored bytes).

Options:
  --store STORE   a directory or immudb://HOST:PORT/DB (opened read-only)
  --config FILE   JSON config file with an "immudb" section (credentials)
  -h, --help      this help

Exit: 0 printed, 2 usage error, no such sequence, or I/O error.`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, STORE_OPTIONS);
    const store = requireOption(values, 'store');
    if (positionals.length !== 1) throw new UsageError('expected exactly one SEQ');
    const sequence = parseSequence('SEQ', positionals[0]);
    const ledger = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    try {
      io.stdout.write(`${canonicalJson(await ledger.read(sequence))}\n`);
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
};
