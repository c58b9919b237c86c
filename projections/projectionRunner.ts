// Folds events into every registered projection, once each, in sequence order (the rxjs
// `scan` of the framework). Each projection may start at its own position (from a snapshot
// or from genesis); an event is applied only to projections that have not yet seen it.
import type { LedgerEvent } from '../src/contract/event.js';
import type { AnyProjection } from './projection.js';
import { ProjectionRegistry } from './projectionRegistry.js';
import { ProjectionFailedError, ProjectionOrderError, ProjectionPositionError } from './projectionErrors.js';

/** Where a projection starts: its state after event `sequence` (-1: the initial state). */
export interface ProjectionStart {
  readonly sequence: number;
  readonly state: unknown;
}

/** The states of all projections after event `sequence` (-1: before any event). */
export interface ProjectionStates {
  readonly sequence: number;
  readonly states: Readonly<Record<string, unknown>>;
}

interface Slot {
  readonly projection: AnyProjection;
  position: number;
  state: unknown;
}

/**
 * Runs projections over events fed one at a time. If an `apply` throws, the event is applied
 * to none of them, the runner stops, and the error (ProjectionFailedError) names the projection
 * and the sequence; `current()` still reports the states before that event.
 *
 * @example
 * const runner = new ProjectionRunner([count]);
 * for (const e of events) runner.apply(e);
 * runner.current(); // { sequence: events.length - 1, states: { event_count: events.length } }
 */
export class ProjectionRunner {
  private readonly slots: Slot[];
  private position: number;
  private failure: ProjectionFailedError | undefined;

  constructor(projections: ProjectionRegistry | Iterable<AnyProjection>, starts: ReadonlyMap<string, ProjectionStart> = new Map()) {
    this.slots = ProjectionRegistry.from(projections).list().map((projection) => {
      const start = starts.get(projection.name);
      // A private copy of `initial`, so an impure fold cannot damage the projection's definition.
      return start ? { projection, position: start.sequence, state: start.state } : { projection, position: -1, state: structuredClone(projection.initial) };
    });
    this.position = this.slots.length === 0 ? -1 : Math.min(...this.slots.map((s) => s.position));
  }

  /** The sequence of the last event fed (-1 before any). */
  get sequence(): number {
    return this.position;
  }

  /** Set once an `apply` has thrown; the runner accepts no more events. */
  get failed(): ProjectionFailedError | undefined {
    return this.failure;
  }

  /** Folds `event`, which must be the next sequence; throws ProjectionFailedError or ProjectionOrderError. */
  apply(event: LedgerEvent): void {
    if (this.failure) throw this.failure;
    const sequence = event.sequence;
    if (sequence !== this.position + 1) throw new ProjectionOrderError(this.position + 1, sequence);
    // Compute every next state before committing any: a throw leaves all states as they were.
    const next: unknown[] = new Array(this.slots.length);
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (slot.position >= sequence) {
        next[i] = slot.state;
        continue;
      }
      try {
        next[i] = slot.projection.apply(slot.state, event);
      } catch (e) {
        this.failure = new ProjectionFailedError(slot.projection.name, sequence, e);
        throw this.failure;
      }
    }
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (slot.position < sequence) {
        slot.state = next[i];
        slot.position = sequence;
      }
    }
    this.position = sequence;
  }

  /** The state of one projection, or undefined if no projection has that name. */
  stateOf(name: string): unknown {
    return this.slots.find((s) => s.projection.name === name)?.state;
  }

  /**
   * Every projection's state at `sequence`. Throws if a projection that started from a newer
   * snapshot is still ahead of the others (the runner has not caught up to it yet).
   */
  current(): ProjectionStates {
    const states: Record<string, unknown> = {};
    for (const slot of this.slots) {
      if (slot.position !== this.position) {
        throw new ProjectionPositionError(slot.projection.name, slot.position, this.position);
      }
      states[slot.projection.name] = slot.state;
    }
    return { sequence: this.position, states };
  }

  /** The projections, in registration order. */
  projections(): AnyProjection[] {
    return this.slots.map((s) => s.projection);
  }
}
