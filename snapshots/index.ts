// Snapshots and checkpoints: the file format, where the files live, how they are verified.
export { SnapshotStore } from './snapshotStore.js';
export { CheckpointStore } from './checkpointStore.js';
export { encodeSnapshot, decodeSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, type SnapshotDocument, type SnapshotProjection } from './snapshotFormat.js';
export { SnapshotCreatedPayload, SNAPSHOT_CREATED, asSnapshotCreated } from './snapshotCreated.js';
export { verifySnapshot, verifyCheckpoint, type VerifiedSnapshot, type SnapshotVerdict, type VerifySnapshotOptions } from './verifySnapshot.js';
export { SnapshotError, type SnapshotErrorCode } from './snapshotErrors.js';
