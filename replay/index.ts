// Replay: the engine, live mode, the chain check on the way, and the consumer's test helper.
export { ReplayEngine, type ReplayEngineOptions, type ReplayOptions, type ReplayProgress, type SnapshotRecord } from './replayEngine.js';
export { LiveProjections, type LiveOptions } from './liveProjections.js';
export { ChainVerifier } from '../src/verify/chainVerifier.js';
export { projectionStateAt, type EventSource, type ProjectionStateAtOptions } from './projectionStateAt.js';
export { stderrLogger, silentLogger, type ReplayLogger } from './replayLogger.js';
