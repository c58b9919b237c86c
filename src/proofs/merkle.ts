// RFC 6962 section 2.1 Merkle tree over the ledger's events, with proofs generated from a
// store of hashes and checked with the RFC 9162 section 2.1.3-2.1.4 algorithms.
//
// Stored-hash layout: every complete subtree is stored once, in the order it becomes complete.
// Appending leaf m writes its leaf hash, then the hash of every subtree that leaf m completes
// (levels 1, 2, … while m's low bits are 1). So before leaf m's group there are
// 2m - popcount(m) stored hashes, and the subtree at level L, index k (leaves
// [k·2^L, (k+1)·2^L)) sits at storedIndex(L, k) = 2m - popcount(m) + L with m = (k+1)·2^L - 1.
// An append reads at most log2(n) earlier hashes; a root or proof reads O(log n) hashes.
// Sizes go up to 2^53: arithmetic uses division, never 32-bit bitwise operators.

import { createHash, hash } from 'node:crypto';
import { LedgerProofError } from '../errors/errors.js';

/** Bytes in one tree hash (SHA-256). */
export const HASH_SIZE = 32;

/** SHA-256 of the empty string: the root of the empty tree, MTH({}). */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.of(0);

// One-shot crypto.hash (Node >= 20.12): no Hash object per call, which is most of the cost of
// hashing 33- and 65-byte inputs.

/** RFC 6962 leaf hash: SHA-256(0x00 || leaf). */
export function leafHash(leaf: Uint8Array | string): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, typeof leaf === 'string' ? Buffer.from(leaf, 'utf8') : leaf]), 'buffer');
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash('sha256', input, 'buffer');
}

const pow2 = (l: number): number => 2 ** l;
const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v > 0; v = half(v)) if (isOdd(v)) c++;
  return c;
}

function isPowerOfTwo(x: number): boolean {
  let v = x;
  while (v > 1 && !isOdd(v)) v = half(v);
  return v === 1;
}

/** Largest power of two strictly below n (n ≥ 2): RFC 6962's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Position, in the stored-hash sequence, of the subtree at `level` and `index`. */
export function storedIndex(level: number, index: number): number {
  const m = (index + 1) * pow2(level) - 1;
  return 2 * m - popcount(m) + level;
}

/** The subtree [level, index] stored at position `s` (the inverse of storedIndex). */
export function storedPosition(s: number): [number, number] {
  checkSize('stored index', s);
  // Leaf m's group starts at storedCount(m), which grows by 1 or 2 per leaf: m is near s / 2.
  let m = half(s);
  while (storedCount(m + 1) <= s) m++;
  while (m > 0 && storedCount(m) > s) m--;
  const level = s - storedCount(m);
  return [level, (m + 1) / pow2(level) - 1];
}

/** How many hashes are stored for a tree of n leaves. */
export function storedCount(n: number): number {
  return 2 * n - popcount(n);
}

/** Reads stored hashes by position (see storedIndex); one call per root or proof. */
export interface HashReader {
  /** The stored hashes at these tlog indexes, in the same order. */
  readHashes(indexes: readonly number[]): Promise<Buffer[]>;
}

function checkSize(field: string, n: number, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new LedgerProofError('out_of_range', field, `expected an integer ≥ ${min}, got ${String(n)}`);
  }
}

/**
 * The stored hashes to write when leaf `n` (0-based; the tree had n leaves) with hash `leaf` is
 * appended: the leaf hash then each subtree it completes. Reads the left siblings it combines.
 */
export async function hashesForAppend(reader: HashReader, n: number, leaf: Buffer): Promise<Buffer[]> {
  checkSize('tree size', n);
  const siblings: number[] = [];
  for (let level = 0, k = n; isOdd(k); level++, k = half(k)) siblings.push(storedIndex(level, k - 1));
  const left = siblings.length ? await reader.readHashes(siblings) : [];
  const out = [leaf];
  let h = leaf;
  for (const l of left) out.push((h = nodeHash(l, h)));
  return out;
}

/** The complete subtrees [level, index] that make up leaves [lo, hi), left to right. */
function pieces(lo: number, hi: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = lo;
  while (at < hi) {
    // The largest aligned power of two starting at `at` that fits before `hi`.
    let level = 0;
    while (at % pow2(level + 1) === 0 && at + pow2(level + 1) <= hi) level++;
    out.push([level, at / pow2(level)]);
    at += pow2(level);
  }
  return out;
}

/**
 * Collects the stored hashes needed for several subtree hashes MTH(D[lo:hi]) (each [lo, hi)
 * being a node of an RFC 6962 tree), reads them in one call, and folds each right to left.
 */
async function subtreeHashes(reader: HashReader, ranges: ReadonlyArray<readonly [number, number]>): Promise<Buffer[]> {
  const plans = ranges.map(([lo, hi]) => pieces(lo, hi).map(([l, k]) => storedIndex(l, k)));
  const read = await reader.readHashes(plans.flat());
  let i = 0;
  return plans.map((plan) => {
    const hs = read.slice(i, (i += plan.length));
    let acc = hs[hs.length - 1]!;
    for (let j = hs.length - 2; j >= 0; j--) acc = nodeHash(hs[j]!, acc);
    return acc;
  });
}

/** MTH of the first n leaves (n ≤ the leaves stored). The empty tree's root is SHA-256(""). */
export async function treeRoot(reader: HashReader, n: number): Promise<Buffer> {
  checkSize('tree size', n);
  if (n === 0) return EMPTY_ROOT;
  return (await subtreeHashes(reader, [[0, n]]))[0]!;
}

/** The audit path PATH(index, D[0:n]) of RFC 6962 section 2.1.1, leaf-side first. */
export async function inclusionProof(reader: HashReader, index: number, n: number): Promise<Buffer[]> {
  checkSize('tree size', n, 1);
  checkSize('leaf index', index);
  if (index >= n) throw new LedgerProofError('out_of_range', 'leaf index', `${index} is not below the tree size ${n}`);
  const ranges: Array<[number, number]> = [];
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
    }
  }
  return (await subtreeHashes(reader, ranges)).reverse();
}

/** The consistency proof PROOF(m, D[0:n]) of RFC 6962 section 2.1.2 (1 ≤ m ≤ n; empty when m = n). */
export async function consistencyProof(reader: HashReader, m: number, n: number): Promise<Buffer[]> {
  checkSize('old size', m, 1);
  checkSize('new size', n, 1);
  if (m > n) throw new LedgerProofError('out_of_range', 'old size', `${m} is above the new size ${n}`);
  const ranges: Array<[number, number]> = [];
  // SUBPROOF(m, D[lo:hi], whole) iteratively: `whole` is true while D[0:m] is still the left edge.
  let lo = 0;
  let hi = n;
  let whole = true;
  while (m - lo !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m - lo <= k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
      whole = false;
    }
  }
  if (!whole) ranges.push([lo, hi]);
  return (await subtreeHashes(reader, ranges)).reverse();
}

function checkHash(field: string, h: Uint8Array): void {
  if (h.length !== HASH_SIZE) throw new LedgerProofError('bad_proof', field, `expected ${HASH_SIZE} bytes, got ${h.length}`);
}

/**
 * RFC 9162 section 2.1.3.2: does `proof` show that the leaf with hash `leaf` is at `index` in the
 * tree of size `n` whose root is `root`? Throws LedgerProofError (kind 'bad_proof') if not.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, n: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkSize('tree size', n, 1);
  checkSize('leaf index', index);
  checkHash('leaf hash', leaf);
  checkHash('root', root);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  if (index >= n) throw new LedgerProofError('out_of_range', 'leaf index', `${index} is not below the tree size ${n}`);
  let fn = index;
  let sn = n - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) throw new LedgerProofError('bad_proof', 'inclusion proof', `longer than a tree of size ${n} allows`);
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) while (!isOdd(fn) && fn !== 0) (fn = half(fn)), (sn = half(sn));
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LedgerProofError('bad_proof', 'inclusion proof', `shorter than a tree of size ${n} needs`);
  if (!r.equals(root)) throw new LedgerProofError('bad_proof', 'inclusion proof', `leaf ${index} does not lead to the root of the tree of size ${n}`);
}

/**
 * RFC 9162 section 2.1.4.2: does `proof` show that the tree of size m with root `oldRoot` is a
 * prefix of the tree of size n with root `newRoot`? Throws LedgerProofError if not.
 */
export function verifyConsistency(m: number, n: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): void {
  checkSize('old size', m, 1);
  checkSize('new size', n, 1);
  checkHash('old root', oldRoot);
  checkHash('new root', newRoot);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  if (m > n) throw new LedgerProofError('out_of_range', 'old size', `${m} is above the new size ${n}`);
  if (m === n) {
    if (proof.length !== 0) throw new LedgerProofError('bad_proof', 'consistency proof', 'must be empty for equal sizes');
    if (!Buffer.from(oldRoot).equals(newRoot)) throw new LedgerProofError('bad_proof', 'consistency proof', `two different roots for the same size ${m}`);
    return;
  }
  if (proof.length === 0) throw new LedgerProofError('bad_proof', 'consistency proof', `empty, but sizes ${m} and ${n} differ`);
  // Step 2: when m is a power of two the old root is itself the first node of the path.
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (isOdd(fn)) (fn = half(fn)), (sn = half(sn));
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) throw new LedgerProofError('bad_proof', 'consistency proof', `longer than sizes ${m} → ${n} allow`);
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) while (!isOdd(fn) && fn !== 0) (fn = half(fn)), (sn = half(sn));
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LedgerProofError('bad_proof', 'consistency proof', `shorter than sizes ${m} → ${n} need`);
  if (!fr.equals(oldRoot)) throw new LedgerProofError('inconsistent', 'consistency proof', `does not lead to the old root of size ${m}`);
  if (!sr.equals(newRoot)) throw new LedgerProofError('inconsistent', 'consistency proof', `does not lead to the new root of size ${n}`);
}

/** Hashes kept in memory: the simplest HashReader, also an appendable tree. */
export class MemoryHashStore implements HashReader {
  private readonly hashes: Buffer[] = [];
  private leaves = 0;

  /** How many leaves the tree holds. */
  get size(): number {
    return this.leaves;
  }

  /** The stored hashes at these tlog indexes, in the same order. */
  async readHashes(indexes: readonly number[]): Promise<Buffer[]> {
    return indexes.map((i) => {
      const h = this.hashes[i];
      if (h === undefined) throw new LedgerProofError('out_of_range', 'stored hash', `index ${i} is not stored (${this.hashes.length} are)`);
      return h;
    });
  }

  /** Appends one leaf (its raw bytes); returns its index. */
  async append(leaf: Uint8Array | string): Promise<number> {
    this.hashes.push(...(await hashesForAppend(this, this.leaves, leafHash(leaf))));
    return this.leaves++;
  }

  /** The RFC 6962 root of the first `n` leaves (default: all). */
  root(n = this.leaves): Promise<Buffer> {
    return treeRoot(this, n);
  }
}
