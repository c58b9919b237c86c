// One immudb key per event: `<prefix><sequence as 20 zero-padded decimal digits>`.
// Zero padding makes immudb's lexicographic key order equal to sequence order, so a Scan over
// the prefix walks the ledger in order and a descending Scan starts from the tip (immudbStore.ts).

export const SEQUENCE_DIGITS = 20;

export class KeyLayout {
  readonly prefix: string;
  readonly #prefixBytes: Buffer;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.#prefixBytes = Buffer.from(prefix, 'utf8');
  }

  get prefixBytes(): Buffer {
    return this.#prefixBytes;
  }

  keyOf(sequence: number): Buffer {
    if (!Number.isSafeInteger(sequence) || sequence < 0) {
      throw new RangeError(`sequence: ${sequence} is not a non-negative safe integer`);
    }
    return Buffer.from(this.prefix + String(sequence).padStart(SEQUENCE_DIGITS, '0'), 'utf8');
  }

  /** The largest possible key of this layout: the upper bound of a descending scan. */
  get lastPossibleKey(): Buffer {
    return Buffer.from(this.prefix + '9'.repeat(SEQUENCE_DIGITS), 'utf8');
  }

  /** The sequence a key encodes, or undefined if the key is not of this layout. */
  sequenceOf(key: Buffer): number | undefined {
    if (key.length !== this.#prefixBytes.length + SEQUENCE_DIGITS) return undefined;
    if (!key.subarray(0, this.#prefixBytes.length).equals(this.#prefixBytes)) return undefined;
    const digits = key.subarray(this.#prefixBytes.length).toString('latin1');
    if (!/^\d+$/.test(digits)) return undefined;
    const sequence = Number(digits);
    return Number.isSafeInteger(sequence) ? sequence : undefined;
  }

  describeKey(key: Buffer): string {
    return JSON.stringify(key.toString('utf8'));
  }
}

// Index keys (issue 13), beside the events like the Merkle tree's, never under the events'
// prefix (whose scans would see them): `index/<escaped event prefix>/<kind>/...`. Every user
// string in a key is escaped so that it holds no "/" (see escapeKeyPart): the "/" after a part
// always ends it, so a stream id containing "/" or looking like a version can never make a key of
// one stream (or kind, or ledger) read as a key of another. Each key is written once, in the
// event's own ExecAll, and its value is the IndexValue of the event (indexValue below).
//   e/<event_id>                        the event holding that id
//   h/<hash>                            the event with that hash
//   s/<stream_id>/<version, 20 digits>  the stream's events in version order
//   t/<event_type>/<sequence>           by type, in sequence order
//   a/<actor>/<sequence>                by provenance actor
//   f/<framework_id>/<sequence>         by provenance framework
//   m/<timestamp>/<sequence>            by the ledger's own timestamp (never going backwards)
//   q/<sequence>                        every event: the index's own tip, and unfiltered queries

/** Escapes "%" and "/" (a prefix-free code: escaped a is a prefix of escaped b iff a is of b). */
export function escapeKeyPart(part: string): string {
  return part.replace(/%/g, '%25').replace(/\//g, '%2F');
}

export function unescapeKeyPart(part: string): string | undefined {
  if (part.includes('/') || /%(?!25|2F)/.test(part)) return undefined;
  return part.replace(/%2F/g, '/').replace(/%25/g, '%');
}

const pad = (n: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`index key number: ${n} is not a non-negative safe integer`);
  return String(n).padStart(SEQUENCE_DIGITS, '0');
};

/** The kinds of keys that end in a sequence number and are scanned by query(). */
export type QueryKind = 't' | 'a' | 'f' | 'm' | 'q';

/** A parsed index key. */
export type IndexKey =
  | { readonly kind: 'e'; readonly event_id: string }
  | { readonly kind: 'h'; readonly hash: string }
  | { readonly kind: 's'; readonly stream_id: string; readonly version: number }
  | { readonly kind: QueryKind; readonly value: string; readonly sequence: number };

export class IndexKeyLayout {
  /** `index/<escaped event prefix>/`: no other ledger's base is a prefix of this one. */
  readonly base: string;

  constructor(eventPrefix: string) {
    this.base = `index/${escapeKeyPart(eventPrefix)}/`;
  }

  #key(text: string): Buffer {
    return Buffer.from(this.base + text, 'utf8');
  }

  eventId(eventId: string): Buffer {
    return this.#key(`e/${escapeKeyPart(eventId)}`);
  }

  hash(hash: string): Buffer {
    return this.#key(`h/${escapeKeyPart(hash)}`);
  }

  stream(streamId: string, version: number): Buffer {
    return this.#key(`s/${escapeKeyPart(streamId)}/${pad(version)}`);
  }

  /** Every key of one stream. */
  streamPrefix(streamId: string): Buffer {
    return this.#key(`s/${escapeKeyPart(streamId)}/`);
  }

  /** The key of kind `kind` for `value` at `sequence` (`q` has no value). */
  query(kind: QueryKind, value: string, sequence: number): Buffer {
    return this.#key(kind === 'q' ? `q/${pad(sequence)}` : `${kind}/${escapeKeyPart(value)}/${pad(sequence)}`);
  }

  /** Every key of kind `kind` for `value`, in sequence order. */
  queryPrefix(kind: QueryKind, value: string): Buffer {
    return this.#key(kind === 'q' ? 'q/' : `${kind}/${escapeKeyPart(value)}/`);
  }

  /** Every key of one kind. */
  kindPrefix(kind: 'e' | 'h' | 's' | QueryKind): Buffer {
    return this.#key(`${kind}/`);
  }

  /** Keys of the time index from `timestamp` on (`m/<timestamp>`: every later timestamp sorts after it). */
  timeFrom(timestamp: string): Buffer {
    return this.#key(`m/${escapeKeyPart(timestamp)}`);
  }

  /** Just above every time key of `timestamp` ("0" follows "/" in byte order). */
  timeAfter(timestamp: string): Buffer {
    return this.#key(`m/${escapeKeyPart(timestamp)}0`);
  }

  /** Parses a key of this layout; undefined if it is not one (foreign, malformed, another ledger's). */
  parse(key: Buffer): IndexKey | undefined {
    const text = key.toString('utf8');
    if (!text.startsWith(this.base) || !Buffer.from(text, 'utf8').equals(key)) return undefined;
    const parts = text.slice(this.base.length).split('/');
    const number = (digits: string | undefined): number | undefined =>
      digits !== undefined && digits.length === SEQUENCE_DIGITS && /^\d+$/.test(digits) && Number.isSafeInteger(Number(digits)) ? Number(digits) : undefined;
    const [kind, a, b] = parts;
    switch (kind) {
      case 'e': case 'h': {
        const value = parts.length === 2 ? unescapeKeyPart(a!) : undefined;
        if (value === undefined) return undefined;
        return kind === 'e' ? { kind, event_id: value } : { kind, hash: value };
      }
      case 's': {
        const stream_id = parts.length === 3 ? unescapeKeyPart(a!) : undefined;
        const version = number(b);
        return stream_id === undefined || version === undefined ? undefined : { kind, stream_id, version };
      }
      case 'q': {
        const sequence = parts.length === 2 ? number(a) : undefined;
        return sequence === undefined ? undefined : { kind, value: '', sequence };
      }
      case 't': case 'a': case 'f': case 'm': {
        const value = parts.length === 3 ? unescapeKeyPart(a!) : undefined;
        const sequence = number(b);
        return value === undefined || sequence === undefined ? undefined : { kind, value, sequence };
      }
      default:
        return undefined;
    }
  }

  describeKey(key: Buffer): string {
    return JSON.stringify(key.toString('utf8'));
  }
}
