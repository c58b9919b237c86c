// Folds events into every registered projection, once each, in sequence order (the rxjs
// `scan` of the framework). Each projection may start at its own position (from a snapshot
// or from genesis); an event is applied only to projections that have not yet seen it and
// that handle its type.
import { canonicalJson } from '../src/contract/canonicalJson.js';
import type { LedgerEvent } from '../src/contract/event.js';
import type { UpcasterRegistry } from '../src/ledger/upcasters.js';
import { EventTypeRegistry } from '../src/ledger/eventTypeRegistry.js';
import { isMutableProjection, type AnyProjection, type PureProjection } from './projection.js';
import { ProjectionRegistry } from './projectionRegistry.js';
import { ProjectionFailedError, ProjectionOrderError, ProjectionPositionError } from './projectionErrors.js';

/** Where a projection starts: its (JSON) state after event `sequence` (-1: the initial state). */
export interface ProjectionStart {
  readonly sequence: number;
  readonly state: unknown;
}

/** The states of all projections after event `sequence` (-1: before any event). */
export interface ProjectionStates<T extends object = Readonly<Record<string, unknown>>> {
  readonly sequence: number;
  readonly states: Readonly<T>;
}

export interface ProjectionRunnerOptions {
  /** Old events are upcast to their current shape before any projection sees them. */
  readonly upcasters?: UpcasterRegistry;
}

interface Slot {
  readonly projection: AnyProjection;
  readonly mutable: boolean;
  readonly handles: (eventType: string) => boolean;
  position: number;
  /** Pure: the JSON state. Mutable: the private working state, never handed out as is. */
  state: unknown;
  /** Events folded by this runner; a pure state is checked as JSON after folds 1, 2, 4, 8... */
  folds: number;
  nextCheck: number;
  /** Mutable: the last JSON copy handed out, valid while `position` is unchanged. */
  handedOut: { readonly position: number; readonly value: unknown } | undefined;
  /** Mutable: `evolve` threw on this state, which may be half-changed; it is never handed out. */
  poisoned: boolean;
}

function handlerOf(p: AnyProjection): (eventType: string) => boolean {
  if (p.canHandle) {
    const types = new Set(p.canHandle);
    return (t) => types.has(t);
  }
  // The framework's own events (types it reserved, e.g. a snapshot's record) are hidden unless asked for:
  // taking a snapshot must not change a user's state.
  return p.includeFrameworkEvents ? () => true : (t) => !EventTypeRegistry.isReserved(t);
}

/** A detached JSON copy of `value`, or LedgerSerializationError naming the path under `state`. */
const jsonCopy = (value: unknown): unknown => JSON.parse(canonicalJson(value, 'state'));

/**
 * Runs projections over events fed one at a time. If a fold throws, or produces a state that
 * is not canonical JSON, the runner stops and the error (ProjectionFailedError) names the
 * projection and the sequence; no state after that event is exposed: `current()` still reports
 * the pure states before it, and refuses (throws the error) if a mutable state was touched.
 *
 * Cost: a pure state is handed out as is and checked as JSON after its 1st, 2nd, 4th, 8th...
 * fold (a doubling schedule: the checks cost at most about twice the final state's size in
 * total, so folding stays linear); a float that appears later is still refused by the
 * snapshot writer. A mutable state is serialised, checked and copied once per hand-out
 * (`current()`, `stateOf()`), and only if it changed since the last one.
 *
 * @example
 * const runner = new ProjectionRunner([count]);
 * for (const e of events) runner.apply(e);
 * runner.current(); // { sequence: events.length - 1, states: { event_count: events.length } }
 */
export class ProjectionRunner {
  private readonly slots: Slot[];
  private readonly pure: Slot[];
  private readonly mutable: Slot[];
  private readonly upcasters: UpcasterRegistry | undefined;
  private position: number;
  private failure: ProjectionFailedError | undefined;

  constructor(projections: ProjectionRegistry | Iterable<AnyProjection>, starts: ReadonlyMap<string, ProjectionStart> = new Map(), options: ProjectionRunnerOptions = {}) {
    this.upcasters = options.upcasters;
    this.slots = ProjectionRegistry.from(projections).list().map((projection) => {
      const start = starts.get(projection.name);
      const mutable = isMutableProjection(projection);
      let state: unknown;
      if (mutable) {
        // The snapshot's JSON is copied before deserialising: the working state shares nothing.
        if (start) state = projection.deserialize ? projection.deserialize(structuredClone(start.state)) : structuredClone(start.state);
        else state = projection.init();
      } else {
        // A private copy of `initial`, so an impure fold cannot damage the projection's definition.
        state = start ? start.state : structuredClone(projection.initial);
      }
      return { projection, mutable, handles: handlerOf(projection), position: start ? start.sequence : -1, state, folds: 0, nextCheck: 1, handedOut: undefined, poisoned: false };
    });
    this.pure = this.slots.filter((s) => !s.mutable);
    this.mutable = this.slots.filter((s) => s.mutable);
    this.position = this.slots.length === 0 ? -1 : Math.min(...this.slots.map((s) => s.position));
  }

  /** The sequence of the last event fed (-1 before any). */
  get sequence(): number {
    return this.position;
  }

  /** Set once a fold has failed; the runner accepts no more events. */
  get failed(): ProjectionFailedError | undefined {
    return this.failure;
  }

  /** Folds `event`, which must be the next sequence; throws ProjectionFailedError or ProjectionOrderError. */
  apply(stored: LedgerEvent): void {
    if (this.failure) throw this.failure;
    const sequence = stored.sequence;
    if (sequence !== this.position + 1) throw new ProjectionOrderError(this.position + 1, sequence);
    const event = this.upcasters ? this.upcasters.upcast(stored) : stored;
    // Pure folds first, computed before any is committed: if one throws, no state has changed.
    const next: unknown[] = new Array(this.pure.length);
    for (let i = 0; i < this.pure.length; i++) {
      const slot = this.pure[i]!;
      next[i] = slot.state;
      if (slot.position >= sequence || !slot.handles(event.event_type)) continue;
      try {
        next[i] = (slot.projection as PureProjection<unknown, LedgerEvent>).apply(slot.state, event);
        if (++slot.folds === slot.nextCheck) {
          slot.nextCheck *= 2;
          canonicalJson(next[i], 'state');
        }
      } catch (e) {
        throw this.fail(slot, sequence, e);
      }
    }
    // Then the mutable ones, in place: a throw poisons the states already changed by this event.
    for (let i = 0; i < this.mutable.length; i++) {
      const slot = this.mutable[i]!;
      if (slot.position >= sequence || !slot.handles(event.event_type)) continue;
      try {
        const replaced = (slot.projection as { evolve(s: unknown, e: LedgerEvent): unknown }).evolve(slot.state, event);
        if (replaced !== undefined) slot.state = replaced;
      } catch (e) {
        for (let j = 0; j <= i; j++) {
          const touched = this.mutable[j]!;
          if (touched.position < sequence && touched.handles(event.event_type)) touched.poisoned = true;
        }
        throw this.fail(slot, sequence, e);
      }
    }
    for (let i = 0; i < this.pure.length; i++) this.pure[i]!.state = next[i];
    for (const slot of this.slots) if (slot.position < sequence) slot.position = sequence;
    this.position = sequence;
  }

  private fail(slot: Slot, sequence: number, cause: unknown): ProjectionFailedError {
    this.failure = new ProjectionFailedError(slot.projection.name, sequence, cause);
    return this.failure;
  }

  /** The JSON state of `slot` as it may leave the runner. */
  private handOut(slot: Slot): unknown {
    if (!slot.mutable) return slot.state;
    if (slot.poisoned) throw this.failure!;
    if (slot.handedOut?.position === slot.position) return slot.handedOut.value;
    const p = slot.projection as { serialize?(s: unknown): unknown };
    let value: unknown;
    try {
      value = jsonCopy(p.serialize ? p.serialize(slot.state) : slot.state);
    } catch (e) {
      // The state after event `position` cannot be carried: the runner stops there.
      slot.poisoned = true;
      throw this.fail(slot, slot.position, e);
    }
    slot.handedOut = { position: slot.position, value };
    return value;
  }

  /** The (JSON) state of one projection, or undefined if no projection has that name. */
  stateOf(name: string): unknown {
    const slot = this.slots.find((s) => s.projection.name === name);
    return slot && this.handOut(slot);
  }

  /**
   * Every projection's state at `sequence`. Throws if a projection that started from a newer
   * snapshot is still ahead of the others (the runner has not caught up to it yet), or the
   * ProjectionFailedError if a mutable state was left half-changed by a failed event.
   */
  current(): ProjectionStates {
    const states: Record<string, unknown> = {};
    for (const slot of this.slots) {
      if (slot.position !== this.position) {
        throw new ProjectionPositionError(slot.projection.name, slot.position, this.position);
      }
      states[slot.projection.name] = this.handOut(slot);
    }
    return { sequence: this.position, states };
  }

  /** The projections, in registration order. */
  projections(): AnyProjection[] {
    return this.slots.map((s) => s.projection);
  }
}
