// The Zeroth VM (seed 002), reduced to what the ledger needs to show: a deterministic machine
// whose every iteration is one record. OBSERVE shifts the projection toward what was observed;
// every COLLAPSE_EVERY-th iteration is a COLLAPSE that fixes the dominant state and moves the
// price. Integers only (canonical JSON carries no floats): weights are percentages.
import * as t from 'io-ts';

export const COLLAPSE_EVERY = 5;
const STATES = ['HELLO', 'WORLD'] as const;
type Symbol = (typeof STATES)[number];

export interface VmState {
  /** Iterations done (the next record's iteration is this + 1). */
  readonly iteration: number;
  /** Percentages summing to 100. */
  readonly projection: Readonly<Record<Symbol, number>>;
  readonly dominant_state: Symbol;
  readonly price: number;
}

export const INITIAL_STATE: VmState = { iteration: 0, projection: { HELLO: 50, WORLD: 50 }, dominant_state: 'HELLO', price: 1000 };

const Sym = t.keyof({ HELLO: null, WORLD: null });
export interface SafeIntBrand {
  readonly SafeInt: unique symbol;
}
/** A JSON integer every language reads back exactly (the byte contract's range). */
const Int = t.brand(t.number, (n): n is t.Branded<number, SafeIntBrand> => Number.isSafeInteger(n), 'SafeInt');
/** The records' payloads as the registry checks them ("_signature" is allowed beside them). */
export const ObservePayload = t.type({ iteration: Int, observed: Sym, projection: t.type({ HELLO: Int, WORLD: Int }) }, 'zeroth_observe payload');
export const CollapsePayload = t.type({ iteration: Int, dominant_state: Sym, price: Int }, 'zeroth_collapse payload');
/** A decoded type with its brands taken off: what the VM builds before the registry checks it. */
type Unbranded<T> = T extends t.Branded<infer A, unknown> ? A : T extends object ? { [K in keyof T]: Unbranded<T[K]> } : T;
export type ObservePayload = Unbranded<t.TypeOf<typeof ObservePayload>>;
export type CollapsePayload = Unbranded<t.TypeOf<typeof CollapsePayload>>;

export type VmRecord = { event_type: 'zeroth_observe'; payload: ObservePayload } | { event_type: 'zeroth_collapse'; payload: CollapsePayload };

/** A small deterministic generator from (seed, iteration): no clock, no Math.random. */
function observation(seed: number, iteration: number): Symbol {
  const x = (Math.imul(seed ^ iteration, 2654435761) >>> 0) % 100;
  return x < 60 ? 'HELLO' : 'WORLD';
}

/** The record the VM writes for its next iteration. */
export function step(state: VmState, seed: number): VmRecord {
  const iteration = state.iteration + 1;
  if (iteration % COLLAPSE_EVERY === 0) {
    const dominant_state: Symbol = state.projection.HELLO >= state.projection.WORLD ? 'HELLO' : 'WORLD';
    const price = state.price + (state.projection[dominant_state] - 50);
    return { event_type: 'zeroth_collapse', payload: { iteration, dominant_state, price } };
  }
  const observed = observation(seed, iteration);
  const other: Symbol = observed === 'HELLO' ? 'WORLD' : 'HELLO';
  const shift = Math.min(10, state.projection[other]);
  const projection = { ...state.projection, [observed]: state.projection[observed] + shift, [other]: state.projection[other] - shift } as Record<Symbol, number>;
  return { event_type: 'zeroth_observe', payload: { iteration, observed, projection } };
}

/** The state after `record`: replay's fold, the same function the VM runs live. */
export function apply(state: VmState, record: VmRecord): VmState {
  return record.event_type === 'zeroth_observe'
    ? { ...state, iteration: record.payload.iteration, projection: record.payload.projection }
    : { ...state, iteration: record.payload.iteration, dominant_state: record.payload.dominant_state, price: record.payload.price };
}
