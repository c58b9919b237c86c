// The Graph framework's (FMWK-005) events: what they carry and how to write them. The ledger
// types node_creation and signal_delta; the others are the Graph's own payloads, checked here.
import * as t from 'io-ts';
import { NodeCreationPayload, NonEmptyString, SignalDeltaPayload, type Provenance, type TypedAppendInput } from '../../src/index.js';

export { NodeCreationPayload, SignalDeltaPayload };

const NodeId = NonEmptyString;

/** suppression / unsuppression: switch a node's suppression on or off. */
export const SuppressionPayload = t.intersection([t.type({ node_id: NodeId }), t.partial({ reason: t.string })], 'suppression payload');
export type SuppressionPayload = t.TypeOf<typeof SuppressionPayload>;

/** mode_change: the node's mode from now on. */
export const ModeChangePayload = t.type({ node_id: NodeId, mode: NonEmptyString }, 'mode_change payload');
export type ModeChangePayload = t.TypeOf<typeof ModeChangePayload>;

/** consolidation: merge `source_ids` into `target_id` (signals are summed into the target). */
export const ConsolidationPayload = t.type({ target_id: NodeId, source_ids: t.array(NodeId) }, 'consolidation payload');
export type ConsolidationPayload = t.TypeOf<typeof ConsolidationPayload>;

/** The Graph's events, by event_type: what its projection folds (see defineProjection<GraphEvents>()). */
export interface GraphEvents {
  node_creation: NodeCreationPayload;
  signal_delta: SignalDeltaPayload;
  suppression: SuppressionPayload;
  unsuppression: SuppressionPayload;
  mode_change: ModeChangePayload;
  consolidation: ConsolidationPayload;
}

// ---- constructors: append inputs a Graph writer hands to ledger.append --------------------

export const GRAPH_PROVENANCE: Provenance = { framework_id: 'FMWK-005', pack_id: 'PC-005-graph', actor: 'system' };

const input = <K extends string, P extends object>(event_type: K, payload: P): TypedAppendInput<K, P> => ({ event_type, schema_version: '1.0.0', provenance: GRAPH_PROVENANCE, payload });

export const nodeCreation = (node_id: string, node_type: string, extra: Omit<t.OutputOf<typeof NodeCreationPayload>, 'node_id' | 'node_type'> = {}) =>
  input('node_creation', { node_id, node_type, ...extra });
export const signalDelta = (node_id: string, signal: string, delta: number | string) => input('signal_delta', { node_id, signal, delta });
export const suppression = (node_id: string, reason?: string) => input('suppression', reason === undefined ? { node_id } : { node_id, reason });
export const unsuppression = (node_id: string, reason?: string) => input('unsuppression', reason === undefined ? { node_id } : { node_id, reason });
export const modeChange = (node_id: string, mode: string) => input('mode_change', { node_id, mode });
export const consolidation = (target_id: string, source_ids: string[]) => input('consolidation', { target_id, source_ids });

/**
 * A node with its first signals: one command that makes several events, appended as one atomic
 * batch (`ledger.appendBatch(newNode(...))`), so the node is never stored without them, not
 * even after a crash in the middle of the write.
 */
export const newNode = (
  node_id: string,
  node_type: string,
  signals: Readonly<Record<string, number | string>> = {},
  extra: Omit<t.OutputOf<typeof NodeCreationPayload>, 'node_id' | 'node_type'> = {},
) => [nodeCreation(node_id, node_type, extra), ...Object.entries(signals).map(([signal, delta]) => signalDelta(node_id, signal, delta))];
