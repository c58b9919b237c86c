// Shared by the projection, replay and snapshot specs: small projections and event inputs.
import { defineProjection, type ReplayLogger, type TypedAppendInput } from '../../src/index.js';
import { provenance } from './fixtures.js';

/** A signal_delta input with an integer delta. */
export function delta(node_id: string, amount: number): TypedAppendInput<'signal_delta', { node_id: string; signal: string; delta: number }> {
  return { event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id, signal: 's', delta: amount } };
}

/** Total of integer signal deltas per node. */
export const totals = defineProjection<Record<string, number>>({
  name: 'totals',
  version: 1,
  initial: {},
  apply: (state, e) => {
    if (e.event_type !== 'signal_delta') return state;
    const { node_id, delta: d } = e.payload as { node_id: string; delta: number };
    return { ...state, [node_id]: (state[node_id] ?? 0) + d };
  },
});

/** How many events of each type, and the last sequence seen. */
export const counts = defineProjection<{ last: number; byType: Record<string, number> }>({
  name: 'counts',
  version: 1,
  initial: { last: -1, byType: {} },
  apply: (state, e) => ({ last: e.sequence, byType: { ...state.byType, [e.event_type]: (state.byType[e.event_type] ?? 0) + 1 } }),
});

/** A logger that keeps its warnings. */
export function collectingLogger(): ReplayLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m) };
}

interface FoldSpec {
  name: string;
  canHandle?: readonly string[];
  includeFrameworkEvents?: boolean;
  initial?: unknown;
  apply?(s: any, e: any): unknown;
  init?(): unknown;
  evolve?(s: any, e: any): unknown;
  serialize?(s: any): unknown;
}

/** Whether `p` folds an event of `type`: its canHandle list, else every type but the framework's snapshot_created. */
export const sees = (p: FoldSpec, type: string): boolean =>
  p.canHandle ? p.canHandle.includes(type) : p.includeFrameworkEvents === true || type !== 'snapshot_created';

/** The states of `projections` after folding `events` naively (the reference for every replay). */
export function naiveFold(projections: ReadonlyArray<FoldSpec>, events: ReadonlyArray<{ event_type: string }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of projections) {
    const mine = events.filter((e) => sees(p, e.event_type));
    if (p.evolve) {
      let state = p.init!();
      for (const e of mine) state = p.evolve(state, e) ?? state;
      out[p.name] = JSON.parse(JSON.stringify(p.serialize ? p.serialize(state) : state));
    } else {
      out[p.name] = mine.reduce((s: unknown, e) => p.apply!(s, e), structuredClone(p.initial));
    }
  }
  return out;
}

/** `projection` with a counter of how many events it was applied to. */
export function spied<P extends { name: string; version: number; initial: unknown; apply(s: any, e: any): unknown }>(projection: P): P & { applied: number } {
  const spy = {
    ...projection,
    applied: 0,
    apply(s: unknown, e: unknown) {
      spy.applied++;
      return projection.apply(s, e);
    },
  };
  return spy;
}
