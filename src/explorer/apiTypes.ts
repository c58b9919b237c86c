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
