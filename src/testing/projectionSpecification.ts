// Given/then for projections: the state a projection reaches after some events, in one line.
import assert from 'node:assert/strict';
import type { Projection } from '../../projections/projection.js';
import { assertErrorMatches, type ErrorMatcher } from './deciderSpecification.js';
import { projectionStateAt, type EventSource, type ProjectionStateAtOptions } from './projectionStateAt.js';

/** The expectations on a projection folded over some events. */
export interface ProjectionGiven<S> {
  /** The state after every given event deep-equals `expected` (strictly). */
  thenState(expected: S): Promise<void>;
  /** Folding the events throws: an instance of the class, or a value the predicate accepts (ProjectionFailedError names the projection and sequence). */
  thenThrows(matcher?: ErrorMatcher): Promise<void>;
}

/**
 * Given/then tests for a projection: the state it reaches after some events, or its error.
 *
 * @example
 * const given = ProjectionSpecification.for(graphProjection);
 * await given([nodeCreation('a', 'concept')]).thenState({ nodes: { a: { ... } } });
 */
export const ProjectionSpecification = {
  /** A `given(events)` function over `projection`; events are append inputs, LedgerEvents or a Ledger. */
  for<S>(projection: Projection<S, any>, options: ProjectionStateAtOptions = {}): (events: EventSource) => ProjectionGiven<S> {
    return (events) => ({
      async thenState(expected) {
        assert.deepStrictEqual(await projectionStateAt(projection, events, undefined, options), expected);
      },
      async thenThrows(matcher) {
        let state: S;
        try {
          state = await projectionStateAt(projection, events, undefined, options);
        } catch (e) {
          assertErrorMatches(e, matcher, `projection "${projection.name}"`);
          return;
        }
        assert.fail(`projection "${projection.name}" reached ${JSON.stringify(state)}, expected it to throw`);
      },
    });
  },
};
