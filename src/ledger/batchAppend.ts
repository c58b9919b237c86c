// Atomic batches (issue 22), the part that needs no store: the caller's events checked as a
// batch (each failure named `events[i].field`), a retry of a batch told from a partial or
// changed one, and each event's stream version planned against the heads before the write.
// The Ledger (ledger.ts) calls these and writes the batch with one store.append.
import { canonicalJson } from '../contract/canonicalJson.js';
import { ANY, NO_STREAM, STREAM_EXISTS, type AppendInput, type AppendResult, type ExpectedVersion, type LedgerEvent } from '../contract/event.js';
import {
  LedgerError, LedgerEventIdConflictError, LedgerSerializationError, LedgerStreamConflictError, LedgerValidationError,
} from '../errors/errors.js';

/** An append input checked at call time, its JSON already canonical. */
export interface PreparedAppend {
  readonly input: AppendInput;
  readonly provenanceJson: string;
  readonly payloadJson: string;
  readonly metadataJson: string | undefined;
}

/** Options of `Ledger.appendToStream`. */
export interface AppendToStreamOptions {
  /**
   * The stream's last version before the batch: a number, NO_STREAM (-1: no such stream yet),
   * STREAM_EXISTS (any version) or ANY (no check, the default).
   */
  readonly expectedVersion?: ExpectedVersion;
}

/** `e` (thrown while checking events[i]) with its path rooted at `events[i]`. */
export function atEvent(e: unknown, i: number): unknown {
  const root = `events[${i}]`;
  if (e instanceof LedgerValidationError) {
    const bare = e.message.slice(`${e.path || '(root)'}: `.length);
    return new LedgerValidationError(e.path ? `${root}.${e.path}` : root, bare, e.value);
  }
  if (e instanceof LedgerSerializationError) {
    const bare = e.message.slice(`${e.path || '(root)'}: `.length);
    return new LedgerSerializationError(e.path ? `${root}.${e.path}` : root, bare);
  }
  return e;
}

/**
 * The caller's batch, checked: an array of at least one event, at most `max`; each event
 * through `prepareOne` (errors named `events[i]...`); no event_id twice. `stream`: the batch
 * of appendToStream, whose events get its stream and whose first event its expected version
 * (an event naming another stream or its own expected_version is refused).
 */
export function prepareBatch(
  events: unknown,
  prepareOne: (raw: unknown) => PreparedAppend,
  max: number | undefined,
  stream?: { readonly id: string; readonly expectedVersion: ExpectedVersion | undefined },
): PreparedAppend[] {
  if (!Array.isArray(events)) throw new LedgerValidationError('events', 'expected an array of events', events);
  if (events.length === 0) throw new LedgerValidationError('events', 'expected at least one event', events);
  if (max !== undefined && events.length > max) {
    throw new LedgerValidationError('events', `a batch of ${events.length} events is more than the store takes in one atomic write (at most ${max})`, events.length);
  }
  const prepared: PreparedAppend[] = [];
  const ids = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    let raw: unknown = events[i];
    if (stream !== undefined && typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const r = raw as Record<string, unknown>;
      if (r['stream_id'] !== undefined && r['stream_id'] !== stream.id) {
        throw new LedgerValidationError(`events[${i}].stream_id`, `names another stream than the batch's ${JSON.stringify(stream.id)}`, r['stream_id']);
      }
      if (r['expected_version'] !== undefined) {
        throw new LedgerValidationError(`events[${i}].expected_version`, 'is given once for the batch (options.expectedVersion), not per event', r['expected_version']);
      }
      raw = { ...r, stream_id: stream.id, ...(i === 0 && stream.expectedVersion !== undefined ? { expected_version: stream.expectedVersion } : {}) };
    }
    let p: PreparedAppend;
    try {
      p = prepareOne(raw);
    } catch (e) {
      throw atEvent(e, i);
    }
    const id = p.input.event_id;
    if (id !== undefined) {
      const first = ids.get(id);
      if (first !== undefined) throw new LedgerValidationError(`events[${i}].event_id`, `repeats the event_id of events[${first}]: every event of a batch has its own`, id);
      ids.set(id, i);
    }
    prepared.push(p);
  }
  return prepared;
}

/** The content fields of `held` that differ from the prepared input (empty: the same event). */
export function differingFields(held: LedgerEvent, p: PreparedAppend): string[] {
  const differ: string[] = [];
  if (held.event_type !== p.input.event_type) differ.push('event_type');
  if (held.schema_version !== p.input.schema_version) differ.push('schema_version');
  if (canonicalJson(held.provenance) !== p.provenanceJson) differ.push('provenance');
  if (canonicalJson(held.payload) !== p.payloadJson) differ.push('payload');
  if (held.stream_id !== p.input.stream_id) differ.push('stream_id');
  if ((held.metadata === undefined ? undefined : canonicalJson(held.metadata)) !== p.metadataJson) differ.push('metadata');
  return differ;
}

/** The AppendResult of a stored event. */
export function resultOf(e: LedgerEvent): AppendResult {
  return {
    sequence: e.sequence, hash: e.hash, event_id: e.event_id,
    ...(e.stream_id === undefined ? {} : { stream_id: e.stream_id, stream_version: e.stream_version! }),
  };
}

/**
 * A batch whose events the ledger may already hold: `held[i]` is the stored event with
 * events[i]'s event_id (undefined: none, or no id given). None held: undefined (write it).
 * All held, with the same content, as the same batch (consecutive sequences in order, and for
 * two or more events each carrying its place in a batch of this size): the original results.
 * Anything else is LedgerEventIdConflictError naming the first event that differs; nothing is
 * written.
 */
export function priorBatch(prepared: readonly PreparedAppend[], held: ReadonlyArray<LedgerEvent | undefined>): AppendResult[] | undefined {
  const n = prepared.length;
  const someHeld = held.findIndex((e) => e !== undefined);
  if (someHeld < 0) return undefined;
  const what = (i: number) => (n === 1 ? '' : `events[${i}]: `);
  for (let i = 0; i < n; i++) {
    const e = held[i];
    if (e === undefined) continue;
    const differ = differingFields(e, prepared[i]!);
    if (differ.length > 0) {
      throw new LedgerEventIdConflictError(e.event_id, e.sequence, `${what(i)}the ledger holds this event_id with other content (${differ.join(', ')} differ); nothing was written`);
    }
  }
  const anchor = held[someHeld]!;
  for (let i = 0; i < n; i++) {
    const e = held[i];
    const wanted = anchor.sequence - someHeld + i;
    const place = n === 1 ? e?.batch === undefined : e?.batch?.index === i && e.batch.size === n;
    if (e === undefined || e.sequence !== wanted || !place) {
      const shown = prepared[i]!.input.event_id ?? '(none given)';
      throw new LedgerEventIdConflictError(
        anchor.event_id,
        anchor.sequence,
        `events[${i}] (event_id ${shown}) is not where a retry of the batch the ledger holds would have it ` +
          `(${e === undefined ? 'the ledger does not hold it' : `held at sequence ${e.sequence}${e.batch ? ` as event ${e.batch.index} of a batch of ${e.batch.size}` : ' alone'}`}); ` +
          'a retry must be the whole batch as it was appended; nothing was written',
      );
    }
  }
  return held.map((e) => resultOf(e!));
}

/** Each event's stream version in a batch, from the heads read before the write. */
export interface StreamPlan {
  /** versions[i]: events[i]'s stream_version (undefined: no stream). */
  readonly versions: ReadonlyArray<number | undefined>;
  /** Streams for which no event named an expected version (ANY or none): a store conflict on them may be retried. */
  readonly unchecked: ReadonlySet<string>;
}

/**
 * Plans the stream versions of a batch against `heads` (each stream's last version, -1 for
 * none) and checks every expected version an event names against the version its stream has
 * just before it (the head, or after the batch's earlier events of that stream):
 * LedgerStreamConflictError naming `events[i]` otherwise (a batch of one: no name).
 */
export function planStreams(prepared: readonly PreparedAppend[], heads: ReadonlyMap<string, number>): StreamPlan {
  const current = new Map(heads);
  const checked = new Set<string>();
  const versions: Array<number | undefined> = [];
  for (let i = 0; i < prepared.length; i++) {
    const { stream_id, expected_version } = prepared[i]!.input;
    if (stream_id === undefined) {
      versions.push(undefined);
      continue;
    }
    const actual = current.get(stream_id) ?? -1;
    const expected = expected_version as ExpectedVersion | 'no_stream' | undefined;
    if (expected !== undefined && expected !== ANY) {
      checked.add(stream_id);
      const at = prepared.length === 1 ? undefined : `events[${i}]`;
      if (expected === STREAM_EXISTS) {
        if (actual < 0) throw new LedgerStreamConflictError(stream_id, STREAM_EXISTS, actual, at === undefined ? undefined : { at });
      } else {
        const n = expected === 'no_stream' ? NO_STREAM : expected;
        if (n !== actual) throw new LedgerStreamConflictError(stream_id, n, actual, at === undefined ? undefined : { at });
      }
    }
    versions.push(actual + 1);
    current.set(stream_id, actual + 1);
  }
  const unchecked = new Set<string>();
  for (const s of current.keys()) if (!checked.has(s) && heads.has(s)) unchecked.add(s);
  return { versions, unchecked };
}

/** True if `e` is a store's stream conflict on a stream the batch named no expected version for. */
export function isUncheckedConflict(e: unknown, plan: StreamPlan | undefined): e is LedgerStreamConflictError {
  return e instanceof LedgerError && e.code === 'LEDGER_STREAM_CONFLICT' && plan !== undefined && plan.unchecked.has((e as LedgerStreamConflictError).stream_id);
}
