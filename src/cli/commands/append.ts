import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Ledger } from '../../ledger/ledger.js';
import { canonicalJson } from '../../contract/canonicalJson.js';
import type { AppendResult } from '../../contract/event.js';
import { isLedgerError, LedgerValidationError } from '../../errors/errors.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, requireOption, storeConfig, storeOptions } from '../args.js';
import { InputLineError, MAX_INPUT_LINE_BYTES, parseInputLine } from '../appendInputLine.js';
import { EXIT, UsageError } from '../command.js';
import { countOf, progressBar, summary, type Progress } from '../progress.js';
import { TYPES_HINT, TYPES_OPTION, typesRegistry } from '../typesModule.js';
// The framework's reserved event types (snapshot_created) are reserved in every process that
// appends, whichever other commands are loaded: refused by name, not as "unknown".
import '../../../snapshots/snapshotCreated.js';

export const append = defineCommand({
  name: 'append',
  summary: 'append events from JSON lines, printing each as it becomes durable',
  usage: '--store STORE [--types MODULE] [--batch] [FILE|-]',
  description: `Reads append inputs, one JSON object per line, from FILE or standard input:
  {"event_type":"session_start","schema_version":"1.0.0",
   "provenance":{"framework_id":"FMWK-001","pack_id":"PC-001-core","actor":"system"},
   "payload":{"session_id":"s-1"}}
Optional fields: "stream_id" (the ledger assigns the next stream_version), "expected_version"
(with stream_id: the stream's last version must be this, -1 or "no_stream" for a new stream,
"stream_exists" for any version, "any" for no check), "event_id" (a
UUID: appending it again with the same content writes nothing and prints the original
result, with other content is refused) and "metadata" (a JSON object). The ledger assigns
sequence, timestamp, previous_hash, hash and stream_version (and event_id if absent);
passing any of them is an error, and so is a reserved type (snapshot_created: only the
snapshot command records snapshots). Blank lines are skipped. Input must be UTF-8; numbers must be
integers within ±(2^53-1) as written (1.0, 1e2 and -0 are refused: write decimals as strings);
values nest at most 512 levels deep (a deeper one is refused, so any verifier can re-serialise it).
Event types other than the seed's are registered with --types MODULE (or "types" in the
config file): its default export is (registry) => registry.register("TYPE", codec), or an
array of [type, codec] (io-ts codecs); a .ts module is loaded in memory.

With --batch, each line is a JSON array of such objects, appended as one atomic batch: all of
its events or none, also across a crash, with consecutive sequences (each event records its
place in the batch; a single-event array is a plain event). Each event may name its own
stream_id and expected_version (checked against the version its stream has just before it).
A bad event refuses the whole line, naming the event as events[I]. Without --batch a line
holding an array is refused.

For each event (each event of a batch, in order), once it is durable (or found already held, for a repeated event_id), prints
its result as one JSON line:
  {"event_id":"...","hash":"sha256:...","sequence":N,"stream_id":"...","stream_version":V}
(stream_id and stream_version only for a stream event). A stream conflict (expected_version
not met) or an event_id held with other content is a rejected line.
then, on standard error, a summary (events, time, rate), and a progress bar while reading a
FILE on a terminal. On the first bad line prints one error line naming the line number and
the field, and exits 1 at once (an interactive terminal is not read further); nothing of
that line is written (earlier lines stay written). A FILE that cannot be read is exit 2,
and then no store is opened or created.`,
  options: {
    ...storeOptions('created if missing'),
    ...TYPES_OPTION,
    batch: { description: 'each input line is a JSON array of events, appended as one atomic batch (all or none)' },
  },
  json: true,
  exit: 'Exit: 0 all appended, 1 a line was rejected, 2 usage or I/O error.',

  async execute({ values, flags, positionals }, io) {
    const batched = flags.batch === true;
    const store = requireOption(values, 'store');
    if (positionals.length > 1) throw new UsageError(`expected at most one FILE, got ${positionals.length}`);
    const file = positionals[0] ?? '-';
    const registry = await typesRegistry(values);
    // Open the input before the store: an unreadable FILE must not create or lock anything.
    let input: Readable;
    let size: number | undefined;
    if (file === '-') input = io.stdin;
    else {
      let fh;
      try {
        fh = await open(file, 'r');
        const st = await fh.stat();
        if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        if (st.isFile()) size = st.size;
      } catch (e) {
        await fh?.close().catch(() => undefined);
        throw new UsageError(`cannot read ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      input = fh.createReadStream();
    }
    let ledger: Ledger;
    try {
      ledger = await Ledger.open(await openStore(store, storeConfig(values)), registry ? { registry } : {});
    } catch (e) {
      if (input !== io.stdin) input.destroy();
      throw e;
    }
    let lineNo = 0;
    let appended = 0;
    let bytesRead = 0;
    // No bar while someone types the input on the terminal.
    const typed = input === io.stdin && (io.stdin as { isTTY?: boolean }).isTTY === true;
    const bar: Progress = typed ? { update() {}, finish() {} } : size === undefined ? progressBar(io, 'append') : progressBar(io, 'append', size, 'bytes');
    const refuse = (message: string): number => {
      bar.finish();
      io.stderr.write(`fmwk-ledger append: line ${lineNo}: ${message}\n`);
      return EXIT.invalid;
    };
    const started = process.hrtime.bigint();
    try {
      for await (const bytes of inputLines(input)) {
        lineNo++;
        if (bytes !== TOO_LONG) bar.update(size === undefined ? appended : (bytesRead += bytes.length + 1), appended);
        if (bytes === TOO_LONG) return refuse(`longer than ${MAX_INPUT_LINE_BYTES} bytes`);
        let parsed: unknown;
        try {
          parsed = parseInputLine(bytes);
        } catch (e) {
          // In a batch line the path [i]... is the ledger's events[i]...: one name for one event.
          if (e instanceof InputLineError) return refuse(batched && e.path.startsWith('[') ? `events${e.message}` : e.message);
          throw e;
        }
        if (parsed === undefined) continue;
        if (batched !== Array.isArray(parsed)) {
          return refuse(batched ? 'expected a JSON array of events (--batch: one batch a line)' : 'a JSON array of events is a batch: append it with --batch');
        }
        let results: AppendResult[];
        try {
          results = batched ? await ledger.appendBatch(parsed as never) : [await ledger.append(parsed as never)];
        } catch (e) {
          if (e instanceof LedgerValidationError && /(^|\.)event_type$/.test(e.path) && /: unknown event type/.test(e.message)) {
            return refuse(`${e.path}: unknown event type ${JSON.stringify(e.value)}: ${TYPES_HINT}`);
          }
          // Refusals of this line's content: nothing of it was written.
          if (['LEDGER_VALIDATION', 'LEDGER_SERIALIZATION', 'LEDGER_STREAM_CONFLICT', 'LEDGER_EVENT_ID_CONFLICT'].some((c) => isLedgerError(e, c as never))) return refuse((e as Error).message);
          throw e;
        }
        // Canonical key order (event_id, hash, sequence, stream_id, stream_version).
        io.stdout.write(results.map((r) => `${canonicalJson(r)}\n`).join(''));
        appended += results.length;
      }
      bar.finish();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rate = Math.round(appended / Math.max(seconds, 1e-3));
      summary(io, 'append', `appended ${countOf(appended, 'event')} in ${seconds.toFixed(2)} s (${rate} events/s)`, { events: appended, seconds: Number(seconds.toFixed(3)), events_per_second: rate });
      return EXIT.ok;
    } finally {
      bar.finish();
      // Stop reading at once (leaving the loop early destroys the input; a terminal on stdin
      // would otherwise keep the process reading), then release the lock.
      if (input === io.stdin) io.stdin.pause();
      await ledger.close();
    }
  },
});

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
