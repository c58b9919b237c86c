// `fmwk-ledger`: the core a consumer imports. The other entry points are subpaths, so their
// cost is paid only by those who use them: `fmwk-ledger/immudb` (loads gRPC),
// `fmwk-ledger/verify` (cold verification for auditors), `fmwk-ledger/testing` (test helpers).
// Nothing reachable from this file imports gRPC statically (checked by npm run lint:deps).

// The ledger and its store port (for those who write a store of their own).
export {
  Ledger, type LedgerOptions, type AggregateStreamOptions, type AggregateStreamResult, type ReadBackwardOptions, type WithoutStream,
} from './ledger/ledger.js';
export type { AppendToStreamOptions } from './ledger/batchAppend.js';
export { handleCommand, DEFAULT_COMMAND_RETRIES, MAX_COMMAND_RETRIES, type HandleCommandOptions, type HandleCommandResult } from './ledger/commandHandler.js';
export type { StreamOptions } from './ledger/eventStream.js';
// Subscriptions by stream, category and event type; named consumers that resume where they stopped.
export type { SubscribeOptions, SubscriptionFilter, ConsumerCheckpoint, ConsumerPosition } from './ledger/subscriptions.js';
export { FileConsumerCheckpoint, CONSUMERS_DIR } from './stores/consumerCheckpoint.js';
export type {
  LedgerStore, Tip, StoredLine, AppendRecord, IndexFields, IndexEntry, StreamHead, StreamRange, IndexQuery, LedgerIndex, ReplicaLag,
} from './ledger/ledgerStore.js';
export { indexFieldsOf } from './ledger/ledgerStore.js';
export {
  EventTypeRegistry, type PayloadCodec, type ReservedTypeCapability, type CodecMap, type EventUnion, type AppendInputUnion,
  type SeedCodecs, type SeedEvent, type SeedAppendInput, type PayloadOf, type PayloadInputOf,
} from './ledger/eventTypeRegistry.js';
export type { VerifyResult } from './verify/verifyChain.js';

// Events: the base shape and the seed's typed payloads.
export {
  Provenance, defineProvenance, NonEmptyString, HashString, ANY, NO_STREAM, STREAM_EXISTS, type ExpectedVersion, type LedgerEvent, type AppendInput, type AppendResult, type TypedEvent, type TypedAppendInput,
  type JsonObject,
} from './contract/event.js';
export { NodeCreationPayload, SignalDeltaPayload, PackageInstallPayload, SessionStartPayload } from './contract/payloads.js';

// The byte contract's helpers: what a consumer needs to recompute a hash.
export { canonicalJson, type JsonValue } from './contract/canonicalJson.js';
export { sha256, GENESIS_HASH } from './contract/hash.js';

// Stores. immudb is `fmwk-ledger/immudb`; openStore loads it on demand for an immudb:// address.
export { DirectoryStore, type DirectoryStoreOptions } from './stores/directoryStore.js';
export { MemoryStore } from './stores/memoryStore.js';
export { openStore, type OpenStoreOptions } from './stores/openStore.js';

// Errors: one base class, one union of codes, one guard for the ledger, projections and snapshots.
export {
  LedgerError, LedgerConnectionError, LedgerAppendUncertainError, LedgerCorruptionError, LedgerSequenceError, LedgerSerializationError,
  LedgerValidationError, LedgerLockedError, LedgerNotFoundError, LedgerUpcastError, LedgerUnreadableValueError,
  LedgerLineTooLongError, LedgerStreamConflictError, LedgerEventIdConflictError, LedgerFileError, isLedgerError,
  type LedgerErrorCode, type ProjectionErrorCode, type SnapshotErrorCode,
} from './errors/errors.js';
export { UpcasterRegistry, type Upcaster } from './ledger/upcasters.js';
export {
  ProjectionError, ProjectionFailedError, DuplicateProjectionError, ProjectionDefinitionError, ProjectionOrderError,
  ProjectionPositionError,
} from '../projections/index.js';
export { SnapshotError } from '../snapshots/index.js';

export { LedgerProofError, type ProofErrorKind } from './errors/errors.js';
export { LedgerReadOnlyError, LedgerReplicaLagError, LedgerFailoverError, type FailoverRefusal } from './errors/errors.js';
export { LedgerConsumerCheckpointError } from './errors/errors.js';
export * from './proofs/index.js';
export { Witness, TrustedCheckpoints, OriginStates, type WitnessOptions } from './stores/witnessState.js';
export {
  StoredMerkleLog, FileHashStorage, type HashStorage, type CheckpointKeeper, directoryCheckpointKeeper, openDirectoryMerkleLog, takeCheckpoint, readLatestCheckpoint, MERKLE_DIR, HASHES_FILE, CHECKPOINT_FILE, type MerkleLog,
} from './stores/merkleLog.js';
export { CheckpointPolicy, type CheckpointPolicyOptions } from './stores/checkpointPolicy.js';
export { verifyFileAgainstCheckpoint, StreamingRoot, type CheckpointVerifyResult } from './verify/verifyCheckpoint.js';
export { verifySignedEvents, verifySignedLines, type SignedEventsOptions, type LineSource } from './verify/verifySignedEvents.js';
// Event sourcing: projections, replay (with live mode), snapshots and checkpoints.
export {
  defineProjection, ProjectionRegistry, ProjectionRunner,
  type Projection, type AnyProjection, type StateOf, type ProjectionStart, type ProjectionStates,
} from '../projections/index.js';
export {
  ReplayEngine, LiveProjections,
  type ReplayEngineOptions, type ReplayOptions, type ReplayProgress, type SnapshotRecord, type LiveOptions, type ReplayLogger,
} from '../replay/index.js';
export {
  SnapshotStore, CheckpointStore, encodeSnapshot, decodeSnapshot, SNAPSHOT_FORMAT_VERSION,
  type SnapshotDocument, type SnapshotProjection,
} from '../snapshots/index.js';
