// The public API of fmwk-ledger: everything a consumer imports comes from here.
export { Ledger, DEFAULT_MAX_PAYLOAD_BYTES, type LedgerOptions } from './ledger/ledger.js';
export type { StreamOptions } from './ledger/eventStream.js';
export type { LedgerStore, Tip, StoredLine, AppendRecord } from './ledger/ledgerStore.js';
export { DirectoryStore, type DirectoryStoreOptions } from './stores/directoryStore.js';
export { MemoryStore } from './stores/memoryStore.js';
export { openStore, type OpenStoreOptions } from './stores/openStore.js';
export {
  ImmudbStore, bootstrapImmudb, resolveImmudbConfig, parseImmudbAddress, formatImmudbAddress, Secret, IMMUDB_ENV,
  type ImmudbConfig, type ImmudbStoreOptions,
} from './stores/immudb/index.js';
export {
  LedgerError, LedgerConnectionError, LedgerCorruptionError, LedgerSequenceError, LedgerSerializationError,
  LedgerValidationError, LedgerLockedError, LedgerNotFoundError, LedgerUpcastError, isLedgerError, type LedgerErrorCode,
} from './errors/errors.js';
export { canonicalJson, compareCodePoints, type JsonValue } from './contract/canonicalJson.js';
export { sha256, GENESIS_HASH, HASH_PATTERN } from './contract/hash.js';
export { verifyLines, type VerifyResult, type VerifyOptions } from './verify/verifyChain.js';
export { verifyFile, type VerifyFileOptions } from './verify/verifyFile.js';
export { EventTypeRegistry, type PayloadCodec } from './ledger/eventTypeRegistry.js';
export { UpcasterRegistry, type Upcaster } from './ledger/upcasters.js';
export { LedgerEventCodec, AppendInputCodec, Provenance, Actor, type LedgerEvent, type AppendInput } from './contract/event.js';
export {
  NodeCreationPayload, SignalDeltaPayload, PackageInstallPayload, SessionStartPayload, SEED_OBJECT_PAYLOAD_TYPES,
} from './contract/payloads.js';
// Event sourcing: projections, replay (with live mode), snapshots and checkpoints.
export * from '../projections/index.js';
export * from '../replay/index.js';
export * from '../snapshots/index.js';
