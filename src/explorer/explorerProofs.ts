// The explorer's proof views: the latest signed checkpoint and earlier ones, each signature line
// checked (the log's with --key, witnesses' cosignatures with --witnesses), inclusion proofs and
// the consistency of the latest checkpoint with an earlier one. Checkpoint files are untrusted
// input (whoever owns the files can write them): read only as small regular files, never through
// a link, and every claim re-checked here; the trees are rebuilt from the stored lines in memory,
// never read from a hashes file, and nothing is written.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isLedgerError, LedgerNotFoundError, LedgerProofError, LedgerValidationError } from '../errors/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, MemoryHashStore, verifyConsistency, verifyInclusion } from '../proofs/merkle.js';
import { openCheckpoint, parseCheckpoint } from '../proofs/checkpoint.js';
import { formatKeyId, parseNote, type NoteVerifier } from '../proofs/note.js';
import { CHECKPOINT_FILE, MERKLE_DIR } from '../stores/merkleLog.js';
import { readSmallFile, strictUtf8Text } from '../stores/smallFile.js';
import { checkKnown, HttpError, parseInteger } from './apiInput.js';
import type { CheckpointEntry, CheckpointResponse, CheckpointsResponse, ConsistencyResponse, CosignatureStatus, InclusionResponse } from './apiTypes.js';

/** Largest tree a proof is built for: the proof is computed from the stored lines in memory. */
export const MAX_PROOF_SIZE = 2_000_000;
/** Largest checkpoint file read: a note of 100 signature lines is under 16 KiB. */
export const MAX_NOTE_BYTES = 64 * 1024;
/** Most files of --checkpoints DIR read; the rest are listed as not read. */
export const MAX_EARLIER = 1000;

export interface ProofOptions {
  readonly ledger: Ledger;
  /** The log's verifier key (--key): signatures are checked only with it. */
  readonly logKey?: NoteVerifier | undefined;
  /** Witnesses' cosignature verifier keys (--witnesses). */
  readonly witnessKeys?: readonly NoteVerifier[] | undefined;
  /** A directory of earlier signed checkpoints (--checkpoints). */
  readonly checkpointsDir?: string | undefined;
  /** Where a store without a directory keeps its latest checkpoint (immudb: the key merkle/<prefix>checkpoint). */
  readonly readLatestCheckpoint?: (() => Promise<string | undefined>) | undefined;
}

/** A parsed checkpoint with its root as bytes, beside what the API sends. */
interface Read {
  readonly response: CheckpointResponse;
  readonly root: Buffer;
}

/**
 * The text of checkpoint note `path` (readSmallFile: a regular file of at most MAX_NOTE_BYTES,
 * never through a link planted in its place, never blocking on a FIFO); undefined if it does
 * not exist.
 */
async function readNoteFile(path: string, what: string): Promise<string | undefined> {
  const note = await readSmallFile(path, MAX_NOTE_BYTES, (why, cause) => new LedgerProofError('malformed_checkpoint', what, `${why}: not read`, cause === undefined ? undefined : { cause }));
  if (note === undefined) return undefined;
  const text = strictUtf8Text(note.bytes);
  if (text === undefined) throw new LedgerProofError('malformed_checkpoint', what, 'is not valid UTF-8');
  return text;
}

/** Each signature line not by the log, checked against the witness keys given (none: nothing claimed). */
function cosignatures(note: string, origin: string, options: ProofOptions): CosignatureStatus[] {
  const { text, signatures } = parseNote(note);
  const message = Buffer.from(text, 'utf8');
  const log = options.logKey;
  const witnesses = options.witnessKeys ?? [];
  return signatures
    .filter((s) => (log ? !(s.name === log.name && s.keyId === log.keyId) : s.name !== origin))
    .map((s) => {
      const key_id = formatKeyId(s.keyId);
      const time = s.signature.length >= 8 ? Number(s.signature.readBigUInt64BE(0)) : null;
      const base = { name: s.name, key_id, time: time !== null && Number.isSafeInteger(time) ? time : null };
      const w = witnesses.find((v) => v.name === s.name && v.keyId === s.keyId);
      if (w) return w.verify(message, s.signature) ? { ...base, verified: true } : { ...base, verified: false, reason: 'does not verify over the checkpoint with this witness key' };
      // A trusted witness's name on a key it does not hold is a forgery, not an unknown witness.
      if (witnesses.some((v) => v.name === s.name)) return { ...base, verified: false, reason: `the witness ${s.name} given to the explorer has another key id` };
      if (log && s.name === log.name) return { ...base, verified: false, reason: "the log's name on a key id that is not the log key's" };
      return { ...base, verified: null, reason: 'no witness key of this name and id was given (--witnesses): not checked' };
    });
}

/** Parses and checks one signed checkpoint note. */
function check(note: string, options: ProofOptions): Read {
  const checkpoint = parseCheckpoint(parseNote(note).text);
  let verified: boolean | null = null;
  let reason: string | undefined;
  if (options.logKey) {
    try {
      openCheckpoint(note, options.logKey);
      verified = true;
    } catch (e) {
      verified = false;
      reason = (e as Error).message;
    }
  }
  const response: CheckpointResponse = {
    note,
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: checkpoint.root.toString('base64'),
    signature_verified: verified,
    ...(reason === undefined ? {} : { signature_reason: reason }),
    cosignatures: cosignatures(note, checkpoint.origin, options),
  };
  return { response, root: checkpoint.root };
}

/** A file read and checked, or why it could not be. */
async function entry(path: string, file: string, options: ProofOptions): Promise<(Read & { entry: CheckpointEntry }) | { entry: CheckpointEntry; missing?: true }> {
  try {
    const note = await readNoteFile(path, file);
    if (note === undefined) return { entry: { file, error: { code: 'NOT_FOUND', message: `${file} does not exist` } }, missing: true };
    const read = check(note, options);
    return { ...read, entry: { file, ...read.response } };
  } catch (e) {
    if (isLedgerError(e) || (e as NodeJS.ErrnoException).code !== undefined) {
      return { entry: { file, error: { code: isLedgerError(e) ? e.code : String((e as NodeJS.ErrnoException).code), message: (e as Error).message } } };
    }
    throw e;
  }
}

const LATEST = `${MERKLE_DIR}/${CHECKPOINT_FILE}`;

/** The latest checkpoint kept beside the store (undefined: none kept). */
async function latest(options: ProofOptions): Promise<Awaited<ReturnType<typeof entry>> | undefined> {
  const dir = options.ledger.location;
  if (dir === undefined) return options.readLatestCheckpoint ? keptLatest(options.readLatestCheckpoint, options) : undefined;
  const r = await entry(join(dir, MERKLE_DIR, CHECKPOINT_FILE), LATEST, options);
  return 'missing' in r && r.missing ? undefined : r;
}

/** The latest checkpoint of a store that keeps it itself (immudb), as untrusted as a file. */
async function keptLatest(read: () => Promise<string | undefined>, options: ProofOptions): Promise<Awaited<ReturnType<typeof entry>> | undefined> {
  const file = `${MERKLE_DIR}/${CHECKPOINT_FILE} (in the store)`;
  try {
    const note = await read();
    if (note === undefined) return undefined;
    if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) throw new LedgerProofError('malformed_checkpoint', file, `is more than a checkpoint note's ${MAX_NOTE_BYTES} bytes: not read`);
    const r = check(note, options);
    return { ...r, entry: { file, ...r.response } };
  } catch (e) {
    if (!isLedgerError(e)) throw e;
    return { entry: { file, error: { code: e.code, message: e.message } } };
  }
}

/** The files of --checkpoints DIR, by name (only names listed there are ever opened). */
async function earlierFiles(options: ProofOptions): Promise<string[]> {
  if (options.checkpointsDir === undefined) return [];
  const names = (await readdir(options.checkpointsDir)).filter((n) => !n.startsWith('.')).sort();
  return names;
}

async function earlier(options: ProofOptions): Promise<CheckpointEntry[]> {
  const names = await earlierFiles(options);
  const out: CheckpointEntry[] = [];
  for (const [i, name] of names.entries()) {
    if (i >= MAX_EARLIER) {
      out.push({ file: name, error: { code: 'NOT_READ', message: `only the first ${MAX_EARLIER} files (by name) are read` } });
      continue;
    }
    out.push((await entry(join(options.checkpointsDir!, name), name, options)).entry);
  }
  const size = (e: CheckpointEntry) => (e.error === undefined ? e.size : Infinity);
  return out.sort((a, b) => size(a) - size(b) || (a.file < b.file ? -1 : 1));
}

/** The RFC 6962 tree of the first `size` stored lines, built in memory; the lines of `keep` kept too. */
async function buildTree(ledger: Ledger, size: number, field: string, keep: readonly number[] = []): Promise<{ tree: MemoryHashStore; leaves: Map<number, Buffer> }> {
  if (size > MAX_PROOF_SIZE) throw new LedgerValidationError(field, `proofs are built in memory up to ${MAX_PROOF_SIZE} events; use fmwk-ledger prove`, size);
  const tree = new MemoryHashStore();
  const leaves = new Map<number, Buffer>();
  if (size === 0) return { tree, leaves };
  for await (const { sequence, line } of ledger.readLines(0, size - 1)) {
    const bytes = Buffer.from(line, 'utf8');
    if (keep.includes(sequence)) leaves.set(sequence, bytes);
    await tree.append(bytes);
  }
  return { tree, leaves };
}

/** Whether the latest checkpoint (to) extends the earlier one (from), by a proof from the stored lines. */
async function consistency(ledger: Ledger, fromFile: string, from: Read, to: Read): Promise<ConsistencyResponse> {
  const m = from.response.size;
  const n = to.response.size;
  const base = {
    from: { file: fromFile, size: m, root: from.response.root, signature_verified: from.response.signature_verified },
    to: { size: n, root: to.response.root, signature_verified: to.response.signature_verified },
  };
  const events = (await ledger.getTip()).sequence_number + 1;
  if (n > events) {
    return { ...base, proof: [], consistent: false, reason: `the ledger holds ${events} events but the latest checkpoint covers ${n}: events were cut`, ledger_matches_latest: false };
  }
  const { tree } = await buildTree(ledger, n, 'checkpoint size');
  const ledgerRoot = n === 0 ? EMPTY_ROOT : await tree.root(n);
  const ledger_matches_latest = ledgerRoot.equals(to.root);
  if (m > n) return { ...base, proof: [], consistent: false, reason: `the earlier checkpoint's size ${m} is beyond the latest's ${n}: the log went back`, ledger_matches_latest };
  if (m === 0) {
    const ok = from.root.equals(EMPTY_ROOT);
    return { ...base, proof: [], consistent: ok, ...(ok ? {} : { reason: 'a checkpoint of size 0 must carry the empty tree root' }), ledger_matches_latest };
  }
  const proof = m === n ? [] : await consistencyProof(tree, m, n);
  try {
    verifyConsistency(m, n, proof, from.root, to.root);
    return { ...base, proof: proof.map((h) => h.toString('base64')), consistent: true, ledger_matches_latest };
  } catch (e) {
    if (!isLedgerError(e, 'LEDGER_PROOF')) throw e;
    const cause = !ledger_matches_latest
      ? ": the ledger's events no longer give the latest checkpoint's root"
      : from.response.signature_verified === false
        ? "; the earlier checkpoint's signature does not verify: its root is not one the log signed"
        : ': the earlier checkpoint signed another history (a split view, or the ledger was rewritten before the latest checkpoint)';
    const why = m === n ? `two different roots for size ${m}: a split view` : `${e.message}${cause}`;
    return { ...base, proof: proof.map((h) => h.toString('base64')), consistent: false, reason: why, ledger_matches_latest };
  }
}

const NO_CHECKPOINT = 'no signed checkpoint is kept beside this ledger (fmwk-ledger checkpoint --store STORE --key KEYFILE takes one)';

/** Registers GET /api/checkpoint, /api/checkpoints, /api/consistency and /api/proof/:seq. */
export function registerProofRoutes(app: FastifyInstance, options: ProofOptions): void {
  const { ledger } = options;
  const requireLatest = async (): Promise<Read & { entry: CheckpointEntry }> => {
    const l = await latest(options);
    if (!l) throw new HttpError(404, 'NO_CHECKPOINT', NO_CHECKPOINT);
    if (!('response' in l)) throw new HttpError(422, l.entry.error!.code, `${l.entry.file}: ${l.entry.error!.message}`);
    return l;
  };

  app.get('/api/checkpoint', async (): Promise<CheckpointResponse> => (await requireLatest()).response);

  app.get('/api/checkpoints', async (): Promise<CheckpointsResponse> => {
    const l = await latest(options);
    return { latest: l?.entry ?? null, earlier: await earlier(options), witness_keys: options.witnessKeys?.length ?? 0 };
  });

  app.get('/api/consistency', async (request): Promise<ConsistencyResponse> => {
    const q = request.query as Record<string, unknown>;
    checkKnown(q, ['file']);
    const file = q.file;
    if (typeof file !== 'string' || file.length === 0) throw new LedgerValidationError('query.file', 'expected the name of one file of --checkpoints DIR', file);
    if (options.checkpointsDir === undefined) throw new HttpError(404, 'NO_CHECKPOINTS_DIR', 'the explorer was started without --checkpoints DIR');
    // Only a name the directory lists is opened: "../x" or "a/b" is never joined to a path.
    if (!(await earlierFiles(options)).includes(file)) throw new LedgerValidationError('query.file', 'is not a file of --checkpoints DIR', file);
    const to = await requireLatest();
    const from = await entry(join(options.checkpointsDir, file), file, options);
    if (!('response' in from)) throw new HttpError(422, from.entry.error!.code, `${file}: ${from.entry.error!.message}`);
    return consistency(ledger, file, from, to);
  });

  app.get('/api/proof/:seq', async (request): Promise<InclusionResponse> => {
    const seq = parseInteger('params.seq', (request.params as Record<string, unknown>).seq, 0);
    const tip = (await ledger.getTip()).sequence_number;
    const l = await latest(options);
    const cp = l && 'response' in l ? l : undefined;
    checkKnown(request.query as Record<string, unknown>, ['size']);
    const query = (request.query as Record<string, unknown>).size;
    // Default: the signed checkpoint's tree when it holds the event, else the whole ledger.
    const size = query !== undefined ? parseInteger('query.size', query, 1) : cp && cp.response.size > seq ? cp.response.size : tip + 1;
    if (size > tip + 1) throw new LedgerNotFoundError(size - 1, `query.size: the tree of size ${size} needs event ${size - 1}; the tip is ${tip}`);
    if (seq >= size) throw new LedgerValidationError('params.seq', `event ${seq} is not in the tree of size ${size}`, seq);
    const { tree, leaves } = await buildTree(ledger, size, 'query.size', [seq]);
    const proof = await inclusionProof(tree, seq, size);
    const root = await tree.root(size);
    const leafH = leafHash(leaves.get(seq)!);
    verifyInclusion(leafH, seq, size, proof, root);
    const matches = cp && cp.response.size === size ? root.equals(cp.root) : null;
    return { sequence: seq, size, leaf_hash: leafH.toString('base64'), proof: proof.map((h) => h.toString('base64')), root: root.toString('base64'), matches_checkpoint: matches };
  });
}
