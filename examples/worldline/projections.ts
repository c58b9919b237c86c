// The WorldLine Ledger's derived views (seed 001 4.6): folds over the whole ledger, rebuildable
// from the receipts by the replay engine, never written back. Outcomes that reach a projection
// passed the decide step at append time, so these folds trust their attribution (L4).
import { defineProjection } from '../../src/index.js';
import type { WorldLineReceipts } from './receipts.js';

const define = defineProjection<WorldLineReceipts>();
const RECEIPTS = ['wl_commitment', 'wl_outcome', 'wl_rejection', 'wl_snapshot'] as const;

/** Per worldline: its canonical state at the head, the head and the last stream version. */
export interface LatestState {
  readonly [worldlineId: string]: { readonly version: number; readonly head: string; readonly state: Readonly<Record<string, unknown>> };
}

/** latest_worldline_state: only outcomes (of accepted commitments) change a worldline's state. */
export const latestState = define({
  name: 'wll.latest_state', version: 1, canHandle: [...RECEIPTS], initial: {} as LatestState,
  apply: (views, e) => {
    const id = e.payload.worldline_id;
    const prev = views[id]?.state ?? {};
    const state = e.event_type === 'wl_outcome' ? { ...prev, ...e.payload.effects } : prev;
    return { ...views, [id]: { version: e.stream_version ?? -1, head: e.hash, state } };
  },
});

/** One line of the audit index: who, what, when, why, and where to find the receipt. */
export interface AuditEntry {
  readonly sequence: number;
  readonly hash: string;
  readonly worldline_id: string;
  readonly kind: string;
  readonly when: string;
  /** The intent (commitments), the commitment (outcomes, rejections) or the anchor (snapshots). */
  readonly why: string;
  readonly decision?: 'accepted' | 'rejected';
  readonly policy?: string;
}

/** audit_index: who/what/when/why, in ledger order (mutable: a growing index, linear to fold). */
export const auditIndex = define({
  name: 'wll.audit_index', version: 1, canHandle: [...RECEIPTS], init: () => [] as AuditEntry[],
  evolve: (entries, e) => {
    const common = { sequence: e.sequence, hash: e.hash, worldline_id: e.payload.worldline_id, kind: e.event_type, when: e.timestamp };
    switch (e.event_type) {
      case 'wl_commitment':
        entries.push({ ...common, why: e.payload.intent, decision: e.payload.decision, policy: `${e.payload.policy.policy_id}@${e.payload.policy.version}` });
        break;
      case 'wl_outcome':
      case 'wl_rejection':
        entries.push({ ...common, why: e.payload.commitment_hash });
        break;
      case 'wl_snapshot':
        entries.push({ ...common, why: e.payload.anchored_receipt });
        break;
    }
  },
});

/** A capability held from one sequence to another (`to` null: still held). */
export interface GrantInterval {
  readonly from: number;
  readonly to: number | null;
}

export interface CapabilityGrants {
  /** Commitments whose outcome is not yet recorded: what they will grant and revoke. */
  readonly pending: Readonly<Record<string, { readonly grants: readonly string[]; readonly revokes: readonly string[] }>>;
  /** worldline -> capability -> the intervals it was held (effective permissions over time). */
  readonly grants: Readonly<Record<string, Readonly<Record<string, readonly GrantInterval[]>>>>;
}

/** capability_grants: grants and revocations take effect at their commitment's outcome. */
export const capabilityGrants = define({
  name: 'wll.capability_grants', version: 1, canHandle: ['wl_commitment', 'wl_outcome', 'wl_rejection'],
  initial: { pending: {}, grants: {} } as CapabilityGrants,
  apply: (s, e) => {
    if (e.event_type === 'wl_commitment') {
      if (e.payload.decision !== 'accepted') return s;
      return { ...s, pending: { ...s.pending, [e.hash]: { grants: e.payload.grants, revokes: e.payload.revokes } } };
    }
    const p = s.pending[e.payload.commitment_hash];
    const { [e.payload.commitment_hash]: _, ...pending } = s.pending;
    if (!p || e.event_type === 'wl_rejection') return { ...s, pending };
    const mine: Record<string, readonly GrantInterval[]> = { ...(s.grants[e.payload.worldline_id] ?? {}) };
    const open = (cap: string) => mine[cap]?.at(-1)?.to === null;
    for (const cap of p.revokes) if (open(cap)) mine[cap] = [...mine[cap]!.slice(0, -1), { from: mine[cap]!.at(-1)!.from, to: e.sequence }];
    for (const cap of p.grants) if (!open(cap)) mine[cap] = [...(mine[cap] ?? []), { from: e.sequence, to: null }];
    return { pending, grants: { ...s.grants, [e.payload.worldline_id]: mine } };
  },
});

export interface ProvenanceNode {
  readonly kind: string;
  readonly worldline_id: string;
  readonly sequence: number;
}
export interface ProvenanceEdge {
  readonly from: string;
  readonly to: string;
  /** follows: prev_receipt_hash; attributes: outcome -> commitment (L4); evidence: commitment -> evidence; anchors: snapshot -> receipt. */
  readonly rel: 'follows' | 'attributes' | 'evidence' | 'anchors';
}
export interface ProvenanceDag {
  readonly nodes: Record<string, ProvenanceNode>;
  readonly edges: ProvenanceEdge[];
}

/** provenance_dag: evidence and decision lineage, receipts as nodes (by hash). */
export const provenanceDag = define({
  name: 'wll.provenance_dag', version: 1, canHandle: [...RECEIPTS], init: (): ProvenanceDag => ({ nodes: {}, edges: [] }),
  evolve: (dag, e) => {
    dag.nodes[e.hash] = { kind: e.event_type, worldline_id: e.payload.worldline_id, sequence: e.sequence };
    if (e.payload.prev_receipt_hash !== null) dag.edges.push({ from: e.hash, to: e.payload.prev_receipt_hash, rel: 'follows' });
    if (e.event_type === 'wl_commitment') for (const h of e.payload.evidence) dag.edges.push({ from: e.hash, to: h, rel: 'evidence' });
    if (e.event_type === 'wl_outcome' || e.event_type === 'wl_rejection') dag.edges.push({ from: e.hash, to: e.payload.commitment_hash, rel: 'attributes' });
    if (e.event_type === 'wl_snapshot') dag.edges.push({ from: e.hash, to: e.payload.anchored_receipt, rel: 'anchors' });
  },
});

export const worldLineProjections = [latestState, auditIndex, capabilityGrants, provenanceDag] as const;
