import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { ReplayEngine } from '../../../replay/replayEngine.js';
import { SnapshotStore } from '../../../snapshots/snapshotStore.js';
import { defineCommand, parseSequence, requireOption, storeConfig, storeOptions } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { loadProjections } from '../projectionModule.js';
import { SnapshotError } from '../../../snapshots/snapshotErrors.js';
import { DEFAULT_RECORD_SEARCH, RECORD_SEARCH_OPTION, recordSearch, replayProgress, runReplaying } from './replay.js';

export const snapshot = defineCommand({
  name: 'snapshot',
  summary: 'snapshot the projections at the tip and record it in the ledger',
  usage: `--store STORE --projections MODULE [--at SEQ [--record-search N]] [--snapshots DIR]`,
  description: `Replays the ledger into the projections of MODULE (default export: an array of projections)
up to the tip (or SEQ), writes STORE/snapshots/<seq>.snapshot atomically (canonical JSON:
format version, sequence, anchor hash of event <seq>, each projection's name, version and
state), then appends a snapshot_created event recording the file's SHA-256.

The last line of standard output is
  {"sequence":N,"file":"N.snapshot","file_hash":"sha256:...","record_sequence":M,"path":"..."}

The record is appended at the tip, and replay trusts a snapshot only once it finds that
record within ${DEFAULT_RECORD_SEARCH} events after the snapshot's sequence (a bound, so that a
missing record costs a bounded search). --at SEQ further back than that is refused; take the
snapshot nearer the tip, or raise the bound with --record-search N (and give replay the same).`,
  options: {
    ...storeOptions('opened for writing'),
    projections: { value: 'MODULE', description: 'the module whose default export is the projections' },
    at: { value: 'SEQ', integer: true, description: 'snapshot the states after event SEQ (default: the tip); see --record-search' },
    snapshots: { value: 'DIR', description: 'where to write (default: STORE/snapshots for a directory store)' },
    ...RECORD_SEARCH_OPTION,
  },
  json: true,
  exit: `Exit: 0 written and recorded, 1 corrupt ledger or a projection failed, 2 usage or I/O error.`,

  async execute({ values, positionals }, io) {
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
          ...recordSearch(values),
        });
        const r = await engine.takeSnapshot(at === undefined ? {} : { at }).catch((e: unknown) => {
          throw e instanceof SnapshotError && e.code === 'SNAPSHOT_UNAVAILABLE' && e.field === 'at' ? atTooFar(at!, values['record-search'], e) : e;
        });
        return JSON.stringify({ sequence: r.sequence, file: r.file, file_hash: r.file_hash, record_sequence: r.record_sequence, path: r.path });
      });
    } finally {
      await ledger.close();
    }
  },
});

// The engine's message names its option (recordSearchLimit); the user knows the flags.
function atTooFar(at: number, given: string | undefined, cause: SnapshotError): UsageError {
  const limit = given ?? String(DEFAULT_RECORD_SEARCH);
  return new UsageError(
    `--at ${at}: ${at} is more than ${limit} events before the tip, and replay looks for a snapshot's record (appended at the tip) only within ${limit} events after it. ` +
      `Snapshot a later sequence, or raise the bound with --record-search N (and pass the same --record-search to replay)`,
    { cause },
  );
}
