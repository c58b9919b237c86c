// The consumer's test helper: the state of one projection after some events, in one line.
import type { AppendInput, LedgerEvent } from '../contract/event.js';
import { EventTypeRegistry } from '../ledger/eventTypeRegistry.js';
import { Ledger } from '../ledger/ledger.js';
import { MemoryStore } from '../stores/memoryStore.js';
import { LedgerValidationError } from '../errors/errors.js';
import type { Projection } from '../../projections/projection.js';
import { ProjectionRunner } from '../../projections/projectionRunner.js';
import { ReplayEngine } from '../../replay/replayEngine.js';
import { silentLogger } from '../../replay/replayLogger.js';

/** Events to replay: a ledger, events already in a ledger, or inputs to append to a fresh one. */
export type EventSource = Ledger | readonly LedgerEvent<any>[] | readonly AppendInput<any>[];

/** Options of {@link projectionStateAt}. */
export interface ProjectionStateAtOptions {
  /** Event types for appending inputs (default: the seed's types). */
  readonly registry?: EventTypeRegistry;
}

const isLedgerEvent = (e: unknown): e is LedgerEvent =>
  typeof e === 'object' && e !== null && typeof (e as LedgerEvent).sequence === 'number' && typeof (e as LedgerEvent).hash === 'string';

/**
 * The state of `projection` after event `sequence` (default: the last one).
 * - a Ledger: replayed with hash checks, from genesis (snapshots are not used);
 * - LedgerEvents: folded as given (they must run from sequence 0, in order);
 * - AppendInputs: appended to a fresh in-memory ledger (sequences 0, 1, ...) and replayed.
 *
 * @example
 * const graph = await projectionStateAt(graphProjection, [nodeCreation('a'), signalDelta('a', 'x', 2)]);
 * expect(graph.nodes.a.signals.x).to.equal('2');
 * expect(await projectionStateAt(graphProjection, ledger, 0)).to.deep.equal(...);
 */
export async function projectionStateAt<S>(
  projection: Projection<S, any>,
  source: EventSource,
  sequence?: number,
  options: ProjectionStateAtOptions = {},
): Promise<S> {
  if (source instanceof Ledger) {
    const engine = new ReplayEngine(source, { projections: [projection], snapshots: false, logger: silentLogger });
    return (await engine.replay(sequence === undefined ? {} : { to: sequence })).states[projection.name] as S;
  }
  const list = source as readonly unknown[];
  if (list.length > 0 && list.every(isLedgerEvent)) {
    const last = sequence ?? list.length - 1;
    if (last >= list.length) throw new LedgerValidationError('sequence', `only ${list.length} events were given`, sequence);
    const runner = new ProjectionRunner([projection]);
    for (const e of list.slice(0, last + 1)) runner.apply(e);
    return runner.stateOf(projection.name) as S;
  }
  if (list.some(isLedgerEvent)) throw new LedgerValidationError('events', 'expected either all LedgerEvents or all AppendInputs, not a mix');
  const ledger = await Ledger.open(new MemoryStore(), { registry: options.registry ?? EventTypeRegistry.withSeedTypes() });
  try {
    for (const input of list as AppendInput[]) await ledger.append(input);
    if (list.length === 0 && sequence === undefined) return new ProjectionRunner([projection]).stateOf(projection.name) as S;
    return await projectionStateAt(projection, ledger, sequence);
  } finally {
    await ledger.close();
  }
}
