// Errors of the projection layer: LedgerErrors with a PROJECTION_* code, each naming what
// failed: the projection, the sequence, the field and the value.
import { LedgerError, type ProjectionErrorCode } from '../src/errors/errors.js';

export type { ProjectionErrorCode };

/** The base of the projection layer's errors: a `LedgerError` with a `PROJECTION_*` code. */
export class ProjectionError extends LedgerError {
  declare readonly code: ProjectionErrorCode;
  constructor(code: ProjectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A projection's `apply` threw: the runner stopped before `sequence`; no state after it is exposed. */
export class ProjectionFailedError extends ProjectionError {
  constructor(
    readonly projection: string,
    readonly sequence: number,
    cause: unknown,
  ) {
    super('PROJECTION_FAILED', `projection "${projection}" failed at sequence ${sequence}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Two projections with the same name were registered. */
export class DuplicateProjectionError extends ProjectionError {
  constructor(readonly projection: string) {
    super('PROJECTION_DUPLICATE', `name: a projection named "${projection}" is already registered`);
  }
}

/** A projection object is malformed; `field` names what is wrong, `value` what was given. */
export class ProjectionDefinitionError extends ProjectionError {
  constructor(
    readonly field: string,
    message: string,
    readonly value?: unknown,
  ) {
    super('PROJECTION_DEFINITION', `${field || '(projection)'}: ${message}`);
  }
}

/** An event reached a runner out of order (a gap or a repeat): projections see each event once, in order. */
export class ProjectionOrderError extends ProjectionError {
  constructor(
    readonly expected: number,
    readonly sequence: number,
  ) {
    super('PROJECTION_ORDER', `sequence: expected event ${expected}, got ${sequence}`);
  }
}

/** `current()` was asked while a projection that started from a newer snapshot is still ahead of the runner. */
export class ProjectionPositionError extends ProjectionError {
  constructor(
    readonly projection: string,
    readonly position: number,
    readonly runnerPosition: number,
  ) {
    super('PROJECTION_POSITION', `projection "${projection}" is at sequence ${position}, the runner at ${runnerPosition}: fold up to ${position} first`);
  }
}
