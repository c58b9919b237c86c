// The public API of fmwk-ledger: everything a consumer imports comes from here.
export { Ledger, DEFAULT_MAX_PAYLOAD_BYTES, type LedgerOptions } from './ledger.js';
export type { StreamOptions } from './eventStream.js';
export type { LedgerStore, Tip, StoredLine, AppendRecord } from './ledgerStore.js';
export { DirectoryStore, type DirectoryStoreOptions } from './stores/directoryStore.js';
export { MemoryStore } from './stores/memoryStore.js';
export { openStore, type OpenStoreOptions } from './stores/openStore.js';
export {
  ImmudbStore, bootstrapImmudb, resolveImmudbConfig, parseImmudbAddress, formatImmudbAddress, Secret, IMMUDB_ENV,
  type ImmudbConfig, type ImmudbStoreOptions,
} from './stores/immudb/index.js';
export {
  LedgerError, LedgerConnectionError, LedgerCorruptionError, LedgerSequenceError, LedgerSerializationError,
  LedgerValidationError, LedgerLockedError, LedgerNotFoundError, isLedgerError, type LedgerErrorCode,
} from './errors.js';
export { LedgerProofError, type ProofErrorKind } from './errors.js';
export * from './proofs/index.js';
export { canonicalJson, compareCodePoints, type JsonValue } from './canonicalJson.js';
export { sha256, GENESIS_HASH, HASH_PATTERN } from './hash.js';
export { verifyLines, type VerifyResult, type VerifyOptions } from './verifyChain.js';
export { verifyFile, type VerifyFileOptions } from './verifyFile.js';
export { EventTypeRegistry, type PayloadCodec } from './eventTypeRegistry.js';
export { LedgerEventCodec, AppendInputCodec, Provenance, Actor, type LedgerEvent, type AppendInput } from './event.js';
export {
  NodeCreationPayload, SignalDeltaPayload, PackageInstallPayload, SessionStartPayload, SEED_OBJECT_PAYLOAD_TYPES,
} from './payloads.js';
// Event sourcing: projections, replay (with live mode), snapshots and checkpoints.
export * from '../projections/index.js';
export * from '../replay/index.js';
export * from '../snapshots/index.js';
