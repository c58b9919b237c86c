// The bytes of a snapshot (and of a checkpoint): one canonical JSON object, no trailing
// newline, so that its SHA-256 is a function of its content alone. See docs/snapshots.md.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { canonicalJson } from '../src/contract/canonicalJson.js';
import { HashString, Sequence } from '../src/contract/event.js';
import { describeCodec, toValidationError } from '../src/contract/validation.js';
import { SnapshotError } from './snapshotErrors.js';

/** The `format` field: tells a snapshot file from any other JSON. */
export const SNAPSHOT_FORMAT = 'fmwk-ledger/snapshot';
/** Bumped on any incompatible change of the layout below; readers refuse other versions. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** One projection's state as stored. */
export interface SnapshotProjection {
  readonly name: string;
  readonly version: number;
  readonly state: unknown;
}

/** The content of a snapshot or checkpoint file. */
export interface SnapshotDocument {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly format_version: number;
  /** `snapshot`: recorded in the ledger by a snapshot_created event; `checkpoint`: a consumer's own. */
  readonly kind: 'snapshot' | 'checkpoint';
  /** The states are the states after this event. */
  readonly sequence: number;
  /** The hash of event `sequence`: the snapshot is only valid on a ledger holding that event. */
  readonly anchor_hash: string;
  /** Sorted by name. */
  readonly projections: readonly SnapshotProjection[];
}

interface PositiveIntBrand {
  readonly PositiveInt: unique symbol;
}
const Version = describeCodec(t.brand(t.Int, (n): n is t.Branded<t.Int, PositiveIntBrand> => n >= 1 && Number.isSafeInteger(n), 'PositiveInt'), 'a positive integer');

const SnapshotDocumentCodec = t.strict({
  format: t.literal(SNAPSHOT_FORMAT),
  format_version: t.literal(SNAPSHOT_FORMAT_VERSION),
  kind: t.keyof({ snapshot: null, checkpoint: null }),
  sequence: Sequence,
  anchor_hash: HashString,
  projections: t.array(t.strict({ name: t.string, version: Version, state: t.unknown })),
}, 'SnapshotDocument');

/** Canonical JSON bytes of `doc`, projections sorted by name; throws LedgerSerializationError naming the state path that is not JSON. */
export function encodeSnapshot(doc: Omit<SnapshotDocument, 'format' | 'format_version'>): Buffer {
  const projections = [...doc.projections].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const full: SnapshotDocument = { format: SNAPSHOT_FORMAT, format_version: SNAPSHOT_FORMAT_VERSION, ...doc, projections };
  return Buffer.from(canonicalJson(full, 'snapshot'), 'utf8');
}

/**
 * Parses and checks snapshot bytes: valid UTF-8 JSON, exactly this format and version, and
 * canonical (re-encoding gives the same bytes). Throws SnapshotError(SNAPSHOT_INVALID).
 */
export function decodeSnapshot(bytes: Uint8Array): SnapshotDocument {
  const text = Buffer.from(bytes).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError('SNAPSHOT_INVALID', '(file)', `not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  const decoded = SnapshotDocumentCodec.decode(parsed);
  if (isLeft(decoded)) {
    const v = toValidationError(decoded.left);
    throw new SnapshotError('SNAPSHOT_INVALID', v.path || '(root)', v.message, v.value);
  }
  let canonical: string;
  try {
    canonical = canonicalJson(parsed);
  } catch (e) {
    throw new SnapshotError('SNAPSHOT_INVALID', '(file)', `not representable as canonical JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (canonical !== text) throw new SnapshotError('SNAPSHOT_INVALID', '(file)', 'bytes are not canonical JSON (keys sorted, no whitespace)');
  return decoded.right as SnapshotDocument;
}
