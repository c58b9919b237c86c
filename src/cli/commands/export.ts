import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectory } from '../../stores/fsyncDirectory.js';
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
With --out the file appears whole or not at all (written aside, fsync'd, renamed);
without it, lines go to standard output.

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
      const out = values.out;
      const partial = out ? `${out}.partial-${process.pid}` : undefined;
      const fh = partial ? await open(partial, 'w') : undefined;
      const sink = fh ? fh.createWriteStream() : io.stdout;
      let n = 0;
      // Exactly the stored bytes, never re-serialised, up to the end of the store (not just the
      // tip's position): a tampered, duplicated or stray line stays in for verify to find.
      for await (const { line } of ledger.store.scanLines(0)) {
        if (!sink.write(`${line}\n`)) await new Promise<void>((r) => sink.once('drain', () => r()));
        bar.update(++n);
      }
      bar.finish();
      if (fh && partial && out) {
        await new Promise<void>((resolve, reject) => sink.end((e?: Error | null) => (e ? reject(e) : resolve())));
        const again = await open(partial, 'r+');
        await again.sync();
        await again.close();
        await rename(partial, out);
        await fsyncDirectory(dirname(out));
      }
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
};
