// Merkle tree, signed notes, checkpoints, cosignatures (issue 9): the public part.
export {
  leafHash, nodeHash, treeRoot, inclusionProof, consistencyProof, verifyInclusion, verifyConsistency, hashesForAppend,
  storedIndex, storedCount, MemoryHashStore, EMPTY_ROOT, HASH_SIZE, type HashReader,
} from './merkle.js';
export {
  generateKey, parseSignerKey, parseVerifierKey, verifierKeyOf, signNote, openNote, parseNote, keyId,
  type NoteSigner, type NoteVerifier, type NoteSignature, type OpenedNote, type ParsedNote,
} from './note.js';
export { formatCheckpoint, parseCheckpoint, signCheckpoint, openCheckpoint, type Checkpoint as LogCheckpoint, type OpenedCheckpoint } from './checkpoint.js';
export {
  parseCosignerKey, parseCosignerVerifierKey, cosignerVerifierKey, addCosignature, verifyCosignedCheckpoint, cosignedMessage, Witness,
  TrustedCheckpoints, OriginStates, checkExtends,
  type Cosigner, type WitnessState, type WitnessOptions, type QuorumResult,
} from './cosignature.js';
export {
  FileMerkleLog, openDirectoryMerkleLog, takeCheckpoint, readLatestCheckpoint, MERKLE_DIR, HASHES_FILE, CHECKPOINT_FILE, type MerkleLog,
} from './merkleLog.js';
export { verifyFileAgainstCheckpoint, StreamingRoot, type CheckpointVerifyResult } from './verifyCheckpoint.js';
