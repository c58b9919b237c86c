// immudb's hashing of a transaction, recomputed client-side (immudb v1.11.1, embedded/store):
// the digest of one entry, the header's inner hash and its accumulated linear hash (Alh).
// Written from the documented byte layouts; every number is big-endian. Pure: no I/O.

import { createHash } from 'node:crypto';

export const DIGEST_SIZE = 32;

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** A transaction header as immudb sends it in a proof (TxHeader in schema.proto). */
export interface ImmudbTxHeader {
  readonly id: number;
  readonly prevAlh: Buffer;
  readonly ts: number;
  readonly nentries: number;
  readonly eH: Buffer;
  readonly blTxId: number;
  readonly blRoot: Buffer;
  readonly version: number;
  readonly metadata: { readonly truncatedTxID: number; readonly extra: Buffer } | null;
}

/** Per-key metadata; immudb hashes only the attributes that are set, in code order. */
export interface ImmudbKvMetadata {
  readonly deleted: boolean;
  readonly expiration: { readonly expiresAt: number } | null;
  readonly nonIndexable: boolean;
}

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64 = (n: number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
const i64 = (n: number): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(n)); return b; };

/** KVMetadata.Bytes(): attribute code 0 deleted, 1 expiresAt (unix seconds), 2 nonIndexable. */
export function kvMetadataBytes(md: ImmudbKvMetadata | null): Buffer {
  if (md === null) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  if (md.deleted) parts.push(Buffer.of(0));
  if (md.expiration !== null) parts.push(Buffer.of(1), i64(md.expiration.expiresAt));
  if (md.nonIndexable) parts.push(Buffer.of(2));
  return Buffer.concat(parts);
}

/** TxMetadata.Bytes(): attribute code 0 truncatedUptoTx (when non-zero), 1 extra (length-prefixed). */
export function txMetadataBytes(md: ImmudbTxHeader['metadata']): Buffer {
  if (md === null) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  if (md.truncatedTxID > 0) parts.push(Buffer.of(0), u64(md.truncatedTxID));
  if (md.extra.length > 0) parts.push(Buffer.of(1), u16(md.extra.length), md.extra);
  return Buffer.concat(parts);
}

/**
 * The digest of one entry as its transaction's hash tree holds it. `key` and `valueHash` are
 * the stored forms: the key with immudb's 0x00 "plain key" prefix, the SHA-256 of the value with
 * its 0x00 "plain value" prefix (see plainEntry).
 * - version 0: sha256(key ‖ valueHash)
 * - version 1: sha256(u16 mdLen ‖ md ‖ u16 keyLen ‖ key ‖ valueHash)
 */
export function entryDigest(version: number, key: Buffer, valueHash: Buffer, md: ImmudbKvMetadata | null): Buffer {
  if (version === 0) {
    if (kvMetadataBytes(md).length > 0) throw new RangeError('tx header version 0 has no entry metadata');
    return sha256(key, valueHash);
  }
  if (version === 1) {
    const mdb = kvMetadataBytes(md);
    return sha256(u16(mdb.length), mdb, u16(key.length), key, valueHash);
  }
  throw new RangeError(`unsupported immudb tx header version ${version}`);
}

/** A plain key/value as the client API sees it, in the form immudb stores and hashes. */
export const plainEntry = (key: Buffer, value: Buffer): { key: Buffer; valueHash: Buffer } => ({
  key: Buffer.concat([Buffer.of(0), key]),
  valueHash: sha256(Buffer.of(0), value),
});

/** hash(ts ‖ version ‖ [v0: u16 nentries | v1: u16 mdLen ‖ md ‖ u32 nentries] ‖ eH ‖ blTxID ‖ blRoot). */
export function innerHash(h: ImmudbTxHeader): Buffer {
  let middle: Buffer[];
  if (h.version === 0) middle = [u16(h.nentries)];
  else if (h.version === 1) {
    const mdb = txMetadataBytes(h.metadata);
    middle = [u16(mdb.length), mdb, u32(h.nentries)];
  } else throw new RangeError(`unsupported immudb tx header version ${h.version}`);
  return sha256(i64(h.ts), u16(h.version), ...middle, h.eH, u64(h.blTxId), h.blRoot);
}

/** Alh = sha256(u64 txID ‖ prevAlh ‖ innerHash): each transaction's hash chains its predecessor's. */
export const alh = (h: ImmudbTxHeader): Buffer => sha256(u64(h.id), h.prevAlh, innerHash(h));

/** One step of the linear chain: the Alh of tx `id` from its predecessor's Alh and its inner hash. */
export const advanceAlh = (prevAlh: Buffer, id: number, inner: Buffer): Buffer => sha256(u64(id), prevAlh, inner);
