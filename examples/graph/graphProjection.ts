// The Graph as a projection of the ledger: a pure fold, copy-on-write, JSON state (so the
// engine can snapshot it), typed by the Graph's events.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { defineProjection, type LedgerEvent } from '../../src/index.js';
import { addDecimal } from './decimal.js';
import { ConsolidationPayload, ModeChangePayload, NodeCreationPayload, SignalDeltaPayload, SuppressionPayload, type GraphEvents } from './graphEvents.js';

export interface GraphNode {
  readonly node_id: string;
  readonly node_type: string;
  readonly label: string | null;
  readonly parent_id: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Signal totals as exact decimal strings. */
  readonly signals: Readonly<Record<string, string>>;
  readonly suppressed: boolean;
  readonly mode: string | null;
  /** Sequence of the node_creation event. */
  readonly created_at: number;
  /** Set once the node has been consolidated into another; its signals then live there. */
  readonly consolidated_into: string | null;
}

export interface GraphState {
  readonly nodes: Readonly<Record<string, GraphNode>>;
}

/** An event that the graph cannot fold (a node that does not exist, a duplicate node). */
export class GraphInvariantError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly value: unknown,
  ) {
    super(`${field}: ${message} (got ${JSON.stringify(value)})`);
    this.name = 'GraphInvariantError';
  }
}

// The payload types are what the Graph writes; events of other writers are checked anyway
// (the core accepts any JSON object for the Graph's own types unless the Graph registers them).
function decode<A>(codec: t.Decoder<unknown, A>, e: LedgerEvent<unknown>): A {
  const r = codec.decode(e.payload);
  if (isLeft(r)) throw new GraphInvariantError('payload', `not a valid ${e.event_type} payload`, e.payload);
  return r.right;
}

function existing(state: GraphState, id: string, field = 'payload.node_id'): GraphNode {
  const node = Object.prototype.hasOwnProperty.call(state.nodes, id) ? state.nodes[id] : undefined;
  if (!node) throw new GraphInvariantError(field, 'no such node', id);
  return node;
}

/** The live node a signal for `id` lands on: consolidated nodes forward to their target. */
function resolve(state: GraphState, id: string): GraphNode {
  let node = existing(state, id);
  for (let hops = 0; node.consolidated_into !== null; hops++) {
    if (hops > 1000) throw new GraphInvariantError('payload.node_id', 'consolidation cycle', id);
    node = existing(state, node.consolidated_into);
  }
  return node;
}

const put = (state: GraphState, ...nodes: GraphNode[]): GraphState => {
  const next: Record<string, GraphNode> = { ...state.nodes };
  for (const n of nodes) next[n.node_id] = n;
  return { nodes: next };
};

const sumSignals = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = addDecimal(out[k] ?? '0', v);
  return out;
};

/**
 * The graph projection (FMWK-005).
 *
 * @example
 * const graph = await projectionStateAt(graphProjection, [nodeCreation('a', 'concept'), signalDelta('a', 'use', 2)]);
 * graph.nodes.a.signals.use === '2';
 */
const EMPTY: GraphState = { nodes: {} };

export const graphProjection = defineProjection<GraphEvents>()({
  name: 'graph',
  version: 1,
  canHandle: ['node_creation', 'signal_delta', 'suppression', 'unsuppression', 'mode_change', 'consolidation'],
  initial: EMPTY,
  apply(state, event) {
    switch (event.event_type) {
      case 'node_creation': {
        const p = decode(NodeCreationPayload, event);
        if (Object.prototype.hasOwnProperty.call(state.nodes, p.node_id)) throw new GraphInvariantError('payload.node_id', 'node already exists', p.node_id);
        if (p.parent_id != null) existing(state, p.parent_id, 'payload.parent_id');
        return put(state, {
          node_id: p.node_id,
          node_type: p.node_type,
          label: p.label ?? null,
          parent_id: p.parent_id ?? null,
          attributes: p.attributes ?? {},
          signals: {},
          suppressed: false,
          mode: null,
          created_at: event.sequence,
          consolidated_into: null,
        });
      }
      case 'signal_delta': {
        const p = decode(SignalDeltaPayload, event);
        const node = resolve(state, p.node_id);
        return put(state, { ...node, signals: { ...node.signals, [p.signal]: addDecimal(node.signals[p.signal] ?? '0', p.delta) } });
      }
      case 'suppression':
      case 'unsuppression': {
        const p = decode(SuppressionPayload, event);
        return put(state, { ...existing(state, p.node_id), suppressed: event.event_type === 'suppression' });
      }
      case 'mode_change': {
        const p = decode(ModeChangePayload, event);
        return put(state, { ...existing(state, p.node_id), mode: p.mode });
      }
      case 'consolidation': {
        const p = decode(ConsolidationPayload, event);
        let target = resolve(state, p.target_id);
        const merged: GraphNode[] = [];
        for (const id of p.source_ids) {
          const source = existing(state, id, 'payload.source_ids');
          if (source.node_id === target.node_id || source.consolidated_into !== null) continue;
          target = { ...target, signals: sumSignals(target.signals, source.signals) };
          merged.push({ ...source, signals: {}, consolidated_into: target.node_id });
        }
        return put(state, ...merged, target);
      }
    }
  },
});
