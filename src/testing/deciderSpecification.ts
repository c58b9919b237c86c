// Given/when/then for deciders (the decide/evolve pattern, as Emmett's DeciderSpecification):
// the state is folded from the given events, the command is decided against it, and the
// events it produces (or the error it throws) are compared with the expectation.
import assert from 'node:assert/strict';

/** A decider: `decide` turns a command into events against the current state; `evolve` folds an event into the state. */
export interface Decider<S, C, E> {
  /** The events `command` produces against `state` (one, several or none); throws to refuse it. */
  decide(command: C, state: S): E | readonly E[];
  /** The state after `event`. */
  evolve(state: S, event: E): S;
  /** The state before any event. */
  initialState(): S;
}

/** An Error subclass, or a predicate the thrown value must satisfy. */
export type ErrorMatcher = (abstract new (...args: never[]) => unknown) | ((error: unknown) => boolean);

/** The expectations on what a command did. */
export interface DeciderThen<E> {
  /** The command produced exactly these events, in this order (deep, strict equality). */
  then(expected: E | readonly E[]): void;
  /** The command produced no event. */
  thenNothingHappened(): void;
  /** The command threw: an instance of the class, or a value the predicate accepts. */
  thenThrows(matcher?: ErrorMatcher): void;
}

/** The state folded from the given events, waiting for a command. */
export interface DeciderGiven<C, E> {
  /** Decides `command` against that state (lazily: the expectation runs it). */
  when(command: C): DeciderThen<E>;
}

const isErrorClass = (m: ErrorMatcher): m is abstract new (...args: never[]) => unknown =>
  m === Error || (typeof m.prototype === 'object' && m.prototype instanceof Error);

/** Checks `error` against a matcher; throws an AssertionError that names both when it does not match. */
export function assertErrorMatches(error: unknown, matcher: ErrorMatcher | undefined, what: string): void {
  if (matcher === undefined) return;
  if (isErrorClass(matcher)) {
    assert.ok(error instanceof matcher, `${what} threw ${String(error)}, expected an instance of ${matcher.name}`);
  } else {
    assert.ok((matcher as (e: unknown) => boolean)(error), `${what} threw ${String(error)}, which the predicate rejected`);
  }
}

const asArray = <E>(events: E | readonly E[]): readonly E[] => (Array.isArray(events) ? events : [events as E]);

/**
 * Given/when/then tests for a decider: the events a command produces after some events, or its error.
 *
 * @example
 * const given = DeciderSpecification.for({ decide, evolve, initialState });
 * given([opened('a')]).when({ type: 'close', id: 'a' }).then([closed('a')]);
 * given([]).when({ type: 'close', id: 'a' }).thenThrows(NotOpenError);
 */
export const DeciderSpecification = {
  /** A `given(events)` function over `decider`. */
  for<S, C, E>(decider: Decider<S, C, E>): (events?: readonly E[]) => DeciderGiven<C, E> {
    return (events = []) => ({
      when(command: C): DeciderThen<E> {
        // Decided lazily, so that thenThrows sees the throw rather than `when`.
        const run = (): readonly E[] => asArray(decider.decide(command, events.reduce(decider.evolve, decider.initialState())));
        const produced = (): readonly E[] => {
          try {
            return run();
          } catch (e) {
            assert.fail(`decide threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, expected events`);
          }
        };
        return {
          then: (expected) => assert.deepStrictEqual(produced(), asArray(expected)),
          thenNothingHappened: () => assert.deepStrictEqual(produced(), []),
          thenThrows(matcher) {
            let result: readonly E[];
            try {
              result = run();
            } catch (e) {
              assertErrorMatches(e, matcher, 'decide');
              return;
            }
            assert.fail(`decide returned ${JSON.stringify(result)}, expected it to throw`);
          },
        };
      },
    });
  },
};
