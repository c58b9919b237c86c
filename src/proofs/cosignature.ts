// C2SP tlog-cosignature, cosignature/v1 with Ed25519 (signature type 0x04): a witness signs
// "cosignature/v1\ntime <unix seconds>\n" followed by the checkpoint's note text, and writes the
// signature field as the 8-byte big-endian timestamp followed by the 64-byte signature. The
// cosigner key id is computed over 0x04 || public key, so it differs from the same key's 0x01 id.
//
// A Witness keeps, per origin, the size and root it last cosigned, and cosigns a newer checkpoint
// only when a consistency proof links the two: a log showing two histories (a split view) is
// refused with LedgerProofError kind 'split_view'.

import { createHash, sign, verify } from 'node:crypto';
import { LedgerProofError } from '../errors/errors.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { verifyConsistency } from './merkle.js';
import {
  ALG_COSIGNATURE_V1, ALG_ED25519, ed25519PrivateKey, ed25519PublicKey, formatKeyId, keyId, parseKeyText, parseNote,
  rawPublicKey, signatureLine, type NoteSigner, type NoteVerifier,
} from './note.js';

/** The message a cosignature/v1 signature covers. */
export function cosignedMessage(time: number, checkpointText: string): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${checkpointText}`, 'utf8');
}

const checkTime = (t: number): void => {
  if (!Number.isSafeInteger(t) || t < 0) throw new LedgerProofError('malformed_note', 'cosignature time', `expected non-negative integer seconds, got ${String(t)}`);
};

function cosignerPublic(text: string, isPrivate: boolean): { name: string; pub: Buffer; seed?: Buffer } {
  const k = parseKeyText(text, isPrivate);
  const what = isPrivate ? 'witness signer key' : 'witness verifier key';
  if (k.alg !== ALG_ED25519 && k.alg !== ALG_COSIGNATURE_V1) {
    throw new LedgerProofError('malformed_key', `${what}: algorithm`, `expected 0x01 or 0x04 (Ed25519), got 0x${k.alg.toString(16).padStart(2, '0')}`);
  }
  const pub = isPrivate ? rawPublicKey(ed25519PrivateKey(k.key)) : k.key;
  const want = keyId(k.name, Buffer.concat([Buffer.of(k.alg), pub]));
  if (want !== k.keyId) throw new LedgerProofError('malformed_key', `${what}: key id`, `${formatKeyId(k.keyId)} does not match the key (${formatKeyId(want)})`);
  return isPrivate ? { name: k.name, pub, seed: k.key } : { name: k.name, pub };
}

/** A cosigner's verifier key text `<name>+<id>+<base64(0x04 || public key)>`. */
export function cosignerVerifierKey(signerKeyText: string): string {
  const { name, pub } = cosignerPublic(signerKeyText, true);
  const alg = Buffer.concat([Buffer.of(ALG_COSIGNATURE_V1), pub]);
  return `${name}+${formatKeyId(keyId(name, alg))}+${alg.toString('base64')}`;
}

/** A witness's cosigner key (cosignature/v1, Ed25519). */
export interface Cosigner extends NoteSigner {
  /** The signature field for `checkpointText` at `time` (unix seconds). */
  cosign(checkpointText: string, time: number): Buffer;
}

/** A cosigner from a signer key (type 0x01 or 0x04 seed); its key id is over 0x04 || public key. */
export function parseCosignerKey(text: string, clock: () => number = () => Math.floor(Date.now() / 1000)): Cosigner {
  const { name, pub, seed } = cosignerPublic(text, true);
  const priv = ed25519PrivateKey(seed!);
  const cosign = (checkpointText: string, time: number): Buffer => {
    checkTime(time);
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(time));
    return Buffer.concat([ts, sign(null, cosignedMessage(time, checkpointText), priv)]);
  };
  return { name, keyId: keyId(name, Buffer.concat([Buffer.of(ALG_COSIGNATURE_V1), pub])), cosign, sign: (m) => cosign(m.toString('utf8'), clock()) };
}

/** A cosignature/v1 verifier from `<name>+<id>+<base64(0x04 || key)>` (0x01 keys are read as Go does). */
export function parseCosignerVerifierKey(text: string): NoteVerifier & {
  /** The cosignature's timestamp (seconds since the epoch), from its first 8 bytes. */
  timeOf(signature: Buffer): number;
} {
  const { name, pub } = cosignerPublic(text, false);
  const key = ed25519PublicKey(pub);
  return {
    name,
    keyId: keyId(name, Buffer.concat([Buffer.of(ALG_COSIGNATURE_V1), pub])),
    verify(message, signature) {
      if (signature.length !== 72) return false;
      const time = Number(signature.readBigUInt64BE(0));
      if (!Number.isSafeInteger(time)) return false;
      return verify(null, cosignedMessage(time, message.toString('utf8')), key, signature.subarray(8));
    },
    timeOf: (signature) => Number(signature.readBigUInt64BE(0)),
  };
}

/** Appends `cosigner`'s cosignature line to a signed checkpoint note (replacing its own older one). */
export function addCosignature(signedNote: string, cosigner: Cosigner, time: number): string {
  const { text, signatures } = parseNote(signedNote);
  const kept = signatures.filter((s) => !(s.name === cosigner.name && s.keyId === cosigner.keyId)).map((s) => `\u2014 ${s.name} ${s.base64}\n`);
  return `${text}\n${kept.join('')}${signatureLine(text, { name: cosigner.name, keyId: cosigner.keyId, sign: () => cosigner.cosign(text, time) })}`;
}

/** A checkpoint and the known witnesses whose cosignatures on it verified. */
export interface QuorumResult {
  readonly checkpoint: Checkpoint;
  /** Names of the witnesses whose cosignature verified. */
  readonly witnesses: string[];
}

/**
 * Verifies a checkpoint signed by the log and cosigned by at least `k` of `witnesses` (cosignature
 * verifiers). A cosignature line by a listed witness that fails is 'bad_signature'; fewer than k
 * valid ones is 'quorum'.
 */
export function verifyCosignedCheckpoint(signedNote: string, logVerifier: NoteVerifier, witnesses: readonly NoteVerifier[], k: number): QuorumResult {
  if (!Number.isSafeInteger(k) || k < 0 || k > witnesses.length) throw new LedgerProofError('quorum', 'k', `expected 0 ≤ k ≤ ${witnesses.length}, got ${String(k)}`);
  const { checkpoint, note } = openCheckpoint(signedNote, logVerifier);
  const text = Buffer.from(note.text, 'utf8');
  const ok = new Set<string>();
  for (const s of note.unverified) {
    const w = witnesses.find((v) => v.name === s.name && v.keyId === s.keyId);
    if (w === undefined) continue;
    if (!w.verify(text, s.signature)) throw new LedgerProofError('bad_signature', `cosignature by ${s.name}+${formatKeyId(s.keyId)}`, 'does not verify over the checkpoint');
    ok.add(`${w.name}+${formatKeyId(w.keyId)}`);
  }
  if (ok.size < k) throw new LedgerProofError('quorum', 'cosignatures', `${ok.size} valid of the ${k} required (known witnesses: ${witnesses.map((w) => w.name).join(', ')})`);
  return { checkpoint, witnesses: [...ok] };
}

/**
 * Throws 'split_view' unless `cp` is `last` itself or extends it by `proof` (a consistency proof
 * from last.size to cp.size). Shared by the witness and by a client's last trusted checkpoint.
 */
export function checkExtends(last: WitnessState | undefined, cp: Checkpoint, proof: readonly Uint8Array[]): void {
  if (last === undefined) return;
  const lastRoot = Buffer.from(last.root, 'base64');
  if (cp.size < last.size) {
    throw new LedgerProofError('split_view', 'checkpoint size', `${cp.size} is older than the size ${last.size} already accepted for ${cp.origin}`);
  }
  if (cp.size === last.size) {
    if (!cp.root.equals(lastRoot)) throw new LedgerProofError('split_view', 'checkpoint root', `a second root for size ${cp.size} of ${cp.origin}`);
  } else if (last.size > 0) {
    try {
      verifyConsistency(last.size, cp.size, proof, lastRoot, cp.root);
    } catch (e) {
      throw new LedgerProofError('split_view', 'consistency proof', `size ${cp.size} of ${cp.origin} is not an extension of the accepted size ${last.size}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** What a witness (or a client) remembers per origin. */
export interface WitnessState {
  readonly origin: string;
  readonly size: number;
  /** base64 root hash. */
  readonly root: string;
}
