// Projections: the consumer's contract, the registry, the runner.
export {
  defineProjection, checkProjection, isMutableProjection, type Projection, type PureProjection, type MutableProjection, type ProjectionBase,
  type ProjectionBuilder, type AnyProjection, type StateOf, type StatesOf,
} from './projection.js';
export { type EventOf, type TypedEvent, type SeedEvents, type PayloadsOf } from './eventMap.js';
export { ProjectionRegistry } from './projectionRegistry.js';
export { ProjectionRunner, type ProjectionStart, type ProjectionStates, type ProjectionRunnerOptions } from './projectionRunner.js';
export {
  ProjectionError, ProjectionFailedError, DuplicateProjectionError, ProjectionDefinitionError, ProjectionOrderError,
  ProjectionPositionError, type ProjectionErrorCode,
} from './projectionErrors.js';
