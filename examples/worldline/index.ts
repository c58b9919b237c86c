// The WorldLine Ledger (seed 001) as a consumer of fmwk-ledger: per-worldline streams of receipts.
export * from './receipts.js';
export * from './decider.js';
export * from './projections.js';
export * from './worldLines.js';
