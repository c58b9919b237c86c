// C2SP tlog-checkpoint: a signed note whose text is "<origin>\n<tree size>\n<base64 root>\n"
// followed by optional extension lines, signed by the log's key, whose name is the origin.

import { LedgerProofError } from '../errors/errors.js';
import { HASH_SIZE } from './merkle.js';
import { decodeBase64, openNote, signNote, type NoteSigner, type NoteVerifier, type OpenedNote } from './note.js';

/** A C2SP checkpoint: the log's origin, the tree size and the Merkle root, plus extension lines. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  /** Lines after the root, each without its newline. */
  readonly extensions?: readonly string[];
}

const bad = (field: string, message: string): LedgerProofError => new LedgerProofError('malformed_checkpoint', field, message);

/** The checkpoint's note text. */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) throw bad('origin', `must be one non-empty line, got ${JSON.stringify(cp.origin)}`);
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw bad('size', `expected a non-negative integer, got ${String(cp.size)}`);
  if (cp.root.length !== HASH_SIZE) throw bad('root', `expected ${HASH_SIZE} bytes, got ${cp.root.length}`);
  for (const [i, e] of (cp.extensions ?? []).entries()) if (e.length === 0 || e.includes('\n')) throw bad(`extension line ${i + 1}`, 'must be one non-empty line');
  return [cp.origin, String(cp.size), cp.root.toString('base64'), ...(cp.extensions ?? [])].map((l) => `${l}\n`).join('');
}

/** Parses checkpoint text strictly (no leading zeros, canonical base64, 32-byte root). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw bad('checkpoint', 'must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw bad('checkpoint', `expected at least 3 lines (origin, size, root), got ${lines.length}`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw bad('checkpoint line 1 (origin)', 'is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw bad('checkpoint line 2 (size)', `expected a decimal integer without leading zeros, got ${JSON.stringify(sizeText)}`);
  const root = decodeBase64('checkpoint line 3 (root)', rootText, 'malformed_checkpoint');
  if (root.length !== HASH_SIZE) throw bad('checkpoint line 3 (root)', `expected ${HASH_SIZE} bytes, got ${root.length}`);
  extensions.forEach((e, i) => {
    if (e.length === 0) throw bad(`checkpoint line ${i + 4} (extension)`, 'is empty');
  });
  return { origin, size: Number(sizeText), root, ...(extensions.length ? { extensions } : {}) };
}

/** Signs a checkpoint with the log's key; the key's name must be the origin. */
export function signCheckpoint(cp: Checkpoint, logSigner: NoteSigner): string {
  if (logSigner.name !== cp.origin) throw new LedgerProofError('malformed_key', 'log key: name', `${JSON.stringify(logSigner.name)} is not the checkpoint's origin ${JSON.stringify(cp.origin)}`);
  return signNote(formatCheckpoint(cp), [logSigner]);
}

/** A checkpoint whose log signature was verified. */
export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: OpenedNote;
}

/**
 * Opens a signed checkpoint: the log's verifier (named as the origin) must have signed it. Other
 * signatures (cosignatures) are left in `note.unverified` for the caller to check.
 */
export function openCheckpoint(signed: string | Uint8Array, logVerifier: NoteVerifier): OpenedCheckpoint {
  const note = openNote(signed, [logVerifier]);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== logVerifier.name) throw new LedgerProofError('malformed_checkpoint', 'checkpoint line 1 (origin)', `${JSON.stringify(checkpoint.origin)} is not the log key's name ${JSON.stringify(logVerifier.name)}`);
  return { checkpoint, note };
}
