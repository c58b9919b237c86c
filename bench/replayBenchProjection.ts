// The projection the replay benchmark folds: cheap, so the figures show the framework's cost
// (reading, parsing, hash checks) rather than the fold's.
import { defineProjection } from '../src/index.js';

export interface BenchState {
  readonly events: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly signal: number;
}

export const benchProjection = defineProjection<BenchState>({
  name: 'bench',
  version: 1,
  initial: { events: 0, byType: {}, signal: 0 },
  apply: (s, e) => ({
    events: s.events + 1,
    byType: { ...s.byType, [e.event_type]: (s.byType[e.event_type] ?? 0) + 1 },
    signal: s.signal + (e.event_type === 'signal_delta' && typeof e.payload.delta === 'number' ? e.payload.delta : 0),
  }),
});
