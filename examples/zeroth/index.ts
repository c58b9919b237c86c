// Zeroth (seed 002): a deterministic VM whose records are signed, replayed from the ledger.
export { ZerothVm, ZerothReplayError, replayZeroth, zerothRegistry, ZEROTH_PROVENANCE, ZEROTH_TYPES } from './zeroth.js';
export { INITIAL_STATE, COLLAPSE_EVERY, step, apply, type VmState, type VmRecord } from './vm.js';
