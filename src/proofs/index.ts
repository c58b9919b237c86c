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
  parseCosignerKey, parseCosignerVerifierKey, cosignerVerifierKey, addCosignature, verifyCosignedCheckpoint, cosignedMessage, checkExtends,
  type Cosigner, type WitnessState, type QuorumResult,
} from './cosignature.js';
export {
  signEvent, signedEventBytes, eventSignatureProblem, SIGNATURE_KEY, SIGNED_EVENT_CONTEXT, type SignableEvent, type EventSignature,
} from './signedEvent.js';
