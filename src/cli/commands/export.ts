import { createAtomicFile, type AtomicFile } from '../../stores/atomicWrite.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { countOf, progressBar, summary } from '../progress.js';

const NEWLINE = Buffer.from('\n');

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write the ledger as canonical JSONL for cold verification',
  usage: `--store STORE [--out FILE]`,
  description: `Writes every event, genesis first, one canonical JSON line each, exactly as stored: the
cold-verification format that 'fmwk-ledger verify FILE' (or any language) checks offline.
With --out the file appears whole or not at all: written to a new temporary file of an
unpredictable name in FILE's directory (created exclusively, never through a symlink),
fsync'd, renamed over FILE (a symlink at FILE is replaced, not followed), directory fsync'd.
An existing FILE that is not a regular file (a device, a FIFO, a directory) is refused, never
replaced; temporary files left by a killed export are removed by the next export to FILE.
Without --out, lines go to standard output. Ends with a summary on standard error (events,
bytes, where), and shows a progress bar meanwhile when standard error is a terminal.
Export does not verify: a damaged line of a directory store (a repeated key, bytes that are
not UTF-8, a wrong hash) is copied as stored, for 'verify FILE' to find.`,
  options: {
    ...STORE_OPTIONS,
    out: { value: 'FILE', description: 'write to FILE instead of standard output' },
  },
  json: true,
  exit: `Exit: 0 written, 2 usage or I/O error.`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const ledger = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    try {
      const tip = await ledger.getTip();
      const bar = progressBar(io, 'export', tip.sequence_number + 1);
      const file: AtomicFile | undefined = values.out ? await createAtomicFile(values.out, '--out') : undefined;
      try {
        const sink = io.stdout;
        let n = 0;
        let bytes = 0;
        let chunk: Buffer[] = [];
        let size = 0;
        const flush = async () => {
          const out = Buffer.concat(chunk, size);
          bytes += size;
          chunk = [];
          size = 0;
          if (file) {
            let written = 0;
            while (written < out.length) written += (await file.handle.write(out, written, out.length - written)).bytesWritten;
          } else if (!sink.write(out)) await new Promise<void>((r) => sink.once('drain', () => r()));
        };
        const add = (line: Buffer) => {
          chunk.push(line, NEWLINE);
          size += line.length + 1;
        };
        // Exactly the stored bytes, never re-serialised or decoded, up to the end of the store
        // (not just the tip's position): a tampered, duplicated or stray line stays in for verify
        // to find, and so does one that is not UTF-8 (the directory store's byte path). Stores
        // without one give text, and refuse a line that is not UTF-8 (LedgerCorruptionError).
        const batches = ledger.readLineBatches(0);
        if (batches) {
          for await (const batch of batches) {
            // The batch's views are valid only until the next batch: copied out now.
            for (const line of batch) add(Buffer.from(line));
            n += batch.length;
            if (size >= 1 << 20) await flush();
            bar.update(n);
          }
        } else {
          for await (const { line } of ledger.readLines(0)) {
            add(Buffer.from(line, 'utf8'));
            if (size >= 1 << 20) await flush();
            bar.update(++n);
          }
        }
        if (size > 0) await flush();
        bar.finish();
        await file?.commit();
        const where = values.out ?? 'standard output';
        summary(io, 'export', `exported ${countOf(n, 'event')}, ${countOf(bytes, 'byte')} to ${where}`, { events: n, bytes, path: values.out ?? null });
      } catch (e) {
        bar.finish();
        await file?.abort();
        throw e;
      }
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
});
