// Checks immudb's answers against the client's trusted state, as immudb's Go client does for
// VerifiedGet / VerifiedTxByID (pkg/client): the entry is in its transaction (htree inclusion
// into the header's eH), and the transaction and the trusted one are linked by a dual proof.
// A failed check is LedgerCorruptionError naming the sequence and the check; a check that holds
// moves the trusted state forward to the newer of the two transactions.

import { LedgerCorruptionError } from '../../../errors/errors.js';
import type { DualProofMsg, EntryMsg, KvMetadataMsg, TxHeaderMsg, VerifiableEntryMsg, VerifiableTxMsg } from '../immudbRpc.js';
import { alh, entryDigest, plainEntry, type ImmudbKvMetadata, type ImmudbTxHeader } from './immudbHashes.js';
import { htreeRoot, verifyDualProof, verifyEntryInclusion, type DualProof } from './immudbProofs.js';
import type { TrustedState } from './trustedState.js';

const header = (h: TxHeaderMsg): ImmudbTxHeader => ({
  id: h.id, prevAlh: h.prevAlh, ts: h.ts, nentries: h.nentries, eH: h.eH, blTxId: h.blTxId, blRoot: h.blRoot, version: h.version,
  metadata: h.metadata === null ? null : { truncatedTxID: h.metadata.truncatedTxID, extra: h.metadata.extra },
});

const kvMetadata = (md: KvMetadataMsg | { deleted: boolean } | null): ImmudbKvMetadata | null =>
  md === null ? null : { deleted: md.deleted, expiration: 'expiration' in md ? md.expiration : null, nonIndexable: 'nonIndexable' in md ? md.nonIndexable : false };

const dual = (p: DualProofMsg): DualProof => ({
  ...p,
  sourceTxHeader: p.sourceTxHeader === null ? null : header(p.sourceTxHeader),
  targetTxHeader: p.targetTxHeader === null ? null : header(p.targetTxHeader),
});

/** Where a failure is reported: the ledger sequence being read or written, and the store's name. */
export interface VerifyContext { readonly sequence: number; readonly where: string }

const fail = (ctx: VerifyContext, check: string, txId: number): never => {
  throw new LedgerCorruptionError(ctx.sequence, `${ctx.where}: immudb proof check failed: ${check} (tx ${txId})`);
};

/**
 * Links tx `txId` (whose header the server sent in the dual proof) to the trusted state and
 * returns the header of tx `txId` and the new trusted state. With no trusted state yet
 * (txId 0) there is nothing to link to: the header is accepted (trust on first use).
 */
function link(proofMsg: DualProofMsg | null, txId: number, trusted: TrustedState, ctx: VerifyContext): { tx: ImmudbTxHeader; next: TrustedState } {
  if (proofMsg === null) return fail(ctx, 'dual proof missing', txId);
  const proof = dual(proofMsg);
  const forward = trusted.txId <= txId;
  const txHeader = forward ? proof.targetTxHeader : proof.sourceTxHeader;
  if (txHeader === null || txHeader.id !== txId) return fail(ctx, 'dual proof: header of the read tx', txId);
  if (trusted.txId > 0) {
    const failed = forward
      ? verifyDualProof(proof, trusted.txId, txId, trusted.txHash, alh(txHeader))
      : verifyDualProof(proof, txId, trusted.txId, alh(txHeader), trusted.txHash);
    if (failed !== undefined) fail(ctx, `${failed}, trusted tx ${trusted.txId}`, txId);
  }
  return { tx: txHeader, next: forward ? { txId, txHash: alh(txHeader) } : trusted };
}

/** The header sent with the tx is the proven one, and its entries hash to the header's eH. */
function checkTxBody(body: NonNullable<VerifiableTxMsg['tx']>, proven: ImmudbTxHeader, ctx: VerifyContext): void {
  const txId = proven.id;
  if (body.header === null || !alh(header(body.header)).equals(alh(proven))) fail(ctx, 'the tx header differs from the proven one', txId);
  if (body.entries.length !== proven.nentries) fail(ctx, 'entry count', txId);
  let digests: Buffer[] = [];
  try {
    digests = body.entries.map((e) => entryDigest(proven.version, e.key, e.hValue, kvMetadata(e.metadata)));
  } catch (e) {
    fail(ctx, (e as Error).message, txId);
  }
  if (!htreeRoot(digests).equals(proven.eH)) fail(ctx, 'the entries do not hash to the header eH (htree)', txId);
}

/**
 * A VerifiableGet answer for `key` (the client's key, without immudb's prefix) whose value must
 * be `expectedValue` when given (the bytes a Scan returned), so the scanned bytes are what is proven.
 */
function checkEntry(answer: VerifiableEntryMsg, key: Buffer, trusted: TrustedState, ctx: VerifyContext, expectedValue?: Buffer): TrustedState {
  const entry: EntryMsg | null = answer.entry;
  const vtx = answer.verifiableTx;
  if (entry === null || vtx === null || answer.inclusionProof === null || vtx.tx?.header == null) return fail(ctx, 'verifiable entry incomplete', 0);
  if (entry.referencedBy !== null) return fail(ctx, 'the entry is a reference', entry.tx);
  if (!entry.key.equals(key)) return fail(ctx, 'the entry is for another key', entry.tx);
  if (expectedValue !== undefined && !entry.value.equals(expectedValue)) return fail(ctx, 'the proven value differs from the value read', entry.tx);
  const version = vtx.tx.header.version;
  const { tx, next } = link(vtx.dualProof, entry.tx, trusted, ctx);
  if (version !== tx.version) return fail(ctx, 'tx header version', entry.tx);
  // Stricter than the Go client: the tx the answer carries must be the proven one, entries included.
  checkTxBody(vtx.tx, tx, ctx);
  const stored = plainEntry(key, entry.value);
  let digest: Buffer;
  try {
    digest = entryDigest(version, stored.key, stored.valueHash, kvMetadata(entry.metadata));
  } catch (e) {
    return fail(ctx, (e as Error).message, entry.tx);
  }
  if (!verifyEntryInclusion(answer.inclusionProof, digest, tx.eH)) return fail(ctx, 'inclusion of the entry in its tx (htree)', entry.tx);
  return next;
}

/**
 * A VerifiableTxById answer for tx `txId`: the header is linked to the trusted state, the entries
 * hash to the header's eH, and each of `mustContain` (client key and value) is one of them.
 */
function checkTx(answer: VerifiableTxMsg, txId: number, trusted: TrustedState, ctx: VerifyContext, mustContain: readonly { key: Buffer; value: Buffer }[] = []): TrustedState {
  const sent = answer.tx?.header;
  if (answer.tx === null || sent == null || sent.id !== txId) return fail(ctx, 'verifiable tx incomplete', txId);
  const { tx, next } = link(answer.dualProof, txId, trusted, ctx);
  checkTxBody(answer.tx, tx, ctx);
  for (const want of mustContain) {
    const stored = plainEntry(want.key, want.value);
    const found = answer.tx.entries.some((e) => e.key.equals(stored.key) && e.hValue.equals(stored.valueHash));
    if (!found) fail(ctx, `the tx does not hold the value written under key ${JSON.stringify(want.key.toString('utf8'))}`, txId);
  }
  return next;
}

/** An unknown tx header version (immudb after 1.11.1) is a failed check, not a crash. */
function guarded<T>(ctx: VerifyContext, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) throw new LedgerCorruptionError(ctx.sequence, `${ctx.where}: immudb proof check failed: ${e.message} (tx ?)`, { cause: e });
    throw e;
  }
}

/**
 * Checks a VerifiableGet answer for `key` (the client's key, without immudb's prefix) against the
 * trusted state; with `expectedValue` (the bytes a Scan returned) those bytes are what is proven.
 * Returns the new trusted state.
 */
export const checkVerifiableEntry = (answer: VerifiableEntryMsg, key: Buffer, trusted: TrustedState, ctx: VerifyContext, expectedValue?: Buffer): TrustedState =>
  guarded(ctx, () => checkEntry(answer, key, trusted, ctx, expectedValue));

/**
 * Checks a VerifiableTxById answer for tx `txId` against the trusted state; each of `mustContain`
 * (client key and value) must be one of its entries. Returns the new trusted state.
 */
export const checkVerifiableTx = (answer: VerifiableTxMsg, txId: number, trusted: TrustedState, ctx: VerifyContext, mustContain: readonly { key: Buffer; value: Buffer }[] = []): TrustedState =>
  guarded(ctx, () => checkTx(answer, txId, trusted, ctx, mustContain));
