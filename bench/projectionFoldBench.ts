// Projection fold benchmark: an audit index (event_id -> type and sequence, a state that grows
// with every event) folded by the ProjectionRunner as a pure copy-on-write projection (A) and
// as a mutable one (B, a Map serialised once at the end), at 10k / 40k / 160k events.
//
//   node --expose-gc dist/bench/projectionFoldBench.js [--sizes 10000,40000,160000] [--rounds 5] [--budget 60]
//
// Rounds are paired: A and B both run in every round, in alternating order (AB, BA, AB...), and
// the figure is the median of the per-round ratios A/B with their min and max, so drift of a
// shared machine hits both sides. A pure fold (A) that exceeds --budget seconds is stopped; its
// time is then a lower bound (printed with ">"), and so is the ratio. B always runs to the end;
// its time includes the hand-out:
// serialising, checking and copying the final state as canonical JSON. Times are CPU time
// (user + system) of this process, so other load on a shared machine counts less.
import { canonicalJson, defineProjection, ProjectionRunner, type AnyProjection, type LedgerEvent } from '../src/index.js';

interface Entry {
  readonly type: string;
  readonly sequence: number;
}

const pureAudit = defineProjection({
  name: 'audit', version: 1, initial: {} as Readonly<Record<string, Entry>>,
  apply: (s, e) => ({ ...s, [e.event_id]: { type: e.event_type, sequence: e.sequence } }),
});

const mutableAudit = defineProjection({
  name: 'audit', version: 1, init: () => new Map<string, Entry>(),
  evolve: (index, e) => void index.set(e.event_id, { type: e.event_type, sequence: e.sequence }),
  serialize: (index) => Object.fromEntries(index),
  deserialize: (json) => new Map(Object.entries(json)),
});

const PROVENANCE = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' } as const;
const ZERO = `sha256:${'0'.repeat(64)}`;

/** `n` events of the ledger's shape (the runner does not check hashes: replay does, before it). */
function syntheticEvents(n: number): LedgerEvent[] {
  const out: LedgerEvent[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      event_id: `0192f000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`, sequence: i,
      event_type: i % 2 === 0 ? 'node_creation' : 'signal_delta', schema_version: '1.0.0', timestamp: '2026-01-01T00:00:00.000Z',
      provenance: PROVENANCE, previous_hash: ZERO, hash: ZERO,
      payload: i % 2 === 0 ? { node_id: `n${i}`, node_type: 'concept' } : { node_id: `n${i - 1}`, signal: 's', delta: 1 },
    } as unknown as LedgerEvent; // well-formed by construction (the brands are not proved: no decode in the set-up)
  }
  return out;
}

interface Fold {
  /** Fold and hand-out together. */
  readonly ms: number;
  /** The hand-out alone: current() at the end (serialise, check, copy for B; nothing for A). */
  readonly handOutMs: number;
  readonly complete: boolean;
  readonly folded: number;
}

/**
 * CPU time of this process in ms (user + system). The machine is shared: wall time measures the
 * other tenants as much as the fold, CPU time much less so.
 */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Folds all of `events` (or stops once past `budgetMs`: only the quadratic side is given one). */
function fold(projection: AnyProjection, events: readonly LedgerEvent[], budgetMs = Infinity): Fold {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = cpuMs();
  const runner = new ProjectionRunner([projection]);
  for (let i = 0; i < events.length; i++) {
    runner.apply(events[i]!);
    if ((i & 255) === 255 && cpuMs() - t0 > budgetMs) return { ms: cpuMs() - t0, handOutMs: 0, complete: false, folded: i + 1 };
  }
  const t1 = cpuMs();
  const { states } = runner.current();
  const t2 = cpuMs();
  if (Object.keys(states.audit as object).length !== events.length) throw new Error('wrong fold');
  return { ms: t2 - t0, handOutMs: t2 - t1, complete: true, folded: events.length };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const show = (f: Fold): string => `${f.complete ? '' : '>'}${(f.ms / 1000).toFixed(3)} s${f.complete ? '' : ` (stopped at ${f.folded})`}`;

function parseArgs(argv: string[]) {
  const o = { sizes: [10_000, 40_000, 160_000], rounds: 5, budget: 60 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--sizes') o.sizes = v.split(',').map((x) => Number(x.replace(/_/g, '')));
    else if (a === '--rounds') o.rounds = Number(v);
    else if (a === '--budget') o.budget = Number(v);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.rounds >= 1) || !(o.budget > 0) || o.sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error('expected positive --sizes, --rounds, --budget');
  return o;
}

function main(): void {
  const { sizes, rounds, budget } = parseArgs(process.argv.slice(2));
  console.log(`projection fold: audit index, A = pure copy-on-write, B = mutable Map; ${rounds} paired rounds, budget ${budget} CPU s per pure fold; CPU times; node ${process.version}`);
  for (const n of sizes) {
    const events = syntheticEvents(n);
    const a: Fold[] = [];
    const b: Fold[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
      const got: Record<'A' | 'B', Fold> = {} as Record<'A' | 'B', Fold>;
      for (const side of order) got[side] = side === 'A' ? fold(pureAudit, events, budget * 1000) : fold(mutableAudit, events);
      a.push(got.A);
      b.push(got.B);
      ratios.push(got.A.ms / got.B.ms);
      console.log(`  n=${n} round ${r + 1} (${order.join('')}): A ${show(got.A)}, B ${show(got.B)} (hand-out ${got.B.handOutMs.toFixed(0)} ms), A/B ${got.A.complete ? '' : '>'}${(got.A.ms / got.B.ms).toFixed(1)}`);
    }
    const lowerBound = a.some((f) => !f.complete) ? '>' : '';
    const bMedian = median(b.map((f) => f.ms));
    console.log(
      `n=${n}: A median ${lowerBound}${(median(a.map((f) => f.ms)) / 1000).toFixed(3)} s, B median ${(bMedian / 1000).toFixed(3)} s ` +
        `(${((bMedian * 1000) / n).toFixed(2)} µs/event, of which hand-out ${median(b.map((f) => f.handOutMs)).toFixed(0)} ms), A/B median ${lowerBound}${median(ratios).toFixed(1)} [min ${Math.min(...ratios).toFixed(1)}, max ${Math.max(...ratios).toFixed(1)}]`,
    );
    // What the JSON check of the final state costs, against B's whole fold: paid once per hand-out.
    const state = Object.fromEntries(events.map((e) => [e.event_id, { type: e.event_type, sequence: e.sequence }]));
    const t0 = cpuMs();
    canonicalJson(state, 'state');
    console.log(`n=${n}: one canonical JSON check of the final state ${(cpuMs() - t0).toFixed(1)} ms`);
  }
}

main();
