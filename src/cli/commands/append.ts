import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Ledger } from '../../ledger/ledger.js';
import { isLedgerError } from '../../errors/errors.js';
import { openStore } from '../../stores/openStore.js';
import { parseCommandArgs, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';

export const append: Command = {
  name: 'append',
  summary: 'append events from JSON lines, printing each as it becomes durable',
  help: `Usage: fmwk-ledger append --store STORE [FILE|-]

Reads append inputs, one JSON object per line, from FILE or standard input:
  {"event_type":"session_start","schema_version":"1.0.0",
   "provenance":{"framework_id":"FMWK-001","pack_id":"PC-001-core","actor":"system"},
   "payload":{"session_id":"s-1"}}
The ledger assigns event_id, sequence, timestamp, previous_hash and hash; passing any
of them is an error. Blank lines are skipped.

For each event, once it is durable, prints one line:
  {"sequence":N,"hash":"sha256:..."}
On the first bad line prints one error line naming the line number and the field, and
exits 1; nothing of that line is written (earlier lines stay written).

Options:
  --store STORE   a directory (created if missing) or immudb://HOST:PORT/DB
  --config FILE   JSON config file with an "immudb" section (credentials)
  -h, --help      this help

Exit: 0 all appended, 1 a line was rejected, 2 usage or I/O error.`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, STORE_OPTIONS);
    const store = requireOption(values, 'store');
    if (positionals.length > 1) throw new UsageError(`expected at most one FILE, got ${positionals.length}`);
    const file = positionals[0] ?? '-';
    const input = file === '-' ? io.stdin : createReadStream(file, 'utf8');
    const ledger = await Ledger.open(await openStore(store, storeConfig(values)));
    let lastHash = '';
    const sub = ledger.events$.subscribe((e) => (lastHash = e.hash));
    let lineNo = 0;
    try {
      for await (const text of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (text.trim() === '') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          io.stderr.write(`fmwk-ledger append: line ${lineNo}: not valid JSON: ${(e as Error).message}\n`);
          return EXIT.invalid;
        }
        let sequence: number;
        try {
          sequence = await ledger.append(parsed as never);
        } catch (e) {
          if (isLedgerError(e, 'LEDGER_VALIDATION') || isLedgerError(e, 'LEDGER_SERIALIZATION')) {
            io.stderr.write(`fmwk-ledger append: line ${lineNo}: ${e.message}\n`);
            return EXIT.invalid;
          }
          throw e;
        }
        io.stdout.write(`${JSON.stringify({ sequence, hash: lastHash })}\n`);
      }
      return EXIT.ok;
    } finally {
      sub.unsubscribe();
      await ledger.close();
    }
  },
};
