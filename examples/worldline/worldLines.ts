// Seed 001's LedgerWriter and LedgerReader over fmwk-ledger: every write is read stream ->
// decide -> append at the version read (expected_version), so an invariant decide checks
// still holds when the receipt lands; a conflict means another decider won, and we decide again.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, isLedgerError, sha256, type EventTypeRegistry, type Ledger, type LedgerEvent } from '../../src/index.js';
import {
  decide, evolve, initialState,
  type Commit, type RecordOutcome, type RecordRejection, type WorldLineCommand, type WorldLineState,
} from './decider.js';
import { WorldLineError, streamOf, type worldLineRegistry } from './receipts.js';

type Codecs = ReturnType<typeof worldLineRegistry> extends EventTypeRegistry<infer M> ? M : never;
/** A ledger opened with `worldLineRegistry()`. */
export type WorldLineLedger = Ledger<Codecs>;

/** What an append resolves with (the ledger's AppendResult). */
export type ReceiptRef = Awaited<ReturnType<WorldLineLedger['append']>>;

export interface WorldLinesOptions {
  /** Where snapshot states are kept, by state hash (content-addressed, outside the ledger: seed 001 4.7). */
  readonly snapshotDir: string;
  /** How many times a command is decided again after losing a race on its stream (default 5). */
  readonly maxAttempts?: number;
}

/** A caller-chosen event id makes a retry of the same command safe (idempotent). */
export interface WriteOptions {
  readonly event_id?: string;
}

/** A worldline's state, and where it came from. */
export interface LoadedState {
  readonly state: WorldLineState;
  /** The stream version of the snapshot used, or undefined when folded from the first receipt. */
  readonly fromSnapshot?: number;
}

const kindOf = { wl_commitment: 'commit', wl_outcome: 'outcome', wl_rejection: 'rejection', wl_snapshot: 'snapshot' } as const;

/** The command fields a receipt records, comparable with a command (for idempotent retries). */
function commandFields(cmd: WorldLineCommand): Record<string, unknown> {
  switch (cmd.kind) {
    case 'commit':
      return { kind: cmd.kind, worldline_id: cmd.worldline_id, intent: cmd.intent, policy: cmd.policy, operator_version: cmd.operator_version, decision: cmd.decision, grants: cmd.grants ?? [], revokes: cmd.revokes ?? [], evidence: cmd.evidence ?? [] };
    case 'outcome':
      return { kind: cmd.kind, worldline_id: cmd.worldline_id, commitment_hash: cmd.commitment_hash, effects: cmd.effects, proofs: cmd.proofs ?? [] };
    case 'rejection':
      return { kind: cmd.kind, worldline_id: cmd.worldline_id, commitment_hash: cmd.commitment_hash, reason: cmd.reason };
    case 'snapshot':
      return { kind: cmd.kind, worldline_id: cmd.worldline_id, state_hash: cmd.state_hash };
  }
}

function receiptFields(e: LedgerEvent<Record<string, unknown>>): Record<string, unknown> {
  const kind = kindOf[e.event_type as keyof typeof kindOf];
  if (!kind) return { kind: e.event_type };
  const { prev_receipt_hash: _p, anchored_receipt: _a, anchored_version: _v, ...rest } = e.payload;
  return { kind, ...rest };
}

/**
 * The WorldLine Ledger: per-worldline streams of receipts on one hash chain.
 *
 * @example
 * const ledger = await Ledger.open(await DirectoryStore.open('wll'), { registry: worldLineRegistry() });
 * const wl = new WorldLines(ledger, { snapshotDir: 'wll/states' });
 * const c = await wl.appendCommitment({ worldline_id: 'w1', intent: 'deploy', ... , decision: 'accepted' });
 * await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { deployed: true } });
 */
export class WorldLines {
  private readonly maxAttempts: number;
  constructor(
    readonly ledger: WorldLineLedger,
    private readonly options: WorldLinesOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  // ---- LedgerWriter ---------------------------------------------------------------------

  /** A commitment receipt: the proposal, the policy's decision and the grants. */
  appendCommitment(cmd: Omit<Commit, 'kind'>, opts: WriteOptions = {}): Promise<ReceiptRef> {
    return this.handle({ kind: 'commit', ...cmd }, opts);
  }

  /** An outcome receipt for an accepted, open commitment of this worldline; refused (nothing written) otherwise (L4). */
  appendOutcome(cmd: Omit<RecordOutcome, 'kind'>, opts: WriteOptions = {}): Promise<ReceiptRef> {
    return this.handle({ kind: 'outcome', ...cmd }, opts);
  }

  /** A rejection outcome for an open commitment of this worldline (L4). */
  appendRejectionOutcome(cmd: Omit<RecordRejection, 'kind'>, opts: WriteOptions = {}): Promise<ReceiptRef> {
    return this.handle({ kind: 'rejection', ...cmd }, opts);
  }

  private async handle(cmd: WorldLineCommand, opts: WriteOptions): Promise<ReceiptRef> {
    const stream_id = streamOf(cmd.worldline_id);
    for (let attempt = 1; ; attempt++) {
      // A retry whose first attempt landed (reply lost, process restarted): the original result.
      if (opts.event_id !== undefined) {
        const prior = await this.ledger.getByEventId(opts.event_id);
        if (prior) return this.alreadyWritten(prior, cmd, opts.event_id);
      }
      const { state, currentStreamVersion } = await this.ledger.aggregateStream(stream_id, { evolve, initialState });
      const referenced = 'commitment_hash' in cmd ? await this.ledger.getByHash(cmd.commitment_hash) : undefined;
      const input = decide(cmd, state, { referenced });
      try {
        return await this.ledger.append({ ...input, stream_id, expected_version: currentStreamVersion, ...(opts.event_id === undefined ? {} : { event_id: opts.event_id }) });
      } catch (e) {
        // Another decider appended first (or a twin retry took our event_id): decide again
        // against the new state; the event_id check above settles the twin.
        const lost = isLedgerError(e) && (e.code === 'LEDGER_STREAM_CONFLICT' || (e.code === 'LEDGER_EVENT_ID_CONFLICT' && opts.event_id !== undefined));
        if (!lost || attempt >= this.maxAttempts) throw e;
      }
    }
  }

  private alreadyWritten(prior: LedgerEvent<Record<string, unknown>>, cmd: WorldLineCommand, eventId: string): ReceiptRef {
    if (prior.stream_id !== streamOf(cmd.worldline_id) || canonicalJson(receiptFields(prior)) !== canonicalJson(commandFields(cmd))) {
      throw new WorldLineError('WL_EVENT_ID_REUSED', 'event_id', `already used by sequence ${prior.sequence} for a different receipt`, eventId);
    }
    return { sequence: prior.sequence, hash: prior.hash, event_id: prior.event_id, stream_id: prior.stream_id, stream_version: prior.stream_version! };
  }

  // ---- LedgerReader ---------------------------------------------------------------------

  /** The worldline's newest receipt (version, sequence, hash), or undefined. */
  head(worldlineId: string) {
    return this.ledger.streamHead(streamOf(worldlineId));
  }

  /** Receipts `from`..`to` (stream versions, inclusive). */
  readRange(worldlineId: string, from: number, to?: number) {
    return this.ledger.readStream(streamOf(worldlineId), { from, ...(to === undefined ? {} : { to }) });
  }

  /** Any receipt by hash (checked against the ledger). */
  getByHash(hash: string) {
    return this.ledger.getByHash(hash);
  }

  // ---- snapshots (L5) -------------------------------------------------------------------

  /**
   * Writes the worldline's state at its head outside the ledger, under its hash, then appends
   * a `wl_snapshot` receipt anchored to the head (at the head's version: nothing can slip in).
   */
  async takeSnapshot(worldlineId: string): Promise<ReceiptRef & { readonly state_hash: string }> {
    const stream_id = streamOf(worldlineId);
    const { state, currentStreamVersion } = await this.ledger.aggregateStream(stream_id, { evolve, initialState });
    const blob = canonicalJson(state);
    const state_hash = sha256(blob);
    await this.writeBlob(state_hash, blob);
    const input = decide({ kind: 'snapshot', worldline_id: worldlineId, state_hash }, state);
    const ref = await this.ledger.append({ ...input, stream_id, expected_version: currentStreamVersion });
    return { ...ref, state_hash };
  }

  /**
   * The worldline's state at its head: from the newest snapshot (its state hash and anchor
   * checked) plus the receipts after it, or folded from the first receipt if there is none.
   */
  async loadState(worldlineId: string): Promise<LoadedState> {
    const stream_id = streamOf(worldlineId);
    let link: LedgerEvent<Record<string, unknown>> | undefined;
    for await (const e of this.ledger.readStream(stream_id, { direction: 'backward' })) {
      if (e.event_type === 'wl_snapshot') {
        link = e;
        break;
      }
    }
    if (!link) return { state: (await this.ledger.aggregateStream(stream_id, { evolve, initialState })).state };
    let state = await this.verifiedSnapshot(link);
    for await (const e of this.ledger.readStream(stream_id, { from: state.version + 1 })) state = evolve(state, e);
    return { state, fromSnapshot: link.stream_version! };
  }

  /** The state a snapshot link points at, after checking its hash and its anchor (L5). */
  private async verifiedSnapshot(link: LedgerEvent<Record<string, unknown>>): Promise<WorldLineState> {
    const { state_hash, anchored_receipt, anchored_version } = link.payload as { state_hash: string; anchored_receipt: string; anchored_version: number };
    const path = this.blobPath(state_hash);
    let blob: string;
    try {
      blob = await readFile(path, 'utf8');
    } catch (e) {
      throw new WorldLineError('WL_SNAPSHOT_STATE_HASH', 'state_hash', `no stored state (${(e as Error).message})`, state_hash);
    }
    if (sha256(blob) !== state_hash) throw new WorldLineError('WL_SNAPSHOT_STATE_HASH', 'state_hash', `the stored state hashes to ${sha256(blob)}`, state_hash);
    const anchor = await this.ledger.getByHash(anchored_receipt);
    if (!anchor || anchor.stream_id !== link.stream_id || anchor.stream_version !== anchored_version) {
      throw new WorldLineError('WL_SNAPSHOT_ANCHOR', 'anchored_receipt', `not version ${anchored_version} of ${link.stream_id}`, anchored_receipt);
    }
    const state = JSON.parse(blob) as WorldLineState;
    if (state.head !== anchored_receipt || state.version !== anchored_version) {
      throw new WorldLineError('WL_SNAPSHOT_ANCHOR', 'state.head', `the stored state is not the state at ${anchored_receipt}`, state.head);
    }
    return state;
  }

  private blobPath(stateHash: string): string {
    // The hash comes from an event's payload (anyone who can append wrote it): it names a file
    // only if it is exactly a hash, never a path such as "sha256:../../x".
    const hex = /^sha256:([0-9a-f]{64})$/.exec(stateHash)?.[1];
    if (hex === undefined) throw new WorldLineError('WL_SNAPSHOT_STATE_HASH', 'state_hash', 'is not "sha256:" and 64 lowercase hex digits', stateHash);
    return join(this.options.snapshotDir, `${hex}.json`);
  }

  private async writeBlob(stateHash: string, blob: string): Promise<void> {
    await mkdir(this.options.snapshotDir, { recursive: true });
    const path = this.blobPath(stateHash);
    const tmp = `${path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(blob, 'utf8');
      await fh.sync(); // durable before the receipt that points at it
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }

  // ---- L2 within a worldline ----------------------------------------------------------------

  /**
   * Walks one worldline: versions 0, 1, 2... and each receipt's prev_receipt_hash is the hash of
   * the receipt before it (null for the first). The global chain is `ledger.verifyChain()`.
   */
  async verifyWorldLine(worldlineId: string): Promise<{ valid: boolean; count: number; break_at_version: number | null }> {
    let prev: string | null = null;
    let count = 0;
    for await (const e of this.ledger.readStream(streamOf(worldlineId))) {
      const p = e.payload as { prev_receipt_hash?: unknown };
      if (e.stream_version !== count || p.prev_receipt_hash !== prev) return { valid: false, count, break_at_version: e.stream_version ?? count };
      prev = e.hash;
      count++;
    }
    return { valid: true, count, break_at_version: null };
  }
}
