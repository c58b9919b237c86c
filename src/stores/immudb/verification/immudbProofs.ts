// immudb's proofs (v1.11.1), checked client-side: the inclusion of an entry in its transaction
// (the per-transaction hash tree, "htree"), and the dual proof that links two transaction
// headers (the accumulated hash tree over every Alh, "ahtree", plus the linear chain of Alh).
// Written from immudb's documented algorithms (embedded/htree, embedded/ahtree,
// embedded/store/verification.go); the Go SDK is the reference. Pure: no I/O.
//
// Every check returns undefined when it holds and otherwise the name of the check that failed,
// so a LedgerCorruptionError can say which part of the server's answer was wrong.

import { advanceAlh, alh, sha256, type ImmudbTxHeader } from './immudbHashes.js';

const LEAF = Buffer.of(0);
const NODE = Buffer.of(1);

/** Both trees hash a leaf as sha256(0x00 ‖ digest) and a node as sha256(0x01 ‖ left ‖ right). */
export const leafHash = (digest: Buffer): Buffer => sha256(LEAF, digest);
const node = (left: Buffer, right: Buffer): Buffer => sha256(NODE, left, right);

export interface HtreeInclusionProof { readonly leaf: number; readonly width: number; readonly terms: readonly Buffer[] }

/** The entry digest is leaf `leaf` of a tree of `width` leaves whose root is the header's eH. */
export function verifyEntryInclusion(proof: HtreeInclusionProof, entryDigest: Buffer, eH: Buffer): boolean {
  if (!(proof.leaf >= 0 && proof.leaf < proof.width)) return false;
  let root = leafHash(entryDigest);
  // i walks up from the leaf, r from the last leaf: equal means a lone rightmost node, hashed on the right.
  let i = proof.leaf;
  let r = proof.width - 1;
  for (const t of proof.terms) {
    root = i % 2 === 0 && i !== r ? node(root, t) : node(t, root);
    i = Math.floor(i / 2);
    r = Math.floor(r / 2);
  }
  return i === r && root.equals(eH);
}

/** The root of the htree over a transaction's entry digests (how immudb builds eH). */
export function htreeRoot(digests: readonly Buffer[]): Buffer {
  if (digests.length === 0) return sha256(); // immudb: sha256 of nothing
  let level = digests.map(leafHash);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let k = 0; k < level.length; k += 2) next.push(k + 1 < level.length ? node(level[k]!, level[k + 1]!) : level[k]!);
    level = next;
  }
  return level[0]!;
}

// --- the accumulated hash tree (leaves are Alh values, 1-based) ---------------------------------

// Tx ids stay below 2^53, so halving with Math.floor is exact.
const half = (n: number): number => Math.floor(n / 2);

/** Leaf i (1-based) of a tree of j leaves hashes, with the proof, to jRoot. */
export function ahtVerifyInclusion(proof: readonly Buffer[], i: number, j: number, iLeaf: Buffer, jRoot: Buffer): boolean {
  if (i > j || i === 0 || (i < j && proof.length === 0)) return false;
  let i1 = i - 1;
  let j1 = j - 1;
  let root = iLeaf;
  for (const h of proof) {
    root = i1 % 2 === 0 && i1 !== j1 ? node(root, h) : node(h, root);
    i1 = half(i1);
    j1 = half(j1);
  }
  return root.equals(jRoot);
}

/** The tree of i leaves (root iRoot) is a prefix of the tree of j leaves (root jRoot). */
export function ahtVerifyConsistency(proof: readonly Buffer[], i: number, j: number, iRoot: Buffer, jRoot: Buffer): boolean {
  if (i > j || i === 0 || (i < j && proof.length === 0)) return false;
  if (i === j && proof.length === 0) return iRoot.equals(jRoot);
  if (proof.length === 0) return false;
  let fn = i - 1;
  let sn = j - 1;
  // Skip the levels where the old tree's last node is a right child: the proof starts above them.
  while (fn % 2 === 1) { fn = half(fn); sn = half(sn); }
  let ci = proof[0]!;
  let cj = proof[0]!;
  for (const h of proof.slice(1)) {
    if (fn % 2 === 1 || fn === sn) {
      ci = node(h, ci);
      cj = node(h, cj);
      while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      cj = node(cj, h);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return ci.equals(iRoot) && cj.equals(jRoot);
}

/** Leaf i is the last leaf of the tree of i leaves whose root is `root`. */
export function ahtVerifyLastInclusion(proof: readonly Buffer[], i: number, leaf: Buffer, root: Buffer): boolean {
  if (i === 0) return false;
  let r = leaf;
  for (const h of proof) r = node(h, r);
  return r.equals(root);
}

// --- the linear chain and the dual proof ------------------------------------------------------

export interface LinearProof { readonly sourceTxId: number; readonly TargetTxId: number; readonly terms: readonly Buffer[] }
export interface LinearAdvanceProof { readonly linearProofTerms: readonly Buffer[]; readonly inclusionProofs: readonly { readonly terms: readonly Buffer[] }[] }
export interface DualProof {
  readonly sourceTxHeader: ImmudbTxHeader | null;
  readonly targetTxHeader: ImmudbTxHeader | null;
  readonly inclusionProof: readonly Buffer[];
  readonly consistencyProof: readonly Buffer[];
  readonly targetBlTxAlh: Buffer;
  readonly lastInclusionProof: readonly Buffer[];
  readonly linearProof: LinearProof | null;
  readonly LinearAdvanceProof: LinearAdvanceProof | null;
}

/** terms[0] is the source Alh, each further term the inner hash of the next tx; ends at targetAlh. */
export function verifyLinearProof(p: LinearProof | null, sourceTxId: number, targetTxId: number, sourceAlh: Buffer, targetAlh: Buffer): boolean {
  if (p === null || p.sourceTxId !== sourceTxId || p.TargetTxId !== targetTxId) return false;
  if (sourceTxId === 0 || sourceTxId > targetTxId || p.terms.length === 0 || !p.terms[0]!.equals(sourceAlh)) return false;
  if (p.terms.length !== targetTxId - sourceTxId + 1) return false;
  let calc = p.terms[0]!;
  for (let k = 1; k < p.terms.length; k++) calc = advanceAlh(calc, sourceTxId + k, p.terms[k]!);
  return calc.equals(targetAlh);
}

/** Each tx strictly between start and end is a leaf of the tree (treeRoot, treeSize), and the chain reaches endAlh. */
export function verifyLinearAdvanceProof(p: LinearAdvanceProof | null, startTxId: number, endTxId: number, endAlh: Buffer, treeRoot: Buffer, treeSize: number): boolean {
  if (endTxId < startTxId) return false;
  if (endTxId <= startTxId + 1) return true;
  if (p === null || p.linearProofTerms.length !== endTxId - startTxId || p.inclusionProofs.length !== endTxId - startTxId - 1) return false;
  let calc = p.linearProofTerms[0]!; // the Alh of startTxId + 1
  for (let tx = startTxId + 1; tx < endTxId; tx++) {
    if (!ahtVerifyInclusion(p.inclusionProofs[tx - startTxId - 1]!.terms, tx, treeSize, leafHash(calc), treeRoot)) return false;
    calc = advanceAlh(calc, tx + 1, p.linearProofTerms[tx - startTxId]!);
  }
  return calc.equals(endAlh);
}

/**
 * The dual proof between a source and a target transaction (source ≤ target): both headers
 * hash to the Alh values the caller holds, the source is in the target's accumulated tree, the
 * trees are consistent, and the linear chain joins them. Undefined when it holds, else the name
 * of the first check that failed.
 */
export function verifyDualProof(p: DualProof, sourceTxId: number, targetTxId: number, sourceAlh: Buffer, targetAlh: Buffer): string | undefined {
  const src = p.sourceTxHeader;
  const tgt = p.targetTxHeader;
  if (src === null || tgt === null || src.id !== sourceTxId || tgt.id !== targetTxId) return 'dual proof: header ids';
  if (src.id === 0 || src.id > tgt.id) return 'dual proof: source after target';
  if (!alh(src).equals(sourceAlh)) return `dual proof: source tx ${sourceTxId} header hash (Alh)`;
  if (!alh(tgt).equals(targetAlh)) return `dual proof: target tx ${targetTxId} header hash (Alh)`;
  if (sourceTxId < tgt.blTxId && !ahtVerifyInclusion(p.inclusionProof, sourceTxId, tgt.blTxId, leafHash(sourceAlh), tgt.blRoot)) {
    return 'dual proof: inclusion of the source in the target accumulated tree';
  }
  if (src.blTxId > 0 && !ahtVerifyConsistency(p.consistencyProof, src.blTxId, tgt.blTxId, src.blRoot, tgt.blRoot)) {
    return 'dual proof: consistency of the accumulated trees';
  }
  if (tgt.blTxId > 0 && !ahtVerifyLastInclusion(p.lastInclusionProof, tgt.blTxId, leafHash(p.targetBlTxAlh), tgt.blRoot)) {
    return 'dual proof: last inclusion in the target accumulated tree';
  }
  if (sourceTxId < tgt.blTxId) {
    if (!verifyLinearProof(p.linearProof, tgt.blTxId, targetTxId, p.targetBlTxAlh, targetAlh)) return 'dual proof: linear proof';
    if (!verifyLinearAdvanceProof(p.LinearAdvanceProof, src.blTxId, sourceTxId, sourceAlh, tgt.blRoot, tgt.blTxId)) return 'dual proof: linear advance proof';
  } else {
    if (!verifyLinearProof(p.linearProof, sourceTxId, targetTxId, sourceAlh, targetAlh)) return 'dual proof: linear proof';
    if (!verifyLinearAdvanceProof(p.LinearAdvanceProof, src.blTxId, tgt.blTxId, p.targetBlTxAlh, tgt.blRoot, tgt.blTxId)) return 'dual proof: linear advance proof';
  }
  return undefined;
}
