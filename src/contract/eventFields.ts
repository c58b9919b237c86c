// The event's field names, apart from event.ts's codecs: the byte contract (eventLine.ts) needs
// only these, and a verify worker thread that loads it should not load io-ts and fp-ts too
// (about half of a worker's start-up).

/** The optional fields of issue 13 (streams and metadata), absent when unused. */
export const OPTIONAL_EVENT_FIELDS = ['metadata', 'stream_id', 'stream_version'] as const;

/** The field names of the base event, in canonical (code point) order. */
export const EVENT_FIELDS = [
  'event_id', 'event_type', 'hash', 'payload', 'previous_hash', 'provenance', 'schema_version', 'sequence', 'timestamp',
] as const;
