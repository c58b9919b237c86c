import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { MAX_VERIFY_WORKERS, verifyFile } from '../../verify/verifyFile.js';
import type { VerifyResult } from '../../verify/verifyChain.js';
import type { IndexVerdict } from '../../ledger/ledgerStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { progressBar } from '../progress.js';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { readSideFile } from '../../stores/sideFile.js';
import { verifyFileAgainstCheckpoint } from '../../verify/verifyCheckpoint.js';
import { proofFailuresInvalid, readKeyList, readVerifierKey } from './proofsCli.js';
import { verifySignedEvents } from '../../verify/verifySignedEvents.js';
import { parseVerifierKey, type NoteVerifier } from '../../proofs/note.js';

/** The chain is valid, the store's index is not (its own status: derived data, rebuilt by reindex). */
const EXIT_INDEX_CORRUPT = 3;

export const verify = defineCommand({
  name: 'verify',
  summary: 'verify the hash chain of an exported file (cold) or of a store',
  usage: `FILE [--workers N]
       fmwk-ledger verify FILE --checkpoint CP --key VKEY
       fmwk-ledger verify --store STORE [--from SEQ] [--to SEQ]
       fmwk-ledger verify FILE|--store STORE --signers KEYFILE [--signed-types T,…]`,
  description: `Recomputes every event's SHA-256 over its canonical JSON (without "hash") and checks
every previous_hash link and sequence number. FILE needs nothing but itself (cold
verification); --store checks a live store. Both give the same answer for the same events.

The last line of standard output is
  {"valid":true,"break_at":null,"count":N}
where break_at is the first sequence that fails and count the events verified before it;
the reason for a failure goes to standard error.

A line counts only once it ends in a newline: bytes after the last newline are an
unfinished write, ignored (with a warning on standard error) as the directory store
ignores them. So are the events of an atomic batch the file ends inside (appendToStream,
appendBatch: its events carry "batch"), which were never committed; a batch cut anywhere
else is invalid at its first event. Lines cut from the end leave a shorter chain that is still valid: pass
--expect-tip SEQ:HASH (a tip recorded elsewhere) to catch that.

--store without --from/--to, once the chain is valid, also checks the store's index (derived
data: index.sqlite rows, immudb index keys, deleted and expired ones included) against the
events it describes, and that every event has its entries. Index corruption is reported apart from the chain's: the
JSON line then carries "index":{"valid":false,"break_at":SEQ,"count":N} (break_at null when
the damage is not one event's, count the events whose entries were checked before it), the
reason goes to standard error, and the exit code is 3; \`fmwk-ledger reindex\` rebuilds it.`,
  options: {
    ...STORE_OPTIONS,
    from: { value: 'SEQ', integer: true, description: 'verify a range of a store from SEQ (the link into it is checked)' },
    to: { value: 'SEQ', integer: true, description: 'verify a range of a store up to SEQ' },
    'expect-tip': { value: 'SEQ:HASH', description: 'fail unless the chain ends exactly at this sequence and hash' },
    checkpoint: {
      value: 'CP',
      description: 'FILE only: also check that the first <size> events give the root of this signed checkpoint (c2sp.org/tlog-checkpoint): catches a rewritten (re-hashed) history and a cut tail. Needs --key',
    },
    key: { value: 'VKEY', description: 'the log\'s verifier key for --checkpoint (literally or a file)' },
    signers: {
      value: 'KEYFILE',
      description: 'also require every event (of --signed-types, if given) to carry a valid payload._signature by one of the verifier keys in KEYFILE (one <name>+<id>+<base64> per line; # comments). The first missing, unknown or bad signature is break_at',
    },
    'signed-types': { value: 'T,…', description: 'with --signers: only these event types must be signed' },
    workers: {
      value: 'N',
      integer: true,
      description: `FILE only: verify in N worker threads (default 1, at most ${MAX_VERIFY_WORKERS}; more than the cores gains nothing). A file of at least 1 MiB is cut at line starts into up to N ranges, verified in parallel and stitched in order; the answer is the same as with 1. The calling thread verifies while the workers start and each worker's share is smaller by an 8 MiB warm-up, so in practice a file under ~8 MiB is never split: it is verified on one thread`,
    },
  },
  json: true,
  exit: `Exit: 0 valid, 1 invalid (the chain), 2 usage or I/O error, 3 the chain is valid but the store's index is not.`,

  async execute({ values, positionals }, io) {
    if (values.store !== undefined && values.checkpoint !== undefined) throw new UsageError('--checkpoint applies to FILE only');
    const signers = values.signers === undefined ? undefined : await readSigners(values.signers);
    if (signers === undefined && values['signed-types'] !== undefined) throw new UsageError('--signed-types needs --signers');
    const signedOptions = values['signed-types'] === undefined ? {} : { eventTypes: values['signed-types'].split(',') };
    if (signers !== undefined && values.checkpoint !== undefined) throw new UsageError('give --signers or --checkpoint, not both');
    const expectTip = values['expect-tip'] === undefined ? undefined : parseTip(values['expect-tip']);
    let result: VerifyResult;
    let index: IndexVerdict | undefined;
    if (values.store !== undefined) {
      if (positionals.length > 0) throw new UsageError('give either FILE or --store, not both');
      if (values.workers !== undefined) throw new UsageError('--workers applies to FILE only, not --store');
      const from = values.from === undefined ? 0 : parseSequence('--from', values.from);
      const to = values.to === undefined ? undefined : parseSequence('--to', values.to);
      const store = await openStore(values.store, { readOnly: true, ...storeConfig(values) });
      const ledger = await Ledger.open(store);
      try {
        const bar = progressBar(io, 'verify', to === undefined ? (await ledger.getTip()).sequence_number + 1 - from : to - from + 1);
        try {
          result = await ledger.verifyChain(from, to, { onProgress: (n) => bar.update(n) });
        } finally {
          bar.finish();
        }
        if (signers !== undefined && result.valid) {
          if (from !== 0 || to !== undefined) throw new UsageError('--signers checks the whole store: no --from/--to');
          result = await verifySignedEvents(ledger, signers, signedOptions);
        }
        if (expectTip && result.valid) {
          const tip = await ledger.getTip();
          if (tip.sequence_number !== expectTip.sequence_number || tip.hash !== expectTip.hash) {
            result = { valid: false, break_at: Math.min(tip.sequence_number + 1, expectTip.sequence_number), count: result.count, reason: `the store's tip ${tip.sequence_number} ${tip.hash} is not the expected ${expectTip.sequence_number} ${expectTip.hash}` };
          }
        }
        // The whole store's index, against a chain found valid (a range leaves it alone; a
        // broken chain is the answer, and the index is judged against the events once it holds).
        if (result.valid && from === 0 && to === undefined) index = await store.index.audit?.();
      } finally {
        await ledger.close();
      }
    } else {
      if (positionals.length !== 1) throw new UsageError('expected one FILE, or --store STORE');
      if (values.from !== undefined || values.to !== undefined) throw new UsageError('--from and --to apply to --store only');
      const workers = values.workers === undefined ? 1 : parseSequence('--workers', values.workers);
      if (workers < 1 || workers > MAX_VERIFY_WORKERS) throw new UsageError(`--workers must be an integer from 1 to ${MAX_VERIFY_WORKERS}, got ${JSON.stringify(values.workers)}`);
      if (signers !== undefined) {
        result = await verifySignedEvents(positionals[0]!, signers, signedOptions);
      } else if (values.checkpoint !== undefined) {
        // Against a signed checkpoint: the first `size` events must give its Merkle root.
        const cp = (await readSideFile('--checkpoint', values.checkpoint, 'checkpoint')).text;
        const vkey = await readVerifierKey(requireOption(values, 'key'));
        let checked: VerifyResult | undefined;
        const code = await proofFailuresInvalid('verify', io, async () => ((checked = await verifyFileAgainstCheckpoint(positionals[0]!, cp, vkey)), EXIT.ok));
        if (checked === undefined) return code;
        result = checked;
      } else {
        const bar = progressBar(io, 'verify', io.stderr.isTTY ? await estimateLines(positionals[0]!) : undefined);
        try {
          result = await verifyFile(positionals[0]!, { expectTip, workers, onProgress: (n) => bar.update(n) });
        } finally {
          bar.finish();
        }
      }
    }
    if (!result.valid) io.stderr.write(`fmwk-ledger verify: invalid at sequence ${result.break_at}: ${result.reason}\n`);
    if (result.torn_bytes) io.stderr.write(`fmwk-ledger verify: ignored ${result.torn_bytes} bytes after the last newline (an unfinished write, not an event)\n`);
    const ub = result.unfinished_batch;
    if (ub) io.stderr.write(`fmwk-ledger verify: ignored an unfinished atomic batch at the end: ${ub.events} of its ${ub.size} events, from sequence ${ub.sequence} (an unfinished write, not committed)\n`);
    const badIndex = index?.valid === false ? index : undefined;
    if (badIndex) io.stderr.write(`fmwk-ledger verify: the index is corrupt${badIndex.break_at === null ? '' : ` at sequence ${badIndex.break_at}`}: ${badIndex.reason}\n`);
    const indexField = badIndex ? { index: { valid: false, break_at: badIndex.break_at, count: badIndex.count } } : {};
    io.stdout.write(`${JSON.stringify({ valid: result.valid, break_at: result.break_at, count: result.count, ...indexField })}\n`);
    return result.valid ? (badIndex ? EXIT_INDEX_CORRUPT : EXIT.ok) : EXIT.invalid;
  },
});

/** Verifier keys, one per line; blank lines and # comments skipped. A bad key is a usage error. */
function readSigners(path: string): Promise<NoteVerifier[]> {
  return readKeyList('--signers', path, parseVerifierKey);
}

function parseTip(text: string): { sequence_number: number; hash: string } {
  const m = /^(0|[1-9]\d*):(sha256:[0-9a-f]{64})$/.exec(text);
  if (!m) throw new UsageError(`--expect-tip must be SEQ:sha256:<64 hex>, got ${JSON.stringify(text)}`);
  return { sequence_number: Number(m[1]), hash: m[2]! };
}

/**
 * The number of lines of FILE, estimated from its first MiB (the bar's total, for its ETA;
 * corrected upward as lines come). Undefined when FILE cannot be read: verify reports that.
 */
async function estimateLines(path: string): Promise<number | undefined> {
  let fh;
  try {
    // Non-blocking: a FIFO must not hang here (verifyFile refuses non-regular files itself).
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    const size = st.size;
    const sample = Buffer.alloc(Math.min(size, 1 << 20));
    const { bytesRead } = await fh.read(sample, 0, sample.length, 0);
    let lines = 0;
    for (let i = sample.indexOf(0x0a); i >= 0 && i < bytesRead; i = sample.indexOf(0x0a, i + 1)) lines++;
    return lines === 0 ? undefined : Math.round((lines * size) / bytesRead);
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}
