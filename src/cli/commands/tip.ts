import { openStore } from '../../stores/openStore.js';
import { defineCommand, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';

export const tip = defineCommand({
  name: 'tip',
  summary: 'print the newest sequence and hash',
  usage: `--store STORE`,
  description: `Prints {"sequence_number":N,"hash":"sha256:..."} for the newest event. An empty ledger
prints {"sequence_number":-1,"hash":"sha256:000...0"} (the genesis hash), so that the next
event is always tip + 1 and links to tip.hash.`,
  options: STORE_OPTIONS,
  json: true,
  exit: `Exit: 0 printed, 2 usage or I/O error.`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    // The store's own tip, as Ledger.getTip gives it, without loading the Ledger (the codecs,
    // uuid, verification): a start-time target of issue 21 (bench --only cli).
    const opened = await openStore(store, { readOnly: true, ...storeConfig(values) });
    try {
      const t = await opened.tip();
      io.stdout.write(`${JSON.stringify({ sequence_number: t.sequence_number, hash: t.hash })}\n`);
      return EXIT.ok;
    } finally {
      await opened.close();
    }
  },
});
