import { isLedgerError } from '../../errors/errors.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { canonicalJsonOfStored } from '../../contract/canonicalJson.js';

export const follow = defineCommand({
  name: 'follow',
  summary: 'print events as JSON lines as they are appended, until interrupted',
  usage: `--store STORE [--from SEQ] [--poll MS]`,
  description: `Prints every event from SEQ (default 0) as its canonical JSON line, then keeps printing the
events other processes append, as they become durable, until interrupted (Ctrl-C, SIGTERM).
Each event's hash and its link to the one before are checked first: a broken chain stops the
command with exit 1, naming the sequence. The store is opened read-only; a directory store is
watched for changes, with polling every MS milliseconds as the fallback (default 200). Its
ledger.jsonl is only ever appended to: whole lines cut from it stop the command with exit 1,
and another file renamed over it (or its removal) with exit 2, naming what changed.`,
  options: {
    ...STORE_OPTIONS,
    from: { value: 'SEQ', integer: true, description: 'first sequence to print (default 0)' },
    poll: { value: 'MS', integer: true, description: 'how often to look for appends by other processes (default 200)' },
  },
  exit: `Exit: 0 interrupted, 1 broken chain or lines cut away, 2 usage or I/O error (the ledger file replaced or removed).`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const from = values.from === undefined ? 0 : parseSequence('--from', values.from);
    const pollInterval = values.poll === undefined ? 200 : parseSequence('--poll', values.poll);
    if (pollInterval < 1) throw new UsageError('--poll must be at least 1 (milliseconds)');
    let ledger: Ledger;
    try {
      ledger = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    } catch (e) {
      if (!isLedgerError(e, 'LEDGER_CORRUPTION')) throw e;
      io.stderr.write(`fmwk-ledger follow: ${e.name}: ${e.message}\n`);
      return EXIT.invalid;
    }
    try {
      return await new Promise<number>((resolve, reject) => {
        const stop = () => {
          subscription.unsubscribe();
          resolve(EXIT.ok);
        };
        const subscription = ledger.stream({ from, pollInterval }).subscribe({
          next: (e) => io.stdout.write(`${canonicalJsonOfStored(e)}\n`),
          error: (e: unknown) => {
            process.off('SIGINT', stop).off('SIGTERM', stop);
            if (isLedgerError(e, 'LEDGER_CORRUPTION')) {
              io.stderr.write(`fmwk-ledger follow: ${e.name}: ${e.message}\n`);
              resolve(EXIT.invalid);
            } else reject(e);
          },
        });
        process.once('SIGINT', stop).once('SIGTERM', stop);
      });
    } finally {
      await ledger.close();
    }
  },
});
