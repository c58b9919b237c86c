// FMWK-005 Graph: the first consumer of fmwk-ledger's replay, written against its public API.
export { Graph, type GraphOptions } from './graph.js';
export { graphProjection, GraphInvariantError, type GraphNode, type GraphState } from './graphProjection.js';
export * from './graphEvents.js';
export { addDecimal } from './decimal.js';
