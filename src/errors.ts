// Typed errors with a stable `code`, so callers can branch without string matching
// (the sigstore-js BaseError<Code> pattern). Every message names what failed and where.

export type LedgerErrorCode =
  | 'LEDGER_CONNECTION'
  | 'LEDGER_CORRUPTION'
  | 'LEDGER_SEQUENCE'
  | 'LEDGER_SERIALIZATION'
  | 'LEDGER_VALIDATION'
  | 'LEDGER_LOCKED'
  | 'LEDGER_NOT_FOUND'
  | 'LEDGER_PROOF';

export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The store cannot be reached (immudb down, directory missing, database not bootstrapped). */
export class LedgerConnectionError extends LedgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LEDGER_CONNECTION', message, options);
  }
}

/** Stored data fails verification; `sequence` is the first sequence found broken. */
export class LedgerCorruptionError extends LedgerError {
  readonly sequence: number;
  constructor(sequence: number, message: string, options?: { cause?: unknown }) {
    super('LEDGER_CORRUPTION', `sequence ${sequence}: ${message}`, options);
    this.sequence = sequence;
  }
}

/** The tip moved under an append (another writer): nothing was written; re-read the tip. */
export class LedgerSequenceError extends LedgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LEDGER_SEQUENCE', message, options);
  }
}

/** A value cannot be written as canonical JSON; `path` locates it, e.g. `payload.items[2].price`. */
export class LedgerSerializationError extends LedgerError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('LEDGER_SERIALIZATION', `${path || '(root)'}: ${message}`);
    this.path = path;
  }
}

/** Append input does not match the event schema; `path` names the field, `value` what was given. */
export class LedgerValidationError extends LedgerError {
  readonly path: string;
  readonly value: unknown;
  constructor(path: string, message: string, value?: unknown) {
    super('LEDGER_VALIDATION', `${path || '(root)'}: ${message}`);
    this.path = path;
    this.value = value;
  }
}

/** Another process holds the single-writer lock of a directory store. */
export class LedgerLockedError extends LedgerError {
  readonly holder: string;
  constructor(holder: string, message: string) {
    super('LEDGER_LOCKED', message);
    this.holder = holder;
  }
}

/** A sequence that the ledger does not (yet) hold was asked for. */
export class LedgerNotFoundError extends LedgerError {
  readonly sequence: number;
  constructor(sequence: number, message: string) {
    super('LEDGER_NOT_FOUND', message);
    this.sequence = sequence;
  }
}

/** What a proof, key, signed note, checkpoint or cosignature check found wrong. */
export type ProofErrorKind =
  | 'malformed_key'
  | 'malformed_note'
  | 'malformed_checkpoint'
  | 'bad_signature'
  | 'unverified'
  | 'bad_proof'
  | 'out_of_range'
  | 'inconsistent'
  | 'split_view'
  | 'quorum';

/**
 * A Merkle proof, signed note, checkpoint or cosignature failed a check; `kind` says which check
 * and `field` names the offending part (e.g. `signer key: key id`, `checkpoint line 2`).
 */
export class LedgerProofError extends LedgerError {
  readonly kind: ProofErrorKind;
  readonly field: string;
  constructor(kind: ProofErrorKind, field: string, message: string, options?: { cause?: unknown }) {
    super('LEDGER_PROOF', `${field}: ${message}`, options);
    this.kind = kind;
    this.field = field;
  }
}

export const isLedgerError = (e: unknown, code?: LedgerErrorCode): e is LedgerError =>
  e instanceof LedgerError && (code === undefined || e.code === code);
