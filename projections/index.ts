// Projections: the consumer's contract, the registry, the runner.
export { defineProjection, checkProjection, type Projection, type AnyProjection, type StateOf } from './projection.js';
export { ProjectionRegistry } from './projectionRegistry.js';
export { ProjectionRunner, type ProjectionStart, type ProjectionStates } from './projectionRunner.js';
export {
  ProjectionError, ProjectionFailedError, DuplicateProjectionError, ProjectionDefinitionError, ProjectionOrderError,
  ProjectionPositionError, type ProjectionErrorCode,
} from './projectionErrors.js';
