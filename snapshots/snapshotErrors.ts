// Errors of the snapshot layer, with a stable `code` and the field and value at fault.

export type SnapshotErrorCode = 'SNAPSHOT_INVALID' | 'SNAPSHOT_UNAVAILABLE';

/**
 * SNAPSHOT_INVALID: a snapshot or checkpoint file failed a check (`field` names which, `value`
 * what was found). Replay never throws it: it skips the file with a warning.
 * SNAPSHOT_UNAVAILABLE: a snapshot cannot be taken or located (empty ledger, no directory).
 */
export class SnapshotError extends Error {
  constructor(
    readonly code: SnapshotErrorCode,
    readonly field: string,
    message: string,
    readonly value?: unknown,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
    this.name = 'SnapshotError';
  }
}

export const isSnapshotError = (e: unknown, code?: SnapshotErrorCode): e is SnapshotError =>
  e instanceof SnapshotError && (code === undefined || e.code === code);
