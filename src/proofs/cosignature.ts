// C2SP tlog-cosignature, cosignature/v1 with Ed25519 (signature type 0x04): a witness signs
// "cosignature/v1\ntime <unix seconds>\n" followed by the checkpoint's note text, and writes the
// signature field as the 8-byte big-endian timestamp followed by the 64-byte signature. The
// cosigner key id is computed over 0x04 || public key, so it differs from the same key's 0x01 id.
//
// A Witness keeps, per origin, the size and root it last cosigned, and cosigns a newer checkpoint
// only when a consistency proof links the two: a log showing two histories (a split view) is
// refused with LedgerProofError kind 'split_view'.

import { createHash, sign, verify } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerProofError } from '../errors.js';
import { fsyncDirectory } from '../fsyncDirectory.js';
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
export function parseCosignerVerifierKey(text: string): NoteVerifier & { timeOf(signature: Buffer): number } {
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

export interface WitnessOptions {
  readonly cosigner: Cosigner;
  /** Directory of per-origin state files. */
  readonly stateDir: string;
  readonly clock?: () => number;
}

/**
 * A witness: cosigns a log's checkpoint only if it is consistent with the last one it cosigned
 * for that origin. State is written (atomically, fsynced) before the cosignature is returned,
 * so a crash can never leave a cosignature the state does not account for. One witness process
 * per state directory.
 */
/** Per-origin (size, root) files in a directory, written atomically and fsynced. */
export class OriginStates {
  constructor(readonly dir: string) {}

  private file(origin: string): string {
    return join(this.dir, `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`);
  }

  async get(origin: string): Promise<WitnessState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(origin), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const s = JSON.parse(text) as WitnessState;
    if (s.origin !== origin || !Number.isSafeInteger(s.size) || typeof s.root !== 'string') {
      throw new LedgerProofError('malformed_checkpoint', 'state', `file for ${JSON.stringify(origin)} is not a valid state`);
    }
    return s;
  }

  async set(s: WitnessState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(s.origin);
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(s)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await fsyncDirectory(this.dir);
  }
}

/**
 * A witness: cosigns a log's checkpoint only if it is consistent with the last one it cosigned
 * for that origin. State is written (atomically, fsynced) before the cosignature is returned,
 * so a crash can never leave a cosignature the state does not account for. One witness process
 * per state directory.
 */
export class Witness {
  private readonly states: OriginStates;
  constructor(private readonly options: WitnessOptions) {
    this.states = new OriginStates(options.stateDir);
  }

  state(origin: string): Promise<WitnessState | undefined> {
    return this.states.get(origin);
  }

  /**
   * Cosigns `signedNote` (a checkpoint signed by `logVerifier`) given a consistency proof from
   * the last cosigned size to the new one. Returns the note with the cosignature line added.
   * The first checkpoint seen for an origin is trusted as is (trust on first use).
   */
  async cosign(signedNote: string, logVerifier: NoteVerifier, proof: readonly Uint8Array[]): Promise<string> {
    const { checkpoint: cp } = openCheckpoint(signedNote, logVerifier);
    const last = await this.state(cp.origin);
    checkExtends(last, cp, proof);
    if (last === undefined || cp.size > last.size) await this.states.set({ origin: cp.origin, size: cp.size, root: cp.root.toString('base64') });
    const time = (this.options.clock ?? (() => Math.floor(Date.now() / 1000)))();
    return addCosignature(signedNote, this.options.cosigner, time);
  }
}

/**
 * A log client's memory: the last checkpoint it trusted per origin. `accept` takes a newer signed
 * checkpoint only if a consistency proof links it to the last one (else 'split_view': the
 * history was rewritten between two visits), optionally requiring k of n witness cosignatures.
 */
export class TrustedCheckpoints {
  private readonly states: OriginStates;
  constructor(stateDir: string) {
    this.states = new OriginStates(stateDir);
  }

  last(origin: string): Promise<WitnessState | undefined> {
    return this.states.get(origin);
  }

  async accept(signedNote: string, logVerifier: NoteVerifier, proof: readonly Uint8Array[], quorum?: { witnesses: readonly NoteVerifier[]; k: number }): Promise<Checkpoint> {
    const cp = quorum ? verifyCosignedCheckpoint(signedNote, logVerifier, quorum.witnesses, quorum.k).checkpoint : openCheckpoint(signedNote, logVerifier).checkpoint;
    const last = await this.states.get(cp.origin);
    checkExtends(last, cp, proof);
    if (last === undefined || cp.size > last.size) await this.states.set({ origin: cp.origin, size: cp.size, root: cp.root.toString('base64') });
    return cp;
  }
}
