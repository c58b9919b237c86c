// What long commands say on standard error besides errors: a progress bar (cli-progress) while
// they run, on a terminal only, and a summary line at the end; --quiet silences both, --json
// turns the summary and errors into JSON objects and drops the bar.
import { createRequire } from 'node:module';
import type { CliIO } from './command.js';
import { formatEta, SmoothedRate } from './progressEta.js';

export interface Progress {
  /** `done` in the bar's unit; `events`, when the unit is bytes, the events so far (shown with their rate). */
  update(done: number, events?: number): void;
  finish(): void;
}

export interface OutputMode {
  readonly quiet: boolean;
  readonly json: boolean;
}

const NONE: Progress = { update() {}, finish() {} };
// cli-progress (CommonJS) is required when a bar is drawn, on a terminal only: every command
// imports this file, and most runs (pipes, --quiet, --json, --version) draw none.
const cliProgress = (): typeof import('cli-progress') => createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
// Bars still drawing, by io: main stops them when a command ends, also by an error (their
// redraw timer would otherwise keep the process alive).
const active = new WeakMap<CliIO, Set<Progress>>();

/** Stops every bar of `io` that its command did not finish. */
export function finishAll(io: CliIO): void {
  for (const p of active.get(io) ?? []) p.finish();
}
// Keyed by the io a command runs with: set once its arguments are parsed.
const modes = new WeakMap<CliIO, OutputMode>();

export function setOutputMode(io: CliIO, mode: OutputMode): void {
  modes.set(io, mode);
}

export function outputMode(io: CliIO): OutputMode {
  return modes.get(io) ?? { quiet: false, json: false };
}

const amount = (n: number, unit: 'events' | 'bytes'): string =>
  unit === 'events' ? String(Math.round(n)) : n < 1 << 20 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;

/**
 * A progress bar on stderr, with rate and ETA when `total` is known, only when stderr is a
 * terminal and neither --quiet nor --json was given (pipes and CI logs stay clean).
 */
export function progressBar(io: CliIO, label: string, total?: number, unit: 'events' | 'bytes' = 'events'): Progress {
  const mode = outputMode(io);
  if (!io.stderr.isTTY || mode.quiet || mode.json) return NONE;
  const known = total !== undefined && total > 0;
  let all = total ?? 0;
  const bar = new (cliProgress().SingleBar)({
    stream: io.stderr as NodeJS.WritableStream,
    format: known
      ? '{label} [{bar}] {percentage}% | {done} | {rate} | ETA {eta}'
      : '{label} {done} | {rate} | {duration_formatted}',
    barsize: Math.max(10, Math.min(40, (io.stderr.columns ?? 80) - 70)),
    fps: 10,
    clearOnComplete: true,
    hideCursor: false,
  });
  const started = performance.now();
  const smoothed = new SmoothedRate();
  const payload = (done: number, events?: number) => {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - started) / 1000);
    smoothed.sample(done, now);
    const count = events ?? done;
    const counted = events !== undefined || unit === 'events';
    const of = known ? `${amount(done, unit)}/${amount(all, unit)}` : amount(done, unit);
    return {
      label,
      done: unit === 'events' ? `${of} events` : counted ? `${count} events, ${of}` : of,
      rate: counted ? `${Math.round(count / seconds)} events/s` : `${amount(done / seconds, unit)}/s`,
      eta: formatEta(known ? smoothed.etaSeconds(all, now) : undefined),
    };
  };
  bar.start(known ? total : 1, 0, payload(0, unit === 'bytes' ? 0 : undefined));
  let finished = false;
  const progress: Progress = {
    update(done, events) {
      if (finished) return;
      // An estimated total (verify FILE) grows when the count passes it.
      if (known && done > all) bar.setTotal((all = done));
      bar.update(known ? done : 0, payload(done, events));
    },
    finish() {
      if (finished) return;
      finished = true;
      bar.stop();
      active.get(io)?.delete(progress);
    },
  };
  if (!active.has(io)) active.set(io, new Set());
  active.get(io)!.add(progress);
  return progress;
}

/** `1 event`, `3 events`: a count with its noun, singular for exactly one (summary lines). */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The end-of-command line on stderr (`fmwk-ledger NAME: text`, or the object under --json); none with --quiet. */
export function summary(io: CliIO, command: string, text: string, fields: Record<string, unknown>): void {
  const mode = outputMode(io);
  if (mode.quiet) return;
  io.stderr.write(mode.json ? `${JSON.stringify({ summary: { command, ...fields } })}\n` : `fmwk-ledger ${command}: ${text}\n`);
}
