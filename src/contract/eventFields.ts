// The event's field names, apart from event.ts's codecs: the byte contract (eventLine.ts) needs
// only these, and a verify worker thread that loads it should not load io-ts and fp-ts too
// (about half of a worker's start-up).

/**
 * The optional fields, absent when unused: streams and metadata (issue 13), and `batch`
 * (issue 22: `{"index": i, "size": n}` on every event of an atomic batch of two or more).
 */
export const OPTIONAL_EVENT_FIELDS = ['batch', 'metadata', 'stream_id', 'stream_version'] as const;

/** The field names of the base event, in canonical (code point) order. */
export const EVENT_FIELDS = [
  'event_id', 'event_type', 'hash', 'payload', 'previous_hash', 'provenance', 'schema_version', 'sequence', 'timestamp',
] as const;
