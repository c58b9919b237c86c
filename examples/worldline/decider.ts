// One worldline as a decider: `evolve` folds its receipts into a state, `decide` turns a command
// into the next receipt against that state or refuses it. The WorldLine writer runs decide
// between reading the stream and appending at its version (expected_version), so an invariant
// checked here holds at the moment of the write: two deciders cannot both win.
import type { LedgerEvent, TypedAppendInput } from '../../src/index.js';
import {
  WORLDLINE_PROVENANCE, WorldLineError, decodeReceipt, streamOf,
  type CommitmentPayload, type OutcomePayload, type PolicyRef, type RejectionPayload, type SnapshotLinkPayload,
} from './receipts.js';

/** What the worldline knows about one of its commitments. */
export interface CommitmentStatus {
  readonly version: number;
  readonly decision: 'accepted' | 'rejected';
  readonly grants: readonly string[];
  readonly revokes: readonly string[];
  /** null until an outcome or a rejection names it. */
  readonly resolved: null | 'outcome' | 'rejection';
}

/** A worldline's state: canonical state, capabilities, and what decide needs (head, commitments). JSON only. */
export interface WorldLineState {
  readonly worldline_id: string | null;
  /** The stream's last version, -1 before the first receipt. */
  readonly version: number;
  /** The hash of the last receipt (the next receipt's prev_receipt_hash). */
  readonly head: string | null;
  readonly commitments: Readonly<Record<string, CommitmentStatus>>;
  /** Canonical state: only accepted commitments with an outcome change it (seed 001 4.5). */
  readonly canonical: Readonly<Record<string, unknown>>;
  /** Effective capabilities, sorted. */
  readonly capabilities: readonly string[];
}

export const initialState = (): WorldLineState => ({ worldline_id: null, version: -1, head: null, commitments: {}, canonical: {}, capabilities: [] });

/** Folds one receipt (as read from the ledger, with its hash and stream_version) into the state. */
export function evolve(state: WorldLineState, event: LedgerEvent<unknown>): WorldLineState {
  const r = decodeReceipt(event);
  const base = { ...state, worldline_id: r.payload.worldline_id, version: event.stream_version ?? state.version + 1, head: event.hash };
  switch (r.event_type) {
    case 'wl_commitment': {
      const p = r.payload;
      return { ...base, commitments: { ...state.commitments, [r.hash]: { version: base.version, decision: p.decision, grants: p.grants, revokes: p.revokes, resolved: null } } };
    }
    case 'wl_outcome': {
      const c = state.commitments[r.payload.commitment_hash];
      // A receipt another writer appended without the decide step: refuse to fold it into state.
      if (!c || c.decision !== 'accepted' || c.resolved) throw new WorldLineError('WL_OUTCOME_UNATTRIBUTED', `payload.commitment_hash (sequence ${r.sequence})`, 'no open accepted commitment of this worldline', r.payload.commitment_hash);
      const caps = new Set(state.capabilities);
      for (const g of c.grants) caps.add(g);
      for (const g of c.revokes) caps.delete(g);
      return {
        ...base,
        commitments: { ...state.commitments, [r.payload.commitment_hash]: { ...c, resolved: 'outcome' } },
        canonical: { ...state.canonical, ...r.payload.effects },
        capabilities: [...caps].sort(),
      };
    }
    case 'wl_rejection': {
      const c = state.commitments[r.payload.commitment_hash];
      if (!c || c.resolved) throw new WorldLineError('WL_OUTCOME_UNATTRIBUTED', `payload.commitment_hash (sequence ${r.sequence})`, 'no open commitment of this worldline', r.payload.commitment_hash);
      return { ...base, commitments: { ...state.commitments, [r.payload.commitment_hash]: { ...c, resolved: 'rejection' } } };
    }
    case 'wl_snapshot':
      return base; // a link to state kept outside; changes nothing
  }
}

// ---- commands ------------------------------------------------------------------------------

export interface Commit {
  readonly kind: 'commit';
  readonly worldline_id: string;
  readonly intent: string;
  readonly policy: PolicyRef;
  readonly operator_version: string;
  readonly decision: 'accepted' | 'rejected';
  readonly grants?: readonly string[];
  readonly revokes?: readonly string[];
  readonly evidence?: readonly string[];
}
export interface RecordOutcome {
  readonly kind: 'outcome';
  readonly worldline_id: string;
  readonly commitment_hash: string;
  readonly effects: Readonly<Record<string, unknown>>;
  readonly proofs?: readonly string[];
}
export interface RecordRejection {
  readonly kind: 'rejection';
  readonly worldline_id: string;
  readonly commitment_hash: string;
  readonly reason: string;
}
export interface LinkSnapshot {
  readonly kind: 'snapshot';
  readonly worldline_id: string;
  readonly state_hash: string;
}
export type WorldLineCommand = Commit | RecordOutcome | RecordRejection | LinkSnapshot;

export type ReceiptInput =
  | TypedAppendInput<'wl_commitment', CommitmentPayload>
  | TypedAppendInput<'wl_outcome', OutcomePayload>
  | TypedAppendInput<'wl_rejection', RejectionPayload>
  | TypedAppendInput<'wl_snapshot', SnapshotLinkPayload>;

/** What decide sees beside the state: the receipt a command's commitment_hash names, as getByHash found it. */
export interface DecideContext {
  readonly referenced?: LedgerEvent<unknown> | undefined;
}

const receipt = <K extends ReceiptInput['event_type']>(event_type: K, payload: Extract<ReceiptInput, { event_type: K }>['payload']) =>
  ({ event_type, schema_version: '1.0.0', provenance: WORLDLINE_PROVENANCE, payload }) as Extract<ReceiptInput, { event_type: K }>;

/**
 * L4 at append time: the commitment an outcome names must exist (anywhere: getByHash), be a
 * commitment, belong to this worldline, and be open; an outcome also needs it accepted.
 */
function openCommitment(cmd: RecordOutcome | RecordRejection, state: WorldLineState, ctx: DecideContext): CommitmentStatus {
  const ref = ctx.referenced;
  const field = 'commitment_hash';
  if (!ref) throw new WorldLineError('WL_OUTCOME_UNATTRIBUTED', field, 'no receipt in the ledger has this hash', cmd.commitment_hash);
  if (ref.event_type !== 'wl_commitment') throw new WorldLineError('WL_NOT_A_COMMITMENT', field, `the receipt is a ${ref.event_type}`, cmd.commitment_hash);
  if (ref.stream_id !== streamOf(cmd.worldline_id)) throw new WorldLineError('WL_OTHER_WORLDLINE', field, `the commitment belongs to stream ${ref.stream_id}`, cmd.commitment_hash);
  const c = state.commitments[cmd.commitment_hash];
  if (!c) throw new WorldLineError('WL_OUTCOME_UNATTRIBUTED', field, 'not a commitment of this worldline', cmd.commitment_hash);
  if (c.resolved) throw new WorldLineError('WL_COMMITMENT_RESOLVED', field, `the commitment already has its ${c.resolved}`, cmd.commitment_hash);
  if (cmd.kind === 'outcome' && c.decision !== 'accepted') throw new WorldLineError('WL_COMMITMENT_REJECTED', field, 'a rejected commitment takes a rejection outcome, not effects', cmd.commitment_hash);
  return c;
}

/** The receipt `cmd` appends to the worldline in `state`, or a WorldLineError saying why not. */
export function decide(cmd: WorldLineCommand, state: WorldLineState, ctx: DecideContext = {}): ReceiptInput {
  const base = { worldline_id: cmd.worldline_id, prev_receipt_hash: state.head };
  switch (cmd.kind) {
    case 'commit':
      return receipt('wl_commitment', {
        ...base, intent: cmd.intent, policy: cmd.policy, operator_version: cmd.operator_version, decision: cmd.decision,
        grants: [...(cmd.grants ?? [])], revokes: [...(cmd.revokes ?? [])], evidence: [...(cmd.evidence ?? [])],
      } as CommitmentPayload);
    case 'outcome':
      openCommitment(cmd, state, ctx);
      return receipt('wl_outcome', { ...base, commitment_hash: cmd.commitment_hash, effects: { ...cmd.effects }, proofs: [...(cmd.proofs ?? [])] } as OutcomePayload);
    case 'rejection':
      openCommitment(cmd, state, ctx);
      return receipt('wl_rejection', { ...base, commitment_hash: cmd.commitment_hash, reason: cmd.reason } as RejectionPayload);
    case 'snapshot':
      if (state.head === null) throw new WorldLineError('WL_NO_WORLDLINE', 'worldline_id', 'no receipt to anchor a snapshot to', cmd.worldline_id);
      return receipt('wl_snapshot', { ...base, prev_receipt_hash: state.head, anchored_receipt: state.head, anchored_version: state.version, state_hash: cmd.state_hash } as SnapshotLinkPayload);
  }
}
