// Signed events (issue 9 §4, seed 002): a producer signs what it appends with its Ed25519 key
// and the signature travels inside the event, so the hash chain covers it.
//
// Where: the payload, under the reserved key "_signature". The base event's top-level fields
// and provenance's three fields are fixed by the byte contract; a payload field changes
// neither, so every existing verifier still checks the chain, and an unsigned reader sees one
// more payload field.
//
//   payload._signature = {"key_id":"<8 hex>","sig":"<base64, 64 bytes>","signer":"<key name>"}
//
// Signed bytes (any language can rebuild them from the exported line alone):
//
//   "fmwk-ledger/signed-event/v1\n" || canonical JSON of
//   {"event_type":…,"payload":<payload without "_signature">,"provenance":…,"schema_version":…}
//
// canonical JSON being the byte contract's (keys sorted by code point, no whitespace, UTF-8).
// The key is a signed-note key (note.ts): name, key id = SHA-256(name || "\n" || 0x01 ||
// public key)[0:4], Ed25519 over the bytes above. The signature binds the content, not the
// position: the ledger assigns sequence, timestamp and links after signing, so a producer
// that must not be replayed puts its own counter or id in the payload (examples/zeroth does).

import { canonicalJson } from '../contract/canonicalJson.js';
import { LedgerValidationError } from '../errors/errors.js';
import { decodeBase64, type NoteSigner, type NoteVerifier } from './note.js';

/** The payload field that carries an event's producer signature. */
export const SIGNATURE_KEY = '_signature';
/** The prefix of the signed bytes, so a signature cannot be replayed as another kind of message. */
export const SIGNED_EVENT_CONTEXT = 'fmwk-ledger/signed-event/v1\n';

/** What a producer signs: the four fields it passes to append. */
export interface SignableEvent {
  readonly event_type: string;
  readonly schema_version: string;
  readonly provenance: object;
  readonly payload: object;
}

/** A producer's signature inside an event's payload: key id, signature and signer name. */
export interface EventSignature {
  readonly key_id: string;
  readonly sig: string;
  readonly signer: string;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** The exact bytes signed for `event` (its payload's "_signature", if any, left out). */
export function signedEventBytes(event: SignableEvent): Buffer {
  const { [SIGNATURE_KEY]: _omit, ...payload } = event.payload as Record<string, unknown>;
  const body = canonicalJson({ event_type: event.event_type, payload, provenance: event.provenance, schema_version: event.schema_version });
  return Buffer.from(SIGNED_EVENT_CONTEXT + body, 'utf8');
}

/**
 * `input` with its payload signed by `signer`: append the result as it is. A payload that
 * already carries "_signature" is refused (re-signing would hide who signed first).
 *
 * @example
 * await ledger.append(signEvent({ event_type, schema_version, provenance, payload }, parseSignerKey(keyText)));
 */
export function signEvent<T extends SignableEvent>(input: T, signer: NoteSigner): T {
  if (SIGNATURE_KEY in input.payload) throw new LedgerValidationError(`payload.${SIGNATURE_KEY}`, 'is already present: an event is signed once', (input.payload as Record<string, unknown>)[SIGNATURE_KEY]);
  const sig = signer.sign(signedEventBytes(input));
  const signature: EventSignature = { key_id: hex8(signer.keyId), sig: sig.toString('base64'), signer: signer.name };
  return { ...input, payload: { ...input.payload, [SIGNATURE_KEY]: signature } };
}

/** Why an event's signature does not check against `trusted`, or undefined when it does. */
export function eventSignatureProblem(event: SignableEvent, trusted: readonly NoteVerifier[]): string | undefined {
  const s = (event.payload as Record<string, unknown>)[SIGNATURE_KEY];
  if (s === undefined) return `not signed (no payload.${SIGNATURE_KEY})`;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return `payload.${SIGNATURE_KEY} is not an object`;
  const fields = Object.keys(s).sort().join(',');
  if (fields !== 'key_id,sig,signer') return `payload.${SIGNATURE_KEY} must have exactly key_id, sig, signer (has ${fields || 'nothing'})`;
  const { key_id, sig, signer } = s as Record<string, unknown>;
  if (typeof signer !== 'string' || typeof key_id !== 'string' || !/^[0-9a-f]{8}$/.test(key_id) || typeof sig !== 'string') {
    return `payload.${SIGNATURE_KEY}: signer must be a string, key_id 8 lowercase hex digits, sig base64`;
  }
  const key = trusted.find((k) => k.name === signer && hex8(k.keyId) === key_id);
  if (key === undefined) return `signed by ${signer}+${key_id}, which is not a trusted key`;
  let bytes: Buffer;
  try {
    bytes = decodeBase64(`payload.${SIGNATURE_KEY}.sig`, sig, 'malformed_note');
  } catch (e) {
    return (e as Error).message;
  }
  if (bytes.length !== 64) return `payload.${SIGNATURE_KEY}.sig is ${bytes.length} bytes, not 64`;
  return key.verify(signedEventBytes(event), bytes) ? undefined : `the signature of ${signer}+${key_id} does not match the event's content`;
}
