// Errors of the snapshot layer: LedgerErrors with a SNAPSHOT_* code and the field and value at fault.
import { LedgerError, type SnapshotErrorCode } from '../src/errors/errors.js';

export type { SnapshotErrorCode };

/**
 * SNAPSHOT_INVALID: a snapshot or checkpoint file failed a check (`field` names which, `value`
 * what was found). Replay never throws it: it skips the file with a warning.
 * SNAPSHOT_UNAVAILABLE: a snapshot cannot be taken or located (empty ledger, no directory).
 */
export class SnapshotError extends LedgerError {
  declare readonly code: SnapshotErrorCode;
  constructor(
    code: SnapshotErrorCode,
    readonly field: string,
    message: string,
    readonly value?: unknown,
    options?: { cause?: unknown },
  ) {
    super(code, `${field}: ${message}`, options);
  }
}
