// Signed notes (c2sp.org/signed-note, Go's golang.org/x/mod/sumdb/note) with Ed25519 keys from
// node:crypto. A note is its text (ending in "\n"), a blank line, then one line per signature:
// "— <key name> <base64(4-byte key id || signature)>". Parsing is strict: anything Go's parser
// would refuse is a LedgerProofError naming the part at fault.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { LedgerProofError } from '../errors/errors.js';

/** Signature algorithm bytes of the signed-note key formats. */
export const ALG_ED25519 = 0x01;
export const ALG_COSIGNATURE_V1 = 0x04;

const SIG_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100;

/** An Ed25519 signer key of the signed-note format: its name, key id, and a sign function. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** Signs `message` (the note text) and returns the raw signature. */
  sign(message: Buffer): Buffer;
}

/** A verifier key of the signed-note format: its name, key id, and a verify function. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** Whether `signature` is this key's signature of `message`. */
  verify(message: Buffer, signature: Buffer): boolean;
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** base64(key id || signature), as written on the line. */
  readonly base64: string;
  /** The signature bytes after the key id. */
  readonly signature: Buffer;
}

/** A note split into its text and its signature lines, nothing verified. */
export interface ParsedNote {
  readonly text: string;
  readonly signatures: NoteSignature[];
}

/** A note whose signature by a known key was verified: its text and the keys that signed it. */
export interface OpenedNote {
  readonly text: string;
  /** Signatures checked by a known verifier. */
  readonly verified: NoteSignature[];
  /** Signatures by keys not in the verifier list (kept, not trusted). */
  readonly unverified: NoteSignature[];
}

/** A key name: non-empty, no whitespace, no "+", valid Unicode (no lone surrogate). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && isWellFormed(name);
}

/** No lone surrogate: the string has a UTF-8 encoding. */
export const isWellFormed = (s: string): boolean => !/[\uD800-\uDFFF]/u.test(s);

/** First 4 bytes (big-endian) of SHA-256(name || "\n" || alg || key). */
export function keyId(name: string, algAndKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(algAndKey).digest().readUInt32BE(0);
}

/** Standard base64 with padding, rejecting anything that does not re-encode identically. */
export function decodeBase64(field: string, text: string, kind: 'malformed_key' | 'malformed_note' | 'malformed_checkpoint'): Buffer {
  const b = Buffer.from(text, 'base64');
  if (text.length === 0 || b.toString('base64') !== text) throw new LedgerProofError(kind, field, `not canonical standard base64: ${JSON.stringify(text.slice(0, 16))}…`);
  return b;
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

// DER prefixes of PKCS#8 and SPKI for a raw Ed25519 key (RFC 8410), so node:crypto does the math.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicKey(pub: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, pub]), format: 'der', type: 'spki' });
}

export function rawPublicKey(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
}

function rawSeed(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
}

interface KeyText {
  readonly name: string;
  readonly keyId: number;
  readonly alg: number;
  readonly key: Buffer;
}

/** Splits `[PRIVATE+KEY+]name+id+base64` strictly; does not check the id (callers know over what). */
function splitKeyText(what: string, text: string, isPrivate: boolean): KeyText {
  if (typeof text !== 'string') throw new LedgerProofError('malformed_key', what, 'expected a string');
  let rest = text;
  if (isPrivate) {
    if (!rest.startsWith('PRIVATE+KEY+')) throw new LedgerProofError('malformed_key', what, 'must start with PRIVATE+KEY+');
    rest = rest.slice('PRIVATE+KEY+'.length);
  }
  // The base64 part may itself contain "+": only the first two "+" separate fields.
  const a = rest.indexOf('+');
  const b = a < 0 ? -1 : rest.indexOf('+', a + 1);
  if (b < 0) throw new LedgerProofError('malformed_key', what, `expected ${isPrivate ? 'PRIVATE+KEY+' : ''}<name>+<key id>+<base64>`);
  const [name, id, b64] = [rest.slice(0, a), rest.slice(a + 1, b), rest.slice(b + 1)];
  if (!isValidKeyName(name)) throw new LedgerProofError('malformed_key', `${what}: name`, `invalid key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]{8}$/.test(id)) throw new LedgerProofError('malformed_key', `${what}: key id`, `expected 8 lowercase hex digits, got ${JSON.stringify(id)}`);
  const bytes = decodeBase64(`${what}: key`, b64, 'malformed_key');
  if (bytes.length !== 33) throw new LedgerProofError('malformed_key', `${what}: key`, `expected 1 algorithm byte and 32 key bytes, got ${bytes.length} bytes`);
  return { name, keyId: Number.parseInt(id, 16), alg: bytes[0]!, key: bytes.subarray(1) };
}

function checkId(what: string, k: KeyText, pub: Buffer): void {
  const want = keyId(k.name, Buffer.concat([Buffer.of(k.alg), pub]));
  if (want !== k.keyId) throw new LedgerProofError('malformed_key', `${what}: key id`, `${hex8(k.keyId)} does not match the key (${hex8(want)})`);
}

/** A signer from signer key text `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`. */
export function parseSignerKey(text: string): NoteSigner {
  const k = splitKeyText('signer key', text.trim(), true);
  if (k.alg !== ALG_ED25519) throw new LedgerProofError('malformed_key', 'signer key: algorithm', `expected 0x01 (Ed25519), got 0x${k.alg.toString(16).padStart(2, '0')}`);
  const priv = ed25519PrivateKey(k.key);
  checkId('signer key', k, rawPublicKey(priv));
  return { name: k.name, keyId: k.keyId, sign: (m) => sign(null, m, priv) };
}

/** The verifier key text of a signer key text. */
export function verifierKeyOf(signerKeyText: string): string {
  const k = splitKeyText('signer key', signerKeyText.trim(), true);
  const pub = rawPublicKey(ed25519PrivateKey(k.key));
  checkId('signer key', k, pub);
  return `${k.name}+${hex8(k.keyId)}+${Buffer.concat([Buffer.of(k.alg), pub]).toString('base64')}`;
}

/** A verifier from verifier key text `<name>+<id>+<base64(0x01 || public key)>`. */
export function parseVerifierKey(text: string): NoteVerifier {
  const k = splitKeyText('verifier key', text.trim(), false);
  if (k.alg !== ALG_ED25519) throw new LedgerProofError('malformed_key', 'verifier key: algorithm', `expected 0x01 (Ed25519), got 0x${k.alg.toString(16).padStart(2, '0')}`);
  checkId('verifier key', k, k.key);
  const pub = ed25519PublicKey(k.key);
  return { name: k.name, keyId: k.keyId, verify: (m, s) => s.length === 64 && verify(null, m, pub, s) };
}

/** Parses any key text into its parts (for cosigner keys, whose algorithm byte differs). */
export function parseKeyText(text: string, isPrivate: boolean): KeyText {
  return splitKeyText(isPrivate ? 'signer key' : 'verifier key', text.trim(), isPrivate);
}

/** A fresh Ed25519 key pair in signed-note text form. The signer key is secret: never log it. */
export function generateKey(name: string): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) throw new LedgerProofError('malformed_key', 'name', `invalid key name ${JSON.stringify(name)}`);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = rawSeed(privateKey);
  const pub = rawPublicKey(privateKey);
  const id = hex8(keyId(name, Buffer.concat([Buffer.of(ALG_ED25519), pub])));
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.of(ALG_ED25519), seed]).toString('base64')}`,
    verifierKey: `${name}+${id}+${Buffer.concat([Buffer.of(ALG_ED25519), pub]).toString('base64')}`,
  };
}

/** Note text rules shared by signing and opening: valid UTF-8, no control character but "\n". */
function checkNoteChars(field: string, text: string): void {
  if (!isWellFormed(text)) throw new LedgerProofError('malformed_note', field, 'contains a lone surrogate (not UTF-8)');
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (bad) throw new LedgerProofError('malformed_note', field, `contains control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} at offset ${bad.index}`);
}

/** Splits a note into its text and signature lines without checking any signature. */
export function parseNote(message: string | Uint8Array): ParsedNote {
  let msg: string;
  if (typeof message === 'string') msg = message;
  else {
    try {
      msg = new TextDecoder('utf-8', { fatal: true }).decode(message);
    } catch {
      throw new LedgerProofError('malformed_note', 'note', 'is not valid UTF-8');
    }
  }
  checkNoteChars('note', msg);
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new LedgerProofError('malformed_note', 'note', 'has no blank line before a signature block');
  const text = msg.slice(0, split + 1);
  const sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith('\n')) throw new LedgerProofError('malformed_note', 'note', 'signature block is empty or does not end in a newline');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new LedgerProofError('malformed_note', 'note', `more than ${MAX_SIGNATURES} signature lines`);
  const signatures = lines.map((line, i) => {
    const field = `signature line ${i + 1}`;
    if (!line.startsWith(SIG_PREFIX)) throw new LedgerProofError('malformed_note', field, 'does not start with "\u2014 " (U+2014 and a space)');
    const body = line.slice(SIG_PREFIX.length);
    const sp = body.indexOf(' ');
    const name = sp < 0 ? body : body.slice(0, sp);
    const b64 = sp < 0 ? '' : body.slice(sp + 1);
    if (!isValidKeyName(name)) throw new LedgerProofError('malformed_note', `${field}: name`, `invalid key name ${JSON.stringify(name)}`);
    const raw = decodeBase64(`${field}: signature`, b64, 'malformed_note');
    if (raw.length < 5) throw new LedgerProofError('malformed_note', `${field}: signature`, `${raw.length} bytes, too short for a key id and a signature`);
    return { name, keyId: raw.readUInt32BE(0), base64: b64, signature: raw.subarray(4) };
  });
  return { text, signatures };
}

/**
 * Opens a note: every signature by a known verifier must be valid (else 'bad_signature'), and at
 * least one must be present (else 'unverified'). Duplicate lines by one key count once.
 */
export function openNote(message: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(message);
  const known = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const key = `${v.name}\u0000${v.keyId}`;
    if (known.has(key)) throw new LedgerProofError('malformed_key', 'verifiers', `two verifiers share name ${v.name} and key id ${hex8(v.keyId)}`);
    known.set(key, v);
  }
  const textBytes = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const s of signatures) {
    const key = `${s.name}\u0000${s.keyId}`;
    const v = known.get(key);
    if (v === undefined) {
      if (!unverified.some((u) => u.base64 === s.base64 && u.name === s.name)) unverified.push(s);
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    if (!v.verify(textBytes, s.signature)) throw new LedgerProofError('bad_signature', `signature by ${s.name}+${hex8(s.keyId)}`, 'does not verify over the note text');
    verified.push(s);
  }
  if (verified.length === 0) throw new LedgerProofError('unverified', 'note', `no signature by a known key (${verifiers.map((v) => `${v.name}+${hex8(v.keyId)}`).join(', ') || 'none given'})`);
  return { text, verified, unverified };
}

/** A signature line for `text` by `signer`. */
export function signatureLine(text: string, signer: NoteSigner): string {
  const sig = signer.sign(Buffer.from(text, 'utf8'));
  const idb = Buffer.alloc(4);
  idb.writeUInt32BE(signer.keyId);
  return `${SIG_PREFIX}${signer.name} ${Buffer.concat([idb, sig]).toString('base64')}\n`;
}

/**
 * Signs `text` (which must end in "\n") with each signer. `existing` signature lines are kept,
 * except those by a key that signs again.
 */
export function signNote(text: string, signers: readonly NoteSigner[], existing: readonly NoteSignature[] = []): string {
  if (!text.endsWith('\n')) throw new LedgerProofError('malformed_note', 'note text', 'must end in a newline');
  checkNoteChars('note text', text);
  for (const s of signers) if (!isValidKeyName(s.name)) throw new LedgerProofError('malformed_key', 'signer', `invalid key name ${JSON.stringify(s.name)}`);
  const renewed = new Set(signers.map((s) => `${s.name}\u0000${s.keyId}`));
  const kept = existing.filter((s) => !renewed.has(`${s.name}\u0000${s.keyId}`)).map((s) => `${SIG_PREFIX}${s.name} ${s.base64}\n`);
  return `${text}\n${kept.join('')}${signers.map((s) => signatureLine(text, s)).join('')}`;
}

export { hex8 as formatKeyId };
