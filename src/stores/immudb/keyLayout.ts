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
