import { createAtomicFile, type AtomicFile } from '../../stores/atomicWrite.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { parseCommandArgs, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { progressBar } from '../progress.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the ledger as canonical JSONL for cold verification',
  help: `Usage: fmwk-ledger export --store STORE [--out FILE]

Writes every event, genesis first, one canonical JSON line each, exactly as stored: the
cold-verification format that 'fmwk-ledger verify FILE' (or any language) checks offline.
With --out the file appears whole or not at all: written to a new temporary file of an
unpredictable name in FILE's directory (created exclusively, never through a symlink),
fsync'd, renamed over FILE (a symlink at FILE is replaced, not followed), directory fsync'd.
Without --out, lines go to standard output.

Options:
  --store STORE   a directory or immudb://HOST:PORT/DB (opened read-only)
  --config FILE   JSON config file with an "immudb" section (credentials)
  --out FILE      write to FILE instead of standard output
  -h, --help      this help

Exit: 0 written, 2 usage or I/O error.`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...STORE_OPTIONS, out: { type: 'string' } });
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const ledger = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    try {
      const tip = await ledger.getTip();
      const bar = progressBar(io, 'export', tip.sequence_number + 1);
      const file: AtomicFile | undefined = values.out ? await createAtomicFile(values.out) : undefined;
      try {
        const sink = io.stdout;
        let n = 0;
        let chunk: string[] = [];
        let size = 0;
        const flush = async () => {
          const text = chunk.join('');
          chunk = [];
          size = 0;
          if (file) {
            const bytes = Buffer.from(text, 'utf8');
            let written = 0;
            while (written < bytes.length) written += (await file.handle.write(bytes, written, bytes.length - written)).bytesWritten;
          } else if (!sink.write(text)) await new Promise<void>((r) => sink.once('drain', () => r()));
        };
        // Exactly the stored bytes, never re-serialised, up to the end of the store (not just the
        // tip's position): a tampered, duplicated or stray line stays in for verify to find.
        for await (const { line } of ledger.readLines(0)) {
          chunk.push(`${line}\n`);
          size += line.length + 1;
          if (size >= 1 << 20) await flush();
          bar.update(++n);
        }
        if (size > 0) await flush();
        bar.finish();
        await file?.commit();
      } catch (e) {
        await file?.abort();
        throw e;
      }
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
};
