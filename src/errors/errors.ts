// Typed errors with a stable `code`, so callers can branch without string matching
// (the sigstore-js BaseError<Code> pattern). Every message names what failed and where.

/**
 * Every code of the framework, in one union: the ledger's, the projections' and the snapshots'
 * (their classes live beside their layers and extend LedgerError, so one guard serves them all).
 */
export type LedgerErrorCode =
  | 'LEDGER_CONNECTION'
  | 'LEDGER_APPEND_UNCERTAIN'
  | 'LEDGER_CORRUPTION'
  | 'LEDGER_SEQUENCE'
  | 'LEDGER_SERIALIZATION'
  | 'LEDGER_VALIDATION'
  | 'LEDGER_LOCKED'
  | 'LEDGER_NOT_FOUND'
  | 'LEDGER_UPCAST'
  | 'LEDGER_UNREADABLE_VALUE'
  | 'LEDGER_LINE_TOO_LONG'
  | 'LEDGER_PROOF'
  | 'LEDGER_STREAM_CONFLICT'
  | 'LEDGER_EVENT_ID_CONFLICT'
  | 'LEDGER_READ_ONLY'
  | 'LEDGER_REPLICA_LAG'
  | 'LEDGER_FAILOVER'
  | 'LEDGER_FILE'
  | 'LEDGER_CONSUMER_CHECKPOINT'
  | ProjectionErrorCode
  | SnapshotErrorCode;

/** Codes of `ProjectionError` (projections/projectionErrors.ts). */
export type ProjectionErrorCode = 'PROJECTION_FAILED' | 'PROJECTION_DUPLICATE' | 'PROJECTION_DEFINITION' | 'PROJECTION_ORDER' | 'PROJECTION_POSITION';

/** Codes of `SnapshotError` (snapshots/snapshotErrors.ts). */
export type SnapshotErrorCode = 'SNAPSHOT_INVALID' | 'SNAPSHOT_UNAVAILABLE';

/**
 * The base of every error the framework throws, with a stable `code` to branch on.
 *
 * @example
 * try { await ledger.append(input); }
 * catch (e) { if (isLedgerError(e, 'LEDGER_SEQUENCE')) retry(); else throw e; }
 */
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

/**
 * An append reached the store but its answer was lost, and the store could not find out within
 * its bounded wait whether the event was stored. It may or may not be: before appending the same
 * input again, look for `event_id` (e.g. `read(sequence)`), which is how the caller reconciles.
 * A LedgerConnectionError (the cause is one), with its own code.
 */
export class LedgerAppendUncertainError extends LedgerConnectionError {
  override readonly code = 'LEDGER_APPEND_UNCERTAIN' as const;
  /** The id the ledger gave the event; it is in the store if the append landed. */
  readonly event_id: string;
  /** The sequence the event was to have (and has, if it landed). */
  readonly sequence: number;
  constructor(event_id: string, sequence: number, message: string, options?: { cause?: unknown }) {
    super(`${message} (event_id ${event_id}, sequence ${sequence})`, options);
    this.event_id = event_id;
    this.sequence = sequence;
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

/**
 * A stream's last version is not what the append expected (issue 13): nothing was written.
 * `expected` is the caller's expected_version (-1: the stream must not exist; "stream_exists":
 * any version), or undefined when the caller named none (another writer appended to the stream
 * between the ledger's read of its head and the write, again on every retry); `actual` the
 * stream's last version now (-1: no such stream). `at` names the event of a batch
 * (`events[3]`), `detail` says more.
 */
export class LedgerStreamConflictError extends LedgerError {
  readonly stream_id: string;
  readonly expected: number | 'stream_exists' | undefined;
  readonly actual: number;
  constructor(stream_id: string, expected: number | 'stream_exists' | undefined, actual: number, options?: { cause?: unknown; at?: string; detail?: string }) {
    const head = `${options?.at ? `${options.at}: ` : ''}stream ${JSON.stringify(stream_id)}: `;
    const last = `its last version is ${actual}${actual === -1 ? ' (no such stream)' : ''}`;
    const what =
      expected === undefined ? `no expected version was given, but another writer appended to it first (${last})` :
      expected === 'stream_exists' ? `expected the stream to exist, but ${last}` :
      `expected version ${expected}, but ${last}`;
    super('LEDGER_STREAM_CONFLICT', `${head}${what}${options?.detail ? `; ${options.detail}` : ''}`, options);
    this.stream_id = stream_id;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The ledger already holds `event_id` (issue 13). A store throws it when its atomic
 * "event id not held" check fails; the ledger turns a retry with the same content into the
 * original result and reports different content with this error: nothing was written.
 */
export class LedgerEventIdConflictError extends LedgerError {
  readonly event_id: string;
  /** The sequence of the event that holds the id, when known. */
  readonly sequence: number | undefined;
  constructor(event_id: string, sequence: number | undefined, message: string, options?: { cause?: unknown }) {
    super('LEDGER_EVENT_ID_CONFLICT', `event_id ${event_id}${sequence === undefined ? '' : ` (sequence ${sequence})`}: ${message}`, options);
    this.event_id = event_id;
    this.sequence = sequence;
  }
}

/** How much of a path (file or field) a message shows: a path can be as long as its input. */
export const SHOWN_PATH_CHARS = 200;

/**
 * `path` as a message shows it: whole up to SHOWN_PATH_CHARS characters, else its start and end
 * around a count of what was left out (the error's own field keeps it whole).
 */
export function shownPath(path: string): string {
  if (path.length <= SHOWN_PATH_CHARS) return path;
  const half = SHOWN_PATH_CHARS / 2;
  return `${path.slice(0, half)}…(${path.length - 2 * half} characters)…${path.slice(-half)}`;
}

/** A value cannot be written as canonical JSON; `path` locates it, e.g. `payload.items[2].price`. */
export class LedgerSerializationError extends LedgerError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('LEDGER_SERIALIZATION', `${shownPath(path) || '(root)'}: ${message}`);
    this.path = path;
  }
}

/** Append input does not match the event schema; `path` names the field, `value` what was given. */
export class LedgerValidationError extends LedgerError {
  readonly path: string;
  readonly value: unknown;
  constructor(path: string, message: string, value?: unknown) {
    super('LEDGER_VALIDATION', `${shownPath(path) || '(root)'}: ${message}`);
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

/**
 * A consumer's checkpoint (its last processed position) cannot be used: the file is not a small
 * regular file (a symlink, a FIFO, a directory), does not hold a checkpoint, names a position
 * past the ledger's tip, or names an event whose hash is not the one the ledger holds there.
 * Nothing is delivered and nothing is skipped: the consumer does not start. `.consumer` names
 * it, `.path` the file (empty for a checkpoint kept elsewhere).
 */
export class LedgerConsumerCheckpointError extends LedgerError {
  readonly consumer: string;
  readonly path: string;
  constructor(consumer: string, path: string, message: string, options?: { cause?: unknown }) {
    super('LEDGER_CONSUMER_CHECKPOINT', message, options);
    this.consumer = consumer;
    this.path = path;
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

/**
 * A stored value that a JavaScript reader cannot return exactly (an integer beyond ±(2^53−1),
 * a non-integer number): reading fails rather than hand back a rounded number. The line may
 * still verify, since verification hashes numbers as written. `path` is e.g. `payload.amount`.
 */
export class LedgerUnreadableValueError extends LedgerError {
  readonly sequence: number;
  readonly path: string;
  constructor(sequence: number, path: string, message: string) {
    super('LEDGER_UNREADABLE_VALUE', `sequence ${sequence}: ${shownPath(path) || '(root)'}: ${message}`);
    this.sequence = sequence;
    this.path = path;
  }
}

/** A line longer than the line reader's limit (MAX_LINE_BYTES): refused, never buffered whole. */
export class LedgerLineTooLongError extends LedgerError {
  /** Byte offset in the file where the line starts. */
  readonly offset: number;
  readonly limit: number;
  constructor(file: string, offset: number, limit: number) {
    super('LEDGER_LINE_TOO_LONG', `${file}: the line starting at byte ${offset} is longer than ${limit} bytes (the line limit)`);
    this.offset = offset;
    this.limit = limit;
  }
}

/** An upcaster threw or produced a payload that is not the registered shape; the stored event is untouched. */
export class LedgerUpcastError extends LedgerError {
  readonly sequence: number;
  readonly eventType: string;
  readonly schemaVersion: string;
  constructor(sequence: number, eventType: string, schemaVersion: string, message: string, options?: { cause?: unknown }) {
    super('LEDGER_UPCAST', `sequence ${sequence}: upcasting ${eventType} ${schemaVersion}: ${message}`, options);
    this.sequence = sequence;
    this.eventType = eventType;
    this.schemaVersion = schemaVersion;
  }
}

/**
 * A file the caller named is not one the ledger may use: a side file to read (a key, a
 * checkpoint, a config) that is not a regular file, is larger than its limit, is not UTF-8 or
 * cannot be read; an output to replace that exists and is not a regular file. Nothing was
 * read into use and nothing written. `option` names where the path came from (`--key`).
 */
export class LedgerFileError extends LedgerError {
  readonly option: string;
  readonly path: string;
  constructor(option: string, path: string, message: string, options?: { cause?: unknown }) {
    super('LEDGER_FILE', `${option} ${JSON.stringify(shownPath(path))}: ${message}`, options);
    this.option = option;
    this.path = path;
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
  | 'quorum'
  /** A witness's or client's state file cannot be read (missing though recorded, malformed, not a regular file). */
  | 'bad_state';

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

/** An append reached a store that takes no writes (an immudb replica); nothing was written. */
export class LedgerReadOnlyError extends LedgerError {
  /** The read-only store, e.g. `immudb://replica:3322/ledger`. */
  readonly store: string;
  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super('LEDGER_READ_ONLY', message, options);
    this.store = store;
  }
}

/**
 * A read that had to see `sequence` (read-your-writes) found the replica still behind it after
 * the bounded wait; `replicaTip` is the replica's last sequence then (-1: empty).
 */
export class LedgerReplicaLagError extends LedgerError {
  readonly replica: string;
  readonly sequence: number;
  readonly replicaTip: number;
  constructor(replica: string, sequence: number, replicaTip: number, waitedMs: number) {
    super('LEDGER_REPLICA_LAG', `${replica}: replica at sequence ${replicaTip}, still behind sequence ${sequence} after ${waitedMs} ms`);
    this.replica = replica;
    this.sequence = sequence;
    this.replicaTip = replicaTip;
  }
}

/** Why a promotion was refused (see {@link LedgerFailoverError}). */
export type FailoverRefusal = 'not-replica' | 'async-replica' | 'primary-reachable';

/**
 * A failover step was refused before anything changed: the database is not a replica, it is an
 * asynchronous one (it may lack acknowledged events), or its old primary still answers (two
 * primaries would fork the ledger).
 */
export class LedgerFailoverError extends LedgerError {
  readonly store: string;
  readonly reason: FailoverRefusal;
  constructor(store: string, reason: FailoverRefusal, message: string) {
    super('LEDGER_FAILOVER', message);
    this.store = store;
    this.reason = reason;
  }
}

/**
 * True for any error of the framework (ledger, projections, snapshots), or for one code only;
 * narrows `code` to it.
 *
 * @example
 * if (isLedgerError(e, 'PROJECTION_FAILED')) retryLater();
 */
export const isLedgerError = <C extends LedgerErrorCode = LedgerErrorCode>(e: unknown, code?: C): e is LedgerError & { readonly code: C } =>
  e instanceof LedgerError && (code === undefined || e.code === code);
