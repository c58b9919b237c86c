// The contract a consumer supplies: a named, versioned fold of ledger events into a state that
// is JSON at its edges (so a snapshot can carry it). `version` says when an old snapshot of it
// can no longer be trusted (a changed fold is rebuilt from genesis).
//
// Two kinds, told apart by their members:
// - pure (`initial` + `apply`): copy-on-write, the state is the JSON value itself;
// - mutable (`init` + `evolve`, optionally `serialize`/`deserialize`): the fold owns a private
//   state it may mutate in place (a Map, a growing index); the runner isolates it and turns it
//   into JSON only when it hands it out (current(), live emissions, snapshots). Folding a
//   growing state this way is linear; copy-on-write of a growing object is quadratic.
import { canonicalJson } from '../src/contract/canonicalJson.js';
import type { LedgerEvent } from '../src/contract/event.js';
import { LedgerSerializationError } from '../src/errors/errors.js';
import { EventTypeRegistry, type CodecMap } from '../src/ledger/eventTypeRegistry.js';
import type { EventOf, PayloadsOf, SeedEvents } from './eventMap.js';
import { ProjectionDefinitionError } from './projectionErrors.js';

/** What both kinds of projection declare. */
export interface ProjectionBase<N extends string = string> {
  /** Unique among the projections of one runner; the key of its state in snapshots and output. */
  readonly name: N;
  /** A positive integer; bump it whenever the fold or the state's shape changes. */
  readonly version: number;
  /**
   * The event types this projection folds; the runner skips every other event (it still
   * advances past it). Listing types also narrows the event type of `apply`/`evolve` to them.
   * Default: every type except the framework's own (`snapshot_created`).
   */
  readonly canHandle?: readonly string[];
  /** Without `canHandle`: also fold the framework's own events (`snapshot_created`). Default false. */
  readonly includeFrameworkEvents?: boolean;
}

/**
 * A pure projection: `apply` folds one event into the state and returns the next state. It
 * must not mutate `state` (return a new value, or the same value when nothing changes): a
 * failed event must leave the previous state intact, and snapshots must be a function of the
 * events alone. Every copy costs the size of the state, so for a state that keeps growing use
 * a mutable projection.
 *
 * @example
 * const count = defineProjection({ name: 'event_count', version: 1, initial: 0, apply: (n: number) => n + 1 });
 */
export interface PureProjection<S = unknown, E = LedgerEvent, N extends string = string> extends ProjectionBase<N> {
  /** The state before any event (a JSON value canonical JSON can carry: no floats). */
  readonly initial: S;
  /** The next state after `event`; pure, and must not mutate `state`. */
  apply(state: S, event: E): S;
}

/**
 * A mutable projection: `evolve` changes a private state in place (or returns a new one). The
 * runner creates it with `init()`, never shares it, and hands out `serialize(state)` as a fresh
 * JSON copy, so nothing outside the projection can see or change the working state.
 * `deserialize` rebuilds the working state from a snapshot's JSON. Without them the working
 * state must itself be JSON (a plain object or array) and is copied on the way in and out.
 *
 * If `evolve` throws, the state may be half-changed: the runner marks it poisoned and refuses
 * to hand it out (ProjectionFailedError naming the projection and the sequence).
 *
 * @example
 * const byNode = defineProjection({
 *   name: 'events_by_node', version: 1, canHandle: ['node_creation', 'signal_delta'],
 *   init: () => new Map<string, number[]>(),
 *   evolve(index, e) {
 *     const list = index.get(e.payload.node_id) ?? [];
 *     list.push(e.sequence);
 *     index.set(e.payload.node_id, list);
 *   },
 *   serialize: (index) => Object.fromEntries(index),
 *   deserialize: (json) => new Map(Object.entries(json)),
 * });
 */
export interface MutableProjection<W = unknown, S = W, E = LedgerEvent, N extends string = string> extends ProjectionBase<N> {
  /** A new working state: called when defined (to check its JSON form) and by each runner that starts from genesis. */
  init(): W;
  /** Folds `event` into `state` in place; a returned value other than undefined replaces the state. */
  evolve(state: W, event: E): NoInfer<W> | void;
  /** The JSON form of the state (default: the state itself, which must then be JSON). */
  serialize?(state: W): S;
  /** The working state from its JSON form (default: a copy of the JSON). */
  deserialize?(json: S): W;
}

/** A projection of state `S` (its JSON form), folding events `E`. */
export type Projection<S = unknown, E = LedgerEvent, N extends string = string> = PureProjection<S, E, N> | MutableProjection<any, S, E, N>;

/** A projection of any state and event type, as runners and registries hold them. */
export type AnyProjection = Projection<any, any, string>;

/** The (JSON) state type of a projection. */
export type StateOf<P> = P extends PureProjection<infer S, any, any> ? S : P extends MutableProjection<any, infer S, any, any> ? S : never;

/** The states of projections `P`, by name: `StatesOf<typeof graph | typeof counts>` is `{ graph: GraphState; counts: ... }`. */
export type StatesOf<P extends AnyProjection> = { readonly [Q in P as Q['name']]: StateOf<Q> };

/** True for a mutable projection (`init` + `evolve`). */
export const isMutableProjection = (p: AnyProjection): p is MutableProjection<any, any, any, string> => typeof (p as { evolve?: unknown }).evolve === 'function';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]*$/;

/** Throws ProjectionDefinitionError naming `field` + the path inside the JSON state. */
function checkJson(value: unknown, field: string, name: string): void {
  try {
    canonicalJson(value, field);
  } catch (e) {
    if (!(e instanceof LedgerSerializationError)) throw e;
    throw new ProjectionDefinitionError(e.path, `projection "${name}": the state must be canonical JSON (no floats, Maps or class instances without serialize): ${e.message}`, value);
  }
}

/**
 * Throws ProjectionDefinitionError naming the field if `p` is not a valid projection. The
 * initial state must serialise as canonical JSON (the error names its path, e.g. `initial.ratio`).
 */
export function checkProjection(p: unknown): asserts p is AnyProjection {
  if (typeof p !== 'object' || p === null) throw new ProjectionDefinitionError('', 'expected a projection object { name, version, initial, apply } or { name, version, init, evolve }', p);
  const q = p as Record<string, unknown>;
  if (typeof q.name !== 'string' || !NAME.test(q.name)) {
    throw new ProjectionDefinitionError('name', 'expected 1-200 characters of letters, digits, _ . : - (starting with a letter or digit)', q.name);
  }
  if (typeof q.version !== 'number' || !Number.isSafeInteger(q.version) || q.version < 1) {
    throw new ProjectionDefinitionError('version', `projection "${q.name}": expected a positive integer`, q.version);
  }
  if (q.canHandle !== undefined) {
    if (!Array.isArray(q.canHandle) || q.canHandle.length === 0) {
      throw new ProjectionDefinitionError('canHandle', `projection "${q.name}": expected a non-empty array of event types`, q.canHandle);
    }
    q.canHandle.forEach((t, i) => {
      if (typeof t !== 'string' || !EVENT_TYPE.test(t)) throw new ProjectionDefinitionError(`canHandle[${i}]`, `projection "${q.name}": expected an event type`, t);
    });
  }
  if (q.includeFrameworkEvents !== undefined && typeof q.includeFrameworkEvents !== 'boolean') {
    throw new ProjectionDefinitionError('includeFrameworkEvents', `projection "${q.name}": expected a boolean`, q.includeFrameworkEvents);
  }
  const pure = 'apply' in q || 'initial' in q;
  const mutable = 'evolve' in q || 'init' in q;
  if (pure && mutable) throw new ProjectionDefinitionError('evolve', `projection "${q.name}": give either initial + apply (pure) or init + evolve (mutable), not both`);
  if (mutable) {
    if (typeof q.init !== 'function') throw new ProjectionDefinitionError('init', `projection "${q.name}": expected a function () => state`, q.init);
    if (typeof q.evolve !== 'function') throw new ProjectionDefinitionError('evolve', `projection "${q.name}": expected a function (state, event) => void`, q.evolve);
    for (const f of ['serialize', 'deserialize'] as const) {
      if (q[f] !== undefined && typeof q[f] !== 'function') throw new ProjectionDefinitionError(f, `projection "${q.name}": expected a function`, q[f]);
    }
    let state: unknown;
    try {
      state = (q.init as () => unknown)();
    } catch (e) {
      throw new ProjectionDefinitionError('init', `projection "${q.name}": init() threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    checkJson(typeof q.serialize === 'function' ? (q.serialize as (s: unknown) => unknown)(state) : state, 'initial', q.name);
    return;
  }
  if (!('initial' in q) || q.initial === undefined) throw new ProjectionDefinitionError('initial', `projection "${q.name}": expected a JSON value`, q.initial);
  if (typeof q.apply !== 'function') throw new ProjectionDefinitionError('apply', `projection "${q.name}": expected a function (state, event) => state`, q.apply);
  checkJson(q.initial, 'initial', q.name);
}

/** A pure projection's definition, its events typed by `canHandle` against the map `M`. */
type PureDefinition<M, S, K extends string, N extends string> = PureProjection<S, EventOf<M, K>, N> & { readonly canHandle?: readonly K[] };
/** A mutable projection's definition, its events typed by `canHandle` against the map `M`. */
type MutableDefinition<M, W, S, K extends string, N extends string> = MutableProjection<W, S, EventOf<M, K>, N> & { readonly canHandle?: readonly K[] };

/** The types listed in `canHandle`, or every type (`string`) when there is no list. */
type Listed<K extends string> = [K] extends [never] ? string : K;

/** `defineProjection<Events>()`: defines projections whose events are typed by the map `M`. */
export interface ProjectionBuilder<M> {
  <S, K extends keyof M & string = never, N extends string = string>(definition: PureDefinition<M, S, Listed<K>, N>): PureProjection<S, EventOf<M, Listed<K>>, N>;
  <W, S = W, K extends keyof M & string = never, N extends string = string>(definition: MutableDefinition<M, W, S, Listed<K>, N>): MutableProjection<W, S, EventOf<M, Listed<K>>, N>;
}

/**
 * Checks a projection and returns it unchanged, inferring its name, state and event types.
 * With `canHandle`, the event is the union of those types (payloads of seed 003's types are
 * typed). `defineProjection(registry, {...})` types them from a registry's codecs, checks that
 * each listed type is registered there (a typo is a compile error and a
 * ProjectionDefinitionError); `defineProjection<MyEvents>()({...})` types them from a map.
 *
 * @example
 * // pure, typed by canHandle
 * const sessions = defineProjection({
 *   name: 'open_sessions', version: 1, canHandle: ['session_start'], initial: [] as string[],
 *   apply: (open, e) => [...open, e.payload.session_id],
 * });
 * // mutable: a growing index, linear to fold
 * const audit = defineProjection({
 *   name: 'audit', version: 1, init: () => [] as string[], evolve: (ids, e) => void ids.push(e.event_id),
 * });
 * // typed by the ledger's registry (no curried form): e.payload.amount is the codec's type
 * const total = defineProjection(registry, { name: 'total', version: 1, canHandle: ['receipt_committed'], initial: 0, apply: (n, e) => n + e.payload.amount });
 * // with the consumer's own event map
 * const graph = defineProjection<GraphEvents>()({ name: 'graph', version: 1, canHandle: ['node_creation'], ... });
 */
export function defineProjection<M>(): ProjectionBuilder<M>;
export function defineProjection<M extends CodecMap, S, K extends keyof M & string = never, N extends string = string>(
  registry: EventTypeRegistry<M>,
  definition: PureDefinition<PayloadsOf<M>, S, Listed<K>, N>,
): PureProjection<S, EventOf<PayloadsOf<M>, Listed<K>>, N>;
export function defineProjection<M extends CodecMap, W, S = W, K extends keyof M & string = never, N extends string = string>(
  registry: EventTypeRegistry<M>,
  definition: MutableDefinition<PayloadsOf<M>, W, S, Listed<K>, N>,
): MutableProjection<W, S, EventOf<PayloadsOf<M>, Listed<K>>, N>;
export function defineProjection<S, K extends string = never, N extends string = string>(
  definition: PureDefinition<SeedEvents, S, Listed<K>, N>,
): PureProjection<S, EventOf<SeedEvents, Listed<K>>, N>;
export function defineProjection<W, S = W, K extends string = never, N extends string = string>(
  definition: MutableDefinition<SeedEvents, W, S, Listed<K>, N>,
): MutableProjection<W, S, EventOf<SeedEvents, Listed<K>>, N>;
export function defineProjection(first?: unknown, second?: unknown): unknown {
  if (first === undefined) return (d: unknown) => defineProjection(d as never);
  if (!(first instanceof EventTypeRegistry)) {
    checkProjection(first);
    return first;
  }
  checkProjection(second);
  second.canHandle?.forEach((type, i) => {
    if (!first.has(type)) throw new ProjectionDefinitionError(`canHandle[${i}]`, `projection "${second.name}": "${type}" is not registered in the registry given`, type);
  });
  return second;
}
