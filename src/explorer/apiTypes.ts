// The explorer's JSON API: the shapes the server sends and the page reads (types only, so the
// browser build can import them without pulling in any server code).

/** One event in the timeline: enough to find it, not its payload. */
export interface EventSummary {
  readonly sequence: number;
  readonly timestamp: string;
  readonly event_type: string;
  readonly actor: string;
  readonly hash: string;
}

/** GET /api/tip */
export interface TipResponse {
  readonly sequence_number: number;
  readonly hash: string;
}

/** GET /api/events: one page, oldest first. */
export interface EventsPage {
  readonly events: readonly EventSummary[];
  /** Where the next page starts (pass it as `from`), or null when the scan reached the tip. */
  readonly next: number | null;
  /** The tip the page was read against. */
  readonly tip: number;
  /**
   * The sequences this page examined, first..last (null when `from` was past the tip): with a
   * filter, the events shown are those of this range that match, so a page can say what it covers.
   */
  readonly scanned: { readonly from: number; readonly to: number } | null;
}

/** One event of a stream, in version order. */
export interface StreamEventSummary extends EventSummary {
  readonly stream_version: number;
}

/** GET /api/stream?id=ID&from=V&limit=N: one page of a stream's events in version order. */
export interface StreamPage {
  readonly stream_id: string;
  readonly events: readonly StreamEventSummary[];
  /** The version the next page starts at, or null after the stream's last event. */
  readonly next: number | null;
}

/** What a search string was read as. */
export type SearchKind = 'sequence' | 'hash' | 'event_id' | 'stream';

/** One thing a search string names: an event (by sequence, hash or event id), or a stream and its newest event. */
export type SearchHit =
  | { readonly kind: 'sequence' | 'hash' | 'event_id'; readonly event: EventSummary }
  | { readonly kind: 'stream'; readonly stream: { readonly stream_id: string; readonly version: number; readonly sequence: number; readonly hash: string } };

/** GET /api/search?q=…: every reading of q that names something, and the readings that failed (a corrupt index). */
export interface SearchResponse {
  readonly q: string;
  /** The readings tried, in order (a number is a sequence and may also be a stream id). */
  readonly tried: readonly SearchKind[];
  readonly hits: readonly SearchHit[];
  /** A reading whose lookup failed, e.g. an index naming an event the ledger does not hold. */
  readonly errors: readonly { readonly kind: SearchKind; readonly code: string; readonly message: string }[];
}

/** GET /api/events/:seq: the stored event and its neighbours' hashes. */
export interface EventDetail {
  readonly event: Readonly<Record<string, unknown>> & { readonly sequence: number; readonly hash: string; readonly previous_hash: string };
  /** SHA-256 of the event's canonical JSON without `hash`: equal to event.hash unless the event was changed. */
  readonly content_hash: string;
  /** The previous event's stored hash (null at sequence 0): equal to event.previous_hash on an intact chain. */
  readonly previous: { readonly sequence: number; readonly hash: string } | null;
  /** The next event's sequence and the previous_hash it carries (null at the tip). */
  readonly next: { readonly sequence: number; readonly previous_hash: string } | null;
}

/** GET /api/verify streams server-sent events: `progress` several times, then one `result`. */
export interface VerifyProgress {
  readonly count: number;
  readonly total: number;
}
export interface VerifyOutcome {
  readonly valid: boolean;
  readonly break_at: number | null;
  readonly count: number;
  readonly reason?: string;
}

/** GET /api/state?seq=N */
export interface StateResponse {
  readonly sequence: number;
  readonly states: Readonly<Record<string, unknown>>;
}

/** One signature line of a checkpoint note other than the log's: a witness's cosignature. */
export interface CosignatureStatus {
  readonly name: string;
  /** The key id, 8 hex digits. */
  readonly key_id: string;
  /** The cosignature's time (unix seconds, from its first 8 bytes), null when it is too short to hold one. */
  readonly time: number | null;
  /**
   * true: verifies with the witness key of that name and id given to the explorer (--witnesses);
   * false: it does not; null: no such key was given, so nothing is claimed.
   */
  readonly verified: boolean | null;
  /** Why it is false or null. */
  readonly reason?: string;
}

/** GET /api/checkpoint: the latest signed checkpoint kept beside the ledger. */
export interface CheckpointResponse {
  /** The signed note as stored (C2SP tlog-checkpoint). */
  readonly note: string;
  readonly origin: string;
  readonly size: number;
  /** base64 Merkle root (RFC 6962). */
  readonly root: string;
  /** true/false when the explorer was given the log's verifier key (--key), else null. */
  readonly signature_verified: boolean | null;
  /** Why the signature does not verify, when signature_verified is false. */
  readonly signature_reason?: string;
  /** The signature lines not by the log's key (all of them without --key), each checked against --witnesses. */
  readonly cosignatures: readonly CosignatureStatus[];
}

/** One checkpoint file (the latest, or one of --checkpoints DIR): parsed and checked, or why it could not be read. */
export type CheckpointEntry =
  | ({ readonly file: string; readonly error?: undefined } & CheckpointResponse)
  | { readonly file: string; readonly error: { readonly code: string; readonly message: string } };

/** GET /api/checkpoints: the latest checkpoint and the earlier ones the explorer was shown. */
export interface CheckpointsResponse {
  /** DIR/merkle/checkpoint of a directory store (null: none kept); `error` when it is not a readable checkpoint. */
  readonly latest: CheckpointEntry | null;
  /** The files of --checkpoints DIR, smallest size first; those that are not a readable checkpoint carry `error` and come last. */
  readonly earlier: readonly CheckpointEntry[];
  /** How many witness keys the explorer was given (--witnesses). */
  readonly witness_keys: number;
}

/**
 * GET /api/consistency?file=F: whether the latest checkpoint extends the earlier checkpoint in
 * --checkpoints DIR/F (RFC 6962 consistency proof computed from the stored lines, verified here
 * against both signed roots).
 */
export interface ConsistencyResponse {
  readonly from: { readonly file: string; readonly size: number; readonly root: string; readonly signature_verified: boolean | null };
  readonly to: { readonly size: number; readonly root: string; readonly signature_verified: boolean | null };
  /** The proof, base64, from the tree of from.size to the tree of to.size (empty when the sizes are equal). */
  readonly proof: readonly string[];
  /** true: the proof leads from the earlier signed root to the latest signed root. */
  readonly consistent: boolean;
  /** Why not, when consistent is false. */
  readonly reason?: string;
  /** Whether the ledger's own first to.size events give the latest checkpoint's root. */
  readonly ledger_matches_latest: boolean;
}

/** GET /api/proof/:seq?size=N: an RFC 6962 inclusion proof of event `sequence` in the tree of `size`. */
export interface InclusionResponse {
  readonly sequence: number;
  readonly size: number;
  /** base64 SHA-256(0x00 || the event's stored line). */
  readonly leaf_hash: string;
  /** The audit path, base64, leaf to root. */
  readonly proof: readonly string[];
  /** base64 root the proof leads to (checked by the server). */
  readonly root: string;
  /** Whether that root is the latest checkpoint's (null when there is none of this size). */
  readonly matches_checkpoint: boolean | null;
}

/** Every non-2xx answer. */
export interface ApiError {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}
