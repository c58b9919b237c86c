import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Ledger } from '../../ledger/ledger.js';
import { isLedgerError } from '../../errors/errors.js';
import { openStore } from '../../stores/openStore.js';
import { parseCommandArgs, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { InputLineError, MAX_INPUT_LINE_BYTES, parseInputLine } from '../appendInputLine.js';
import { EXIT, UsageError, type Command } from '../command.js';
// The framework's reserved event types (snapshot_created) are reserved in every process that
// appends, whichever other commands are loaded: refused by name, not as "unknown".
import '../../../snapshots/snapshotCreated.js';

export const append: Command = {
  name: 'append',
  summary: 'append events from JSON lines, printing each as it becomes durable',
  help: `Usage: fmwk-ledger append --store STORE [FILE|-]

Reads append inputs, one JSON object per line, from FILE or standard input:
  {"event_type":"session_start","schema_version":"1.0.0",
   "provenance":{"framework_id":"FMWK-001","pack_id":"PC-001-core","actor":"system"},
   "payload":{"session_id":"s-1"}}
The ledger assigns event_id, sequence, timestamp, previous_hash and hash; passing any
of them is an error, and so is a reserved type (snapshot_created: only the snapshot
command records snapshots). Blank lines are skipped. Input must be UTF-8; numbers must be
integers within ±(2^53-1) as written (1.0, 1e2 and -0 are refused: write decimals as strings).

For each event, once it is durable, prints one line:
  {"sequence":N,"hash":"sha256:..."}
On the first bad line prints one error line naming the line number and the field, and
exits 1 at once (an interactive terminal is not read further); nothing of that line is
written (earlier lines stay written). A FILE that cannot be read is exit 2, and then no
store is opened or created.

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
    // Open the input before the store: an unreadable FILE must not create or lock anything.
    let input: Readable;
    if (file === '-') input = io.stdin;
    else {
      let fh;
      try {
        fh = await open(file, 'r');
        if ((await fh.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      } catch (e) {
        await fh?.close().catch(() => undefined);
        throw new UsageError(`cannot read ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      input = fh.createReadStream();
    }
    let ledger: Ledger;
    try {
      ledger = await Ledger.open(await openStore(store, storeConfig(values)));
    } catch (e) {
      if (input !== io.stdin) input.destroy();
      throw e;
    }
    let lastHash = '';
    const sub = ledger.events$.subscribe((e) => (lastHash = e.hash));
    let lineNo = 0;
    const refuse = (message: string): number => {
      io.stderr.write(`fmwk-ledger append: line ${lineNo}: ${message}\n`);
      return EXIT.invalid;
    };
    try {
      for await (const bytes of inputLines(input)) {
        lineNo++;
        if (bytes === TOO_LONG) return refuse(`longer than ${MAX_INPUT_LINE_BYTES} bytes`);
        let parsed: unknown;
        try {
          parsed = parseInputLine(bytes);
        } catch (e) {
          if (e instanceof InputLineError) return refuse(e.message);
          throw e;
        }
        if (parsed === undefined) continue;
        let sequence: number;
        try {
          sequence = await ledger.append(parsed as never);
        } catch (e) {
          if (isLedgerError(e, 'LEDGER_VALIDATION') || isLedgerError(e, 'LEDGER_SERIALIZATION')) return refuse(e.message);
          throw e;
        }
        io.stdout.write(`${JSON.stringify({ sequence, hash: lastHash })}\n`);
      }
      return EXIT.ok;
    } finally {
      sub.unsubscribe();
      // Stop reading at once (leaving the loop early destroys the input; a terminal on stdin
      // would otherwise keep the process reading), then release the lock.
      if (input === io.stdin) io.stdin.pause();
      await ledger.close();
    }
  },
};

const TOO_LONG = Symbol('line too long');

/**
 * The input's lines as bytes, without their newline (a last line without one included). A line
 * longer than MAX_INPUT_LINE_BYTES is reported as TOO_LONG instead of being buffered.
 */
async function* inputLines(input: Readable): AsyncGenerator<Uint8Array | typeof TOO_LONG> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of input) {
    const buf: Buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl < 0 ? buf.length : nl;
      if (pendingBytes + end - start > MAX_INPUT_LINE_BYTES) {
        yield TOO_LONG;
        return;
      }
      if (nl < 0) break;
      const part = buf.subarray(start, nl);
      yield pending.length > 0 ? Buffer.concat([...pending, part]) : part;
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
    }
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}
