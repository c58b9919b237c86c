// Replay: the engine, live mode and the chain check on the way (the consumer's test helper, projectionStateAt, is in fmwk-ledger/testing).
export { ReplayEngine, type ReplayEngineOptions, type ReplayOptions, type ReplayProgress, type SnapshotRecord } from './replayEngine.js';
export { LiveProjections, type LiveOptions } from './liveProjections.js';
export { ChainVerifier } from '../src/verify/chainVerifier.js';
export { stderrLogger, silentLogger, type ReplayLogger } from './replayLogger.js';
