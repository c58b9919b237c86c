// The WorldLine Ledger's receipts (seed 001, section 4): what each kind carries, its io-ts codec,
// and the registry a WorldLine ledger is opened with. One stream per worldline.
import * as t from 'io-ts';
import { EventTypeRegistry, HashString, NonEmptyString, type LedgerEvent, type Provenance } from '../../src/index.js';

const Hash = HashString;
/** The previous receipt of the same worldline (seed 001 `prev_receipt_hash`); null for the first. */
const PrevReceipt = t.union([Hash, t.null], 'a receipt hash or null');
export interface StreamVersionBrand { readonly StreamVersion: unique symbol }
const StreamVersion = t.brand(t.Int, (n): n is t.Branded<t.Int, StreamVersionBrand> => n >= 0, 'StreamVersion');
const JsonObject = t.record(t.string, t.unknown, 'a JSON object');

/** The policy that evaluated a proposal, and its version (kept so a plan is read as it was decided). */
export const PolicyRef = t.type({ policy_id: NonEmptyString, version: NonEmptyString }, 'PolicyRef');
export type PolicyRef = t.OutputOf<typeof PolicyRef>;

/** A commitment receipt: what was proposed, which policy decided, the decision and the grants. */
export const CommitmentPayload = t.type(
  {
    worldline_id: NonEmptyString,
    prev_receipt_hash: PrevReceipt,
    intent: NonEmptyString,
    policy: PolicyRef,
    operator_version: NonEmptyString,
    decision: t.keyof({ accepted: null, rejected: null }),
    /** Capabilities this commitment grants / revokes once its outcome is recorded. */
    grants: t.array(NonEmptyString),
    revokes: t.array(NonEmptyString),
    /** Evidence kept outside the ledger, by hash (seed 001 4.7). */
    evidence: t.array(Hash),
  },
  'wl_commitment payload',
);
export type CommitmentPayload = t.OutputOf<typeof CommitmentPayload>;

/** An outcome receipt: the effects executed for an accepted commitment, and their proofs (L4: names the commitment). */
export const OutcomePayload = t.type(
  { worldline_id: NonEmptyString, prev_receipt_hash: PrevReceipt, commitment_hash: Hash, effects: JsonObject, proofs: t.array(Hash) },
  'wl_outcome payload',
);
export type OutcomePayload = t.OutputOf<typeof OutcomePayload>;

/** A rejection outcome: the commitment was not carried out (seed 001 append_rejection_outcome). */
export const RejectionPayload = t.type(
  { worldline_id: NonEmptyString, prev_receipt_hash: PrevReceipt, commitment_hash: Hash, reason: NonEmptyString },
  'wl_rejection payload',
);
export type RejectionPayload = t.OutputOf<typeof RejectionPayload>;

/** A snapshot link (L5): the state after `anchored_receipt`, stored outside the ledger under `state_hash`. */
export const SnapshotLinkPayload = t.type(
  { worldline_id: NonEmptyString, prev_receipt_hash: Hash, anchored_receipt: Hash, anchored_version: StreamVersion, state_hash: Hash },
  'wl_snapshot payload',
);
export type SnapshotLinkPayload = t.OutputOf<typeof SnapshotLinkPayload>;

/** The receipt kinds, by event type. */
export interface WorldLineReceipts {
  wl_commitment: CommitmentPayload;
  wl_outcome: OutcomePayload;
  wl_rejection: RejectionPayload;
  wl_snapshot: SnapshotLinkPayload;
}
export type ReceiptType = keyof WorldLineReceipts;
export const RECEIPT_TYPES: readonly ReceiptType[] = ['wl_commitment', 'wl_outcome', 'wl_rejection', 'wl_snapshot'];

/** The event types a WorldLine ledger accepts (on top of seed 003's). */
export const worldLineRegistry = () =>
  EventTypeRegistry.withSeedTypes()
    .register('wl_commitment', CommitmentPayload)
    .register('wl_outcome', OutcomePayload)
    .register('wl_rejection', RejectionPayload)
    .register('wl_snapshot', SnapshotLinkPayload);

/** A receipt as read back from the ledger (stream fields present). */
export type Receipt<K extends ReceiptType = ReceiptType> = { [T in K]: LedgerEvent<WorldLineReceipts[T]> & { readonly event_type: T } }[K];

/** Worldlines live in streams `worldline/<id>`. */
export const streamOf = (worldlineId: string): string => `worldline/${worldlineId}`;

export const WORLDLINE_PROVENANCE: Provenance = { framework_id: 'FMWK-WLL', pack_id: 'PC-WLL-kernel', actor: 'system' };

export type WorldLineErrorCode =
  | 'WL_OUTCOME_UNATTRIBUTED'
  | 'WL_NOT_A_COMMITMENT'
  | 'WL_OTHER_WORLDLINE'
  | 'WL_COMMITMENT_RESOLVED'
  | 'WL_COMMITMENT_REJECTED'
  | 'WL_NO_WORLDLINE'
  | 'WL_EVENT_ID_REUSED'
  | 'WL_SNAPSHOT_STATE_HASH'
  | 'WL_SNAPSHOT_ANCHOR'
  | 'WL_RECEIPT_INVALID';

/** A WorldLine invariant refused a command (nothing was written) or a stored artefact failed a check. */
export class WorldLineError extends Error {
  constructor(
    readonly code: WorldLineErrorCode,
    readonly field: string,
    message: string,
    readonly value: unknown,
  ) {
    super(`${code}: ${field}: ${message} (got ${JSON.stringify(value)})`);
    this.name = 'WorldLineError';
  }
}

/** The payload of `e`, decoded by its kind's codec: receipts from another writer are checked too. */
export function decodeReceipt(e: LedgerEvent<unknown>): Receipt {
  const codec = { wl_commitment: CommitmentPayload, wl_outcome: OutcomePayload, wl_rejection: RejectionPayload, wl_snapshot: SnapshotLinkPayload }[e.event_type as ReceiptType];
  if (!codec) throw new WorldLineError('WL_RECEIPT_INVALID', 'event_type', 'not a WorldLine receipt', e.event_type);
  const r = (codec as t.Decoder<unknown, unknown>).decode(e.payload);
  if (r._tag === 'Left') throw new WorldLineError('WL_RECEIPT_INVALID', `payload (sequence ${e.sequence})`, `not a valid ${e.event_type} payload`, e.payload);
  return e as Receipt;
}
