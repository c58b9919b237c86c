// ledger.subscribe() and ledger.consume(): the events of one stream, of a stream prefix
// (category) or of some event types, history then live, in sequence order with no gap and no
// duplicate at the seam; and a named consumer that resumes where it stopped.
//
// The seam. The tip T is read once. History is every matching event up to T (from the indexes,
// or by reading every event and checking the chain); live is ledger.stream({ from: T + 1 })
// filtered, which already merges this process's appends, other processes' (the store's watch)
// and its own catch-up without gap or duplicate, and checks each event's hash and link.
//
// Index history. Indexes are derived data: every event an index names is read from the store
// and checked (hash, sequence, filter) by ledger.query / readStream (whose stream versions must
// follow each other), and all events must come in strictly increasing sequence order. An index
// that lost a row of a type or category loses that event here as in ledger.query;
// `history: 'scan'` trusts no index. A start past 0 reads from the event before it (its hash
// checked): its stream version (one stream) or its timestamp (a query; timestamps never go
// backwards), so resuming does not re-read earlier events.
//
// A consumer's position is the last sequence its handler finished, with that event's hash. It
// advances only after the handler resolved (at-least-once: a crash between the two repeats one
// event, never skips one), and on start it must name an event the ledger holds with that hash.
import type { Observable, Subscription } from 'rxjs';
import { rxjs } from './lazyRxjs.js';
import type { LedgerEvent } from '../contract/event.js';
import { EventType, HashString, NonEmptyString } from '../contract/event.js';
import { GENESIS_HASH } from '../contract/hash.js';
import type { Tip } from '../contract/tip.js';
import { ChainVerifier } from '../verify/chainVerifier.js';
import { LedgerConsumerCheckpointError, LedgerCorruptionError, LedgerValidationError } from '../errors/errors.js';
import type { StreamOptions } from './eventStream.js';
import { eventHash } from './indexedReads.js';
import type { IndexQuery, StreamRange } from './ledgerStore.js';

/** Which events a subscription delivers: give `stream` or `streamPrefix` or `eventTypes`, or a prefix/stream with types (all must hold). */
export interface SubscriptionFilter {
  /** Only events of this stream (exact `stream_id`). */
  readonly stream?: string;
  /** Only events whose `stream_id` starts with this (a category, e.g. `order-`). */
  readonly streamPrefix?: string;
  /** Only events of these types. */
  readonly eventTypes?: readonly string[];
}

/** Options of `ledger.subscribe()`: the filter, where to start, and how history is read. */
export interface SubscribeOptions extends SubscriptionFilter {
  /** First sequence to consider (default 0). */
  readonly from?: number;
  /**
   * How history (up to the tip at subscribe time) is read: `'index'` (the default with a filter)
   * asks the store's indexes for the matching events and checks each one read; `'scan'` (the
   * default without one) reads every event from `from` and checks the chain (hash and link of
   * each), trusting no index.
   */
  readonly history?: 'index' | 'scan';
  /** How often (ms) the live part looks for other processes' appends (default 200). */
  readonly pollInterval?: number;
  /** Events per page when the live part reads what it missed; for a consumer, also the most live events left waiting for its handler (default 1000). */
  readonly pageSize?: number;
}

/** Where a consumer stopped: the last sequence its handler finished, and that event's hash. */
export interface ConsumerPosition {
  readonly sequence: number;
  readonly hash: string;
}

/**
 * A named consumer's durable position (FileConsumerCheckpoint keeps it in a file). `load` gives
 * undefined when the consumer never finished an event, and throws LedgerConsumerCheckpointError
 * for a position it cannot read; `save` resolves once the position is durable.
 */
export interface ConsumerCheckpoint {
  readonly name: string;
  /** The file it is kept in, for messages (if it is kept in one). */
  readonly path?: string;
  /** The saved position, undefined before the consumer finished any event. */
  load(): Promise<ConsumerPosition | undefined>;
  /** Saves `position` durably: resolves once it survives a crash. */
  save(position: ConsumerPosition): Promise<void>;
}

/** What subscriptions need of a ledger (Ledger has it). */
export interface SubscriptionSource<E extends LedgerEvent<unknown>> {
  getTip(): Promise<Tip>;
  read(sequence: number): Promise<E>;
  readRange(start: number, end: number): AsyncIterable<E>;
  query(query: IndexQuery): AsyncIterable<E>;
  readStream(streamId: string, range: StreamRange): AsyncIterable<E>;
  stream(options: StreamOptions): Observable<E>;
}

const OPTION_FIELDS = ['stream', 'streamPrefix', 'eventTypes', 'from', 'history', 'pollInterval', 'pageSize'];

function checkOptions(options: unknown): SubscribeOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new LedgerValidationError('options', 'expected { stream | streamPrefix | eventTypes, from?, history? }', options);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!OPTION_FIELDS.includes(k)) throw new LedgerValidationError(k, `unknown option (expected ${OPTION_FIELDS.join(', ')})`, o[k]);
  }
  for (const f of ['stream', 'streamPrefix'] as const) {
    if (o[f] !== undefined && !NonEmptyString.is(o[f])) throw new LedgerValidationError(f, 'expected a non-empty string', o[f]);
  }
  if (o.stream !== undefined && o.streamPrefix !== undefined) throw new LedgerValidationError('streamPrefix', `give stream or streamPrefix, not both (stream is ${JSON.stringify(o.stream)})`, o.streamPrefix);
  if (o.eventTypes !== undefined) {
    if (!Array.isArray(o.eventTypes) || o.eventTypes.length === 0) throw new LedgerValidationError('eventTypes', 'expected a non-empty array of event types', o.eventTypes);
    o.eventTypes.forEach((t: unknown, i) => {
      if (!EventType.is(t)) throw new LedgerValidationError(`eventTypes[${i}]`, 'expected an event type of lowercase letters, digits and underscores', t);
    });
  }
  for (const [f, min] of [['from', 0], ['pollInterval', 1], ['pageSize', 1]] as const) {
    const v = o[f];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)) throw new LedgerValidationError(f, `expected an integer >= ${min}`, v);
  }
  if (o.history !== undefined && o.history !== 'index' && o.history !== 'scan') throw new LedgerValidationError('history', `expected 'index' or 'scan'`, o.history);
  return o as SubscribeOptions;
}

/** True if `event` passes the filter. */
export function matchesFilter(event: LedgerEvent<unknown>, f: SubscriptionFilter): boolean {
  return (
    (f.stream === undefined || event.stream_id === f.stream) &&
    (f.streamPrefix === undefined || (event.stream_id !== undefined && event.stream_id.startsWith(f.streamPrefix))) &&
    (f.eventTypes === undefined || f.eventTypes.includes(event.event_type))
  );
}

/**
 * Event `start - 1`, from whose content its hash is computed and compared: its timestamp bounds
 * every later event's (timestamps never go backwards) and its stream version places a stream
 * read, so an event edited to move either forward (which would skip events) is
 * LedgerCorruptionError instead.
 */
async function eventBefore<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, start: number): Promise<E> {
  const event = await source.read(start - 1);
  const computed = eventHash(event as LedgerEvent, start - 1);
  if (computed !== event.hash) throw new LedgerCorruptionError(start - 1, `stored hash ${event.hash} does not match the content's hash ${computed}`);
  return event;
}

/**
 * What to read the history of a filter from: one stream by version (readStream, whose versions
 * must follow each other, so a hidden row in the middle is an error), from the start or after
 * the event before `start` when that event is the stream's; otherwise one query per event type
 * (or one query), from the timestamp of the event before `start`.
 */
async function historySources<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, o: SubscribeOptions, start: number): Promise<Array<AsyncIterable<E>>> {
  const before = start > 0 ? await eventBefore(source, start) : undefined;
  if (o.stream !== undefined && (before === undefined || (before.stream_id === o.stream && before.stream_version !== undefined))) {
    return [source.readStream(o.stream, before === undefined ? {} : { from: before.stream_version! + 1 })];
  }
  const base: IndexQuery = {
    ...(before === undefined ? {} : { since: before.timestamp }),
    ...(o.stream !== undefined ? { stream_id_prefix: o.stream } : o.streamPrefix !== undefined ? { stream_id_prefix: o.streamPrefix } : {}),
  };
  const queries = o.eventTypes === undefined ? [base] : [...new Set(o.eventTypes)].map((event_type) => ({ ...base, event_type }));
  return queries.map((q) => source.query(q));
}

/** The matching events `start`..`last` from the indexes (historySources), merged by sequence. */
async function* indexHistory<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, o: SubscribeOptions, start: number, last: number): AsyncGenerator<E> {
  const iterators = (await historySources(source, o, start)).map((it) => it[Symbol.asyncIterator]());
  /** Each query's next event in range, or undefined once it is exhausted or past `last`. */
  const heads: Array<E | undefined> = [];
  const advance = async (i: number): Promise<void> => {
    for (;;) {
      const r = await iterators[i]!.next();
      if (r.done || r.value.sequence > last) {
        heads[i] = undefined;
        if (!r.done) await iterators[i]!.return?.(undefined);
        return;
      }
      if (r.value.sequence >= start && matchesFilter(r.value, o)) {
        heads[i] = r.value;
        return;
      }
    }
  };
  try {
    for (let i = 0; i < iterators.length; i++) await advance(i);
    let previous = start - 1;
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] !== undefined && (min < 0 || heads[i]!.sequence < heads[min]!.sequence)) min = i;
      if (min < 0) return;
      const event = heads[min]!;
      if (event.sequence <= previous) throw new LedgerCorruptionError(event.sequence, `the index gives sequence ${event.sequence} after ${previous} for a subscription`);
      previous = event.sequence;
      yield event;
      await advance(min);
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.(undefined)));
  }
}

/** The matching events `start`..`last`, every event read and its hash and link checked from the one before `start`. */
async function* scanHistory<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, o: SubscribeOptions, start: number, last: number): AsyncGenerator<E> {
  const chain = new ChainVerifier(start, start === 0 ? GENESIS_HASH : (await source.read(start - 1)).hash);
  for await (const event of source.readRange(start, last)) {
    chain.acceptEvent(event);
    if (matchesFilter(event, o)) yield event;
  }
}

/**
 * History to the tip read at subscription time (pulled: a consumer reads the next event only
 * when its handler is done), and the live part after it.
 */
function phases<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, o: SubscribeOptions, start: number, tip: number): { history: AsyncIterable<E>; live: Observable<E> } {
  const paging = { ...(o.pollInterval === undefined ? {} : { pollInterval: o.pollInterval }), ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }) };
  const match = rxjs().filter((e: E) => matchesFilter(e, o));
  if (start > tip) return { history: (async function* () {})(), live: source.stream({ from: start, ...paging }).pipe(match) };
  const filtered = o.stream !== undefined || o.streamPrefix !== undefined || o.eventTypes !== undefined;
  const history = (o.history ?? (filtered ? 'index' : 'scan')) === 'scan' ? scanHistory(source, o, start, tip) : indexHistory(source, o, start, tip);
  return { history, live: source.stream({ from: tip + 1, ...paging }).pipe(match) };
}

/**
 * The Observable behind `ledger.subscribe(options)`: the matching events from `from`, history
 * then live, in sequence order. Unsubscribing stops it. Bad options are LedgerValidationError.
 */
export function subscribeEvents<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, options: SubscribeOptions): Observable<E> {
  const o = checkOptions(options);
  const { concat, concatMap, defer, from } = rxjs();
  return defer(() => from(source.getTip())).pipe(
    concatMap((tip) => {
      const { history, live } = phases(source, o, o.from ?? 0, tip.sequence_number);
      return concat(from(history), live);
    }),
  );
}

/** The position a consumer resumes after: checked against the ledger, never trusted. */
async function resumePosition<E extends LedgerEvent<unknown>>(source: SubscriptionSource<E>, consumer: ConsumerCheckpoint): Promise<ConsumerPosition | undefined> {
  const position = await consumer.load();
  if (position === undefined) return undefined;
  const path = consumer.path ?? '';
  if (typeof position !== 'object' || position === null || !Number.isSafeInteger(position.sequence) || position.sequence < 0 || !HashString.is(position.hash)) {
    throw new LedgerConsumerCheckpointError(consumer.name, path, `consumer "${consumer.name}": the saved position is not { sequence, hash } (got ${JSON.stringify(position)})`);
  }
  const tip = await source.getTip();
  if (position.sequence > tip.sequence_number) {
    throw new LedgerConsumerCheckpointError(
      consumer.name, path,
      `consumer "${consumer.name}" is at sequence ${position.sequence}, past the ledger's tip ${tip.sequence_number}: the checkpoint belongs to another ledger, or events it processed are gone; refusing to start`,
    );
  }
  const held = await source.read(position.sequence);
  if (held.hash !== position.hash) {
    throw new LedgerConsumerCheckpointError(
      consumer.name, path,
      `consumer "${consumer.name}" finished sequence ${position.sequence} with hash ${position.hash}, but the ledger holds ${held.hash} there: the checkpoint belongs to another ledger or was edited; refusing to start`,
    );
  }
  return position;
}

/**
 * The Observable behind `ledger.consume(options, consumer, handler)`: subscribes from the
 * consumer's saved position + 1 (or `options.from` the first time), calls `handler` on each
 * matching event one at a time, saves the position after it resolves, then emits the event.
 * A handler that throws (or rejects) ends it with that error, the position left at the last
 * event handled. Memory stays bounded behind a slow handler: history is pulled one event per
 * handler call, and when more than `pageSize` live events wait, they are dropped and read again
 * as history from the event after the last one handled (no gap, no repeat).
 */
export function consumeEvents<E extends LedgerEvent<unknown>>(
  source: SubscriptionSource<E>, options: SubscribeOptions, consumer: ConsumerCheckpoint, handler: (event: E) => unknown,
): Observable<E> {
  const o = checkOptions(options);
  if (typeof consumer !== 'object' || consumer === null || typeof consumer.load !== 'function' || typeof consumer.save !== 'function') {
    throw new LedgerValidationError('consumer', 'expected a ConsumerCheckpoint (e.g. FileConsumerCheckpoint.open)', consumer);
  }
  if (typeof handler !== 'function') throw new LedgerValidationError('handler', 'expected a function (event) => void | Promise<void>', handler);
  const limit = o.pageSize ?? 1000;
  return new (rxjs().Observable)<E>((subscriber) => {
    let stopped = false;
    let live: Subscription | undefined;
    /** The first sequence not yet covered: every matching event before it was handled. */
    let next = 0;
    const handle = async (event: E): Promise<void> => {
      await handler(event);
      await consumer.save({ sequence: event.sequence, hash: event.hash });
      next = event.sequence + 1;
      if (!stopped) subscriber.next(event);
    };

    /** Handles live events in turn; resolves 'overflow' when too many wait, 'done' when live completes. */
    const runLive = (live$: Observable<E>) =>
      new Promise<'overflow' | 'done'>((resolve, reject) => {
        const queue: E[] = [];
        let working = false;
        let overflow = false;
        let end: { error: unknown } | 'done' | undefined;
        const settle = () => {
          if (overflow) resolve('overflow');
          else if (end === 'done') resolve('done');
          else if (end !== undefined) reject(end.error);
        };
        const work = async () => {
          if (working) return;
          working = true;
          try {
            while (queue.length > 0 && !stopped) await handle(queue.shift()!);
          } catch (e) {
            live?.unsubscribe();
            reject(e);
            return;
          } finally {
            working = false;
          }
          settle();
        };
        live = live$.subscribe({
          next: (event) => {
            if (overflow) return;
            if (queue.length >= limit) {
              // Read them again later as history, a page at a time, from `next`.
              overflow = true;
              queue.length = 0;
              live?.unsubscribe();
            } else queue.push(event);
            void work();
          },
          error: (e: unknown) => {
            end = { error: e };
            void work();
          },
          complete: () => {
            end = 'done';
            void work();
          },
        });
      });

    void (async () => {
      const position = await resumePosition(source, consumer);
      next = position === undefined ? (o.from ?? 0) : position.sequence + 1;
      for (;;) {
        if (stopped) return;
        const tip = (await source.getTip()).sequence_number;
        const { history, live: live$ } = phases(source, o, next, tip);
        for await (const event of history) {
          if (stopped) return;
          await handle(event);
        }
        if (stopped) return;
        next = Math.max(next, tip + 1); // live$ starts here
        if ((await runLive(live$)) === 'done') return subscriber.complete();
      }
    })().catch((e: unknown) => subscriber.error(e));
    return () => {
      stopped = true;
      live?.unsubscribe();
    };
  });
}
