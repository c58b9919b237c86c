import { canonicalJson } from '../../contract/canonicalJson.js';
import { LedgerCorruptionError } from '../../errors/errors.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { ProjectionFailedError } from '../../../projections/projectionErrors.js';
import { ReplayEngine } from '../../../replay/replayEngine.js';
import { SnapshotStore } from '../../../snapshots/snapshotStore.js';
import { parseCommandArgs, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type CliIO, type Command } from '../command.js';
import { loadProjections } from '../projectionModule.js';
import { progressBar, type Progress } from '../progress.js';

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

export const replay: Command = {
  name: 'replay',
  summary: 'fold the ledger into projections and print their states',
  help: `Usage: fmwk-ledger replay --store STORE --projections MODULE [--to SEQ] [--snapshots DIR | --no-snapshots] [--config FILE]

Replays the ledger into the projections that MODULE (a JavaScript or TypeScript module)
exports as its default export, an array of { name, version, initial, apply }. Starts from
the newest snapshot at or below SEQ that passes every check (file hash recorded by its
snapshot_created event, anchor hash, projection versions), then checks each later event's
hash and link as it folds it. Skipped snapshots are reported on standard error.

The last line of standard output is
  {"sequence":N,"states":{"<name>":<state>,...}}
(canonical JSON), N being the last event folded (-1 for an empty ledger).

Options:
  --store STORE         a directory or immudb://HOST:PORT/DB (opened read-only)
  --projections MODULE  the module whose default export is the projections
  --to SEQ              stop after event SEQ (default: the tip)
  --config FILE         JSON config file with an "immudb" section (credentials)
  --snapshots DIR       where snapshots are (default: STORE/snapshots for a directory store)
  --no-snapshots        replay from genesis
  -h, --help            this help

Exit: 0 replayed, 1 corrupt ledger or a projection failed, 2 usage or I/O error.`,

  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...STORE_OPTIONS, projections: { type: 'string' }, to: { type: 'string' }, snapshots: { type: 'string' }, 'no-snapshots': { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const address = requireOption(values, 'store');
    const registry = await loadProjections(requireOption(values, 'projections'));
    const to = values.to === undefined ? undefined : parseSequence('--to', values.to);
    if (values.snapshots !== undefined && values['no-snapshots']) throw new UsageError('give --snapshots or --no-snapshots, not both');
    const ledger = await Ledger.open(await openStore(address, { readOnly: true, ...storeConfig(values) }));
    const progress = replayProgress(io, 'replay');
    try {
      return await runReplaying('replay', io, progress, async () => {
        const engine = new ReplayEngine(ledger, {
          projections: registry,
          ...(values['no-snapshots'] ? { snapshots: false as const } : values.snapshots !== undefined ? { snapshots: SnapshotStore.at(values.snapshots) } : {}),
          logger: { warn: (m) => io.stderr.write(`fmwk-ledger replay: warning: ${m}\n`) },
          onProgress: progress.onProgress,
        });
        const result = await engine.replay(to === undefined ? {} : { to });
        return canonicalJson({ sequence: result.sequence, states: result.states });
      });
    } finally {
      await ledger.close();
    }
  },
};
