// Cold verification of an exported file against a signed checkpoint: with nothing but the file,
// the checkpoint and the log's public key, catches a rewritten history (re-hashed chain: the
// Merkle root differs) and a cut tail (fewer events than the checkpoint covers).

import { readLineBatches } from '../contract/lineReader.js';
import { fileLineAt } from './verifyFileParallel.js';
import { verifyLineBatches, type VerifyResult } from '../verify/verifyChain.js';
import { openCheckpoint, type Checkpoint } from '../proofs/checkpoint.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../proofs/merkle.js';
import { parseVerifierKey } from '../proofs/note.js';

/** RFC 6962 root of a stream of leaves in O(log n) memory: a stack of complete subtrees. */
export class StreamingRoot {
  private readonly stack: Array<{ level: number; hash: Buffer }> = [];
  private count = 0;

  /** How many leaves were added. */
  get size(): number {
    return this.count;
  }

  /** Adds the next leaf (its RFC 6962 leaf hash is taken here). */
  add(leaf: Uint8Array | string): void {
    let top = { level: 0, hash: leafHash(leaf) };
    while (this.stack.length && this.stack[this.stack.length - 1]!.level === top.level) {
      const left = this.stack.pop()!;
      top = { level: top.level + 1, hash: nodeHash(left.hash, top.hash) };
    }
    this.stack.push(top);
    this.count++;
  }

  /** The root of the leaves added so far (the empty tree's root for none). */
  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}

/** A chain verdict, with the signed checkpoint it was checked against. */
export interface CheckpointVerifyResult extends VerifyResult {
  /** The checkpoint, once its signature verified. */
  readonly checkpoint: Checkpoint;
}

/**
 * Verifies `file`'s chain and that its first `size` events give exactly the checkpoint's root.
 * The checkpoint's signature by `verifierKey` (text form) is checked first; a bad key or
 * signature throws LedgerProofError. A chain break, a shorter file or another root is
 * `valid: false` (a root mismatch cannot name the event, so break_at is 0 and the reason says so).
 */
export async function verifyFileAgainstCheckpoint(file: string, checkpointText: string, verifierKey: string): Promise<CheckpointVerifyResult> {
  const { checkpoint } = openCheckpoint(checkpointText, parseVerifierKey(verifierKey));
  const tree = new StreamingRoot();
  let torn = 0;
  // Lines as bytes, in batches (the plain cold path's reader): each leaf is hashed before the
  // batch is handed on, since the chain check may assemble its hash input in those buffers.
  async function* tee(): AsyncGenerator<Buffer[]> {
    for await (const batch of readLineBatches(file, 0, Infinity, (b) => (torn = b))) {
      for (let i = 0; i < batch.length && tree.size < checkpoint.size; i++) tree.add(batch[i]!);
      yield batch;
    }
  }
  const chain = await verifyLineBatches(tee(), { lineAt: fileLineAt(file) });
  if (!chain.valid) return { ...chain, checkpoint };
  if (chain.count < checkpoint.size) {
    return { valid: false, break_at: chain.count, count: chain.count, reason: `the file holds ${chain.count} events but the checkpoint of ${checkpoint.origin} covers ${checkpoint.size}: events were cut from the end`, checkpoint };
  }
  if (!tree.root().equals(checkpoint.root)) {
    return { valid: false, break_at: 0, count: chain.count, reason: `the first ${checkpoint.size} events do not give the root signed by ${checkpoint.origin} (history rewritten somewhere in 0..${checkpoint.size - 1})`, checkpoint };
  }
  return { ...chain, ...(torn > 0 ? { torn_bytes: torn } : {}), checkpoint };
}
