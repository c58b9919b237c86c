import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { ReplayEngine } from '../../../replay/replayEngine.js';
import { SnapshotStore } from '../../../snapshots/snapshotStore.js';
import { parseCommandArgs, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { loadProjections } from '../projectionModule.js';
import { replayProgress, runReplaying } from './replay.js';

export const snapshot: Command = {
  name: 'snapshot',
  summary: 'snapshot the projections at the tip and record it in the ledger',
  help: `Usage: fmwk-ledger snapshot --store STORE --projections MODULE [--at SEQ] [--snapshots DIR] [--config FILE]

Replays the ledger into the projections of MODULE (default export: an array of projections)
up to the tip (or SEQ), writes STORE/snapshots/<seq>.snapshot atomically (canonical JSON:
format version, sequence, anchor hash of event <seq>, each projection's name, version and
state), then appends a snapshot_created event recording the file's SHA-256.

The last line of standard output is
  {"sequence":N,"file":"N.snapshot","file_hash":"sha256:...","record_sequence":M,"path":"..."}

Options:
  --store STORE         a directory or immudb://HOST:PORT/DB (opened for writing)
  --projections MODULE  the module whose default export is the projections
  --at SEQ              snapshot the states after event SEQ (default: the tip)
  --config FILE         JSON config file with an "immudb" section (credentials)
  --snapshots DIR       where to write (default: STORE/snapshots for a directory store)
  -h, --help            this help

Exit: 0 written and recorded, 1 corrupt ledger or a projection failed, 2 usage or I/O error.`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...STORE_OPTIONS, projections: { type: 'string' }, at: { type: 'string' }, snapshots: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const address = requireOption(values, 'store');
    const registry = await loadProjections(requireOption(values, 'projections'));
    const at = values.at === undefined ? undefined : parseSequence('--at', values.at);
    const ledger = await Ledger.open(await openStore(address, storeConfig(values)));
    if (values.snapshots === undefined && ledger.location === undefined) {
      await ledger.close();
      throw new UsageError(`--snapshots DIR is required for ${ledger.description} (it keeps no local directory)`);
    }
    const progress = replayProgress(io, 'snapshot');
    try {
      return await runReplaying('snapshot', io, progress, async () => {
        const engine = new ReplayEngine(ledger, {
          projections: registry,
          ...(values.snapshots !== undefined ? { snapshots: SnapshotStore.at(values.snapshots) } : {}),
          logger: { warn: (m) => io.stderr.write(`fmwk-ledger snapshot: warning: ${m}\n`) },
          onProgress: progress.onProgress,
        });
        const r = await engine.takeSnapshot(at === undefined ? {} : { at });
        return JSON.stringify({ sequence: r.sequence, file: r.file, file_hash: r.file_hash, record_sequence: r.record_sequence, path: r.path });
      });
    } finally {
      await ledger.close();
    }
  },
};
