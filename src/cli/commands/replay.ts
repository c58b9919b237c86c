import { canonicalJson } from '../../contract/canonicalJson.js';
import { LedgerCorruptionError } from '../../errors/errors.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { ProjectionFailedError } from '../../../projections/projectionErrors.js';
import { ReplayEngine } from '../../../replay/replayEngine.js';
import { SnapshotStore } from '../../../snapshots/snapshotStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { TYPES_OPTION, typesRegistry } from '../typesModule.js';
import { EXIT, UsageError, type CliIO } from '../command.js';
import { loadProjections } from '../projectionModule.js';
import { progressBar, type Progress } from '../progress.js';

export const DEFAULT_RECORD_SEARCH = 10_000;

/** How far after a snapshot's sequence its record (snapshot_created) is looked for. */
export const RECORD_SEARCH_OPTION = {
  'record-search': {
    value: 'N',
    integer: true,
    description: `look for a snapshot's snapshot_created record within N events after the snapshot (default ${DEFAULT_RECORD_SEARCH}); snapshot and replay must use the same N`,
  },
} as const;

/** The --record-search value for the ReplayEngine, if given (at least 1). */
export function recordSearch(values: Readonly<Record<string, string | undefined>>): { recordSearchLimit?: number } {
  if (values['record-search'] === undefined) return {};
  const n = parseSequence('--record-search', values['record-search']);
  if (n < 1) throw new UsageError('--record-search: expected a positive integer, got "0"');
  return { recordSearchLimit: n };
}

/** Progress of a replay as a bar on stderr (only on a terminal), created once the range is known. */
export function replayProgress(io: CliIO, label: string) {
  let bar: Progress | undefined;
  return {
    onProgress: (p: { sequence: number; from: number; to: number }) => {
      bar ??= progressBar(io, label, p.to - p.from + 1);
      bar.update(p.sequence - p.from + 1);
    },
    finish: () => bar?.finish(),
  };
}

/**
 * Runs the body of a command that replays (replay, snapshot) with its progress bar: a corrupt
 * ledger or a failing projection is one line on stderr and exit 1; the bar is cleared either way.
 */
export async function runReplaying(command: string, io: CliIO, progress: { finish(): void }, body: () => Promise<string>): Promise<number> {
  let output: string;
  try {
    output = await body();
  } catch (e) {
    progress.finish();
    if (e instanceof LedgerCorruptionError || e instanceof ProjectionFailedError) {
      io.stderr.write(`fmwk-ledger ${command}: ${e.name}: ${e.message}\n`);
      return EXIT.invalid;
    }
    throw e;
  }
  progress.finish();
  io.stdout.write(`${output}\n`);
  return EXIT.ok;
}

export const replay = defineCommand({
  name: 'replay',
  summary: 'fold the ledger into projections and print their states',
  usage: `--store STORE --projections MODULE [--types MODULE] [--to SEQ] [--snapshots DIR | --no-snapshots]`,
  description: `Replays the ledger into the projections that MODULE (a JavaScript or TypeScript module)
exports as its default export, an array of { name, version, initial, apply }. Starts from
the newest snapshot at or below SEQ that passes every check (file hash recorded by its
snapshot_created event, anchor hash, projection versions), then checks each later event's
hash and link as it folds it. Skipped snapshots are reported on standard error.

The last line of standard output is
  {"sequence":N,"states":{"<name>":<state>,...}}
(canonical JSON), N being the last event folded (-1 for an empty ledger).`,
  options: {
    ...STORE_OPTIONS,
    projections: { value: 'MODULE', description: 'the module whose default export is the projections' },
    ...TYPES_OPTION,
    to: { value: 'SEQ', integer: true, description: 'stop after event SEQ (default: the tip)' },
    snapshots: { value: 'DIR', description: 'where snapshots are (default: STORE/snapshots for a directory store)' },
    'no-snapshots': { description: 'replay from genesis' },
    ...RECORD_SEARCH_OPTION,
  },
  json: true,
  exit: `Exit: 0 replayed, 1 corrupt ledger or a projection failed, 2 usage or I/O error.`,

  async execute({ values, flags, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const address = requireOption(values, 'store');
    const registry = await loadProjections(requireOption(values, 'projections'));
    const to = values.to === undefined ? undefined : parseSequence('--to', values.to);
    if (values.snapshots !== undefined && flags['no-snapshots']) throw new UsageError('give --snapshots or --no-snapshots, not both');
    const types = await typesRegistry(values);
    const ledger = await Ledger.open(await openStore(address, { readOnly: true, ...storeConfig(values) }), types ? { registry: types } : {});
    const progress = replayProgress(io, 'replay');
    try {
      return await runReplaying('replay', io, progress, async () => {
        const engine = new ReplayEngine(ledger, {
          projections: registry,
          ...(flags['no-snapshots'] ? { snapshots: false as const } : values.snapshots !== undefined ? { snapshots: SnapshotStore.at(values.snapshots) } : {}),
          logger: { warn: (m) => io.stderr.write(`fmwk-ledger replay: warning: ${m}\n`) },
          onProgress: progress.onProgress,
          ...recordSearch(values),
        });
        const result = await engine.replay(to === undefined ? {} : { to });
        return canonicalJson({ sequence: result.sequence, states: result.states });
      });
    } finally {
      await ledger.close();
    }
  },
});
