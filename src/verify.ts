// `fmwk-ledger/verify`: cold verification for auditors, who hold an exported file (canonical
// JSONL, genesis first) and nothing else: no store, no gRPC, no projections.
export { verifyFile, type VerifyFileOptions } from './verify/verifyFile.js';
export { verifyLines, type VerifyOptions, type VerifyResult } from './verify/verifyChain.js';
// Line by line, for lines that arrive another way: one line's own hash, or a whole chain walk.
export { checkLine, checkLineBytes, type LineCheck } from './contract/eventLine.js';
export { MAX_LINE_BYTES } from './contract/lineReader.js';
export { ChainCursor } from './verify/chainCursor.js';
// Signed events (seed 002): the chain and every producer signature, from the file alone.
export { verifySignedEvents, verifySignedLines, type SignedEventsOptions } from './verify/verifySignedEvents.js';
export { parseVerifierKey, type NoteVerifier } from './proofs/note.js';
export { signedEventBytes, eventSignatureProblem, SIGNATURE_KEY, SIGNED_EVENT_CONTEXT } from './proofs/signedEvent.js';
export type { Tip } from './contract/tip.js';
export { canonicalJson, type JsonValue } from './contract/canonicalJson.js';
export { sha256, GENESIS_HASH } from './contract/hash.js';
export {
  LedgerError, LedgerValidationError, LedgerSerializationError, LedgerConnectionError, LedgerLineTooLongError, isLedgerError, type LedgerErrorCode,
} from './errors/errors.js';
