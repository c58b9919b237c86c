import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Observable, Subject } from 'rxjs';
import { rxjs } from './lazyRxjs.js';
import { canonicalJson } from '../contract/canonicalJson.js';
import {
  LedgerCorruptionError, LedgerEventIdConflictError, LedgerNotFoundError, LedgerSequenceError, LedgerStreamConflictError, LedgerValidationError, isLedgerError,
} from '../errors/errors.js';
import { ANY, AppendInputCodec, LEDGER_OWNED_FIELDS, type AppendInput, type AppendResult, type LedgerEvent } from '../contract/event.js';
import { buildEventLine, checkLine, checkLineBytes, parseEventLine, readEventLine } from '../contract/eventLine.js';
import {
  EventTypeRegistry, type AppendInputUnion, type CodecMap, type EventUnion, type ReservedTypeCapability, type SeedCodecs,
} from './eventTypeRegistry.js';
import { GENESIS_HASH } from '../contract/hash.js';
import type { AppendRecord, IndexEntry, IndexQuery, LedgerStore, MerkleLog, ReplicaLag, StoredLine, StreamHead, StreamRange, Tip } from './ledgerStore.js';
import { checkEventId, checkHash, checkIndexQuery, checkStreamId, checkStreamRange, eventHash, matchesQuery } from './indexedReads.js';
import { streamEvents, type StreamOptions } from './eventStream.js';
import { consumeEvents, subscribeEvents, type ConsumerCheckpoint, type SubscribeOptions } from './subscriptions.js';
import { decode, orThrow } from '../contract/validation.js';
import { verifyLineBatches, verifyLines, type VerifyOptions, type VerifyResult } from '../verify/verifyChain.js';
import { newEventId } from './eventIds.js';
import {
  isUncheckedConflict, planStreams, prepareBatch, priorBatch, resultOf, type AppendToStreamOptions, type PreparedAppend, type StreamPlan,
} from './batchAppend.js';

/** How often an append that named no expected version is retried after another writer took its stream version first. */
const STREAM_RETRIES = 5;

/** How a ledger is opened: its event types, clock, payload limit, Merkle tree and open-time verification. */
export interface LedgerOptions<M extends CodecMap = CodecMap> {
  /**
   * Accepted event types and their payload codecs (default: the seed's types). Its type
   * types the ledger: reads return `EventUnion<M>`, append accepts `AppendInputUnion<M>`.
   */
  readonly registry?: EventTypeRegistry<M>;
  /** Source of event timestamps (default: the system clock). */
  readonly clock?: () => Date;
  /**
   * Re-hash the whole chain before opening, failing with LedgerCorruptionError at the first
   * broken sequence. Off by default: opening reads only the tip, so it is fast on any size.
   */
  readonly verifyOnOpen?: boolean;
  /** Largest canonical payload accepted, in UTF-8 bytes (default 1 MiB). */
  readonly maxPayloadBytes?: number;
  /**
   * Keep a Merkle tree (RFC 6962) current as events are appended, for checkpoints and proofs
   * (docs/proofs.md). `true` opens the store's own (`store.openMerkleLog`: the directory store's
   * <dir>/merkle/hashes, the immudb store's hash keys), caught up from the ledger at open; or
   * pass an open MerkleLog. Every durable append then extends it (O(log n)); the ledger closes it.
   */
  readonly merkle?: boolean | MerkleLog;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

const APPEND_FIELDS = new Set(['event_type', 'schema_version', 'provenance', 'payload', 'stream_id', 'expected_version', 'event_id', 'metadata']);
const APPEND_FIELD_LIST = [...APPEND_FIELDS].join(', ');

/** What `aggregateStream` folds with (Emmett's shape). */
export interface AggregateStreamOptions<S, E> {
  /** The next state after `event` (pure). */
  readonly evolve: (state: S, event: E) => S;
  /** The state before the stream's first event. */
  readonly initialState: () => S;
  /** Stop at this stream version, inclusive (default: the head). */
  readonly to?: number;
}

/** What `aggregateStream` resolves with: the folded state and the version it reflects (-1: no such stream). */
export interface AggregateStreamResult<S> {
  readonly state: S;
  readonly currentStreamVersion: number;
  readonly streamExists: boolean;
}

/** Options of `readBackward`: newest first from `from` (default: the tip), at most `limit` events. */
export interface ReadBackwardOptions {
  readonly from?: number;
  readonly limit?: number;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new LedgerValidationError(name, `expected an integer >= ${min}, got ${String(value)}`, value);
}

/**
 * The append-only, hash-chained ledger over any LedgerStore. It alone assigns sequence
 * numbers, event ids, timestamps and hashes.
 *
 * `M` is the registry's codec map (event_type -> payload codec). Events read are the union
 * `EventUnion<M>`, discriminated by `event_type`; `append` accepts only registered types with
 * their payloads. A bare `Ledger` (any registry) reads the base `LedgerEvent`. Events of types
 * the registry does not hold (a reserved type such as `snapshot_created`, or one appended by a
 * process with another registry) are still returned as stored, but the union does not name
 * them: TypeScript cannot narrow a union that has a member typed `event_type: string`.
 * (`Ledger` alone is `Ledger<any>`, not `Ledger<CodecMap>`, so that every `Ledger<M>` is
 * assignable to it: TypeScript cannot see EventUnion as covariant in M.)
 *
 * Timestamps are monotonic per ledger: an event's timestamp is never earlier than the previous
 * event's. A clock that went backwards (NTP step, a writer process with a skewed clock) is
 * clamped to the previous timestamp, so `query({ since, until })` ranges follow sequence order.
 *
 * Streams (issue 13): events may carry a `stream_id`; the ledger numbers each stream's events
 * 0, 1, 2... (`stream_version`) on the one global chain. Reads by stream, hash, event id and
 * query are served by the store's indexes, and every event an index names is read from the
 * store and checked (hash, sequence, filter) before it is returned.
 *
 * @example
 * const ledger = await Ledger.open(await DirectoryStore.open('./data'));
 * const { sequence, hash } = await ledger.append({ event_type: 'session_start', schema_version: '1.0.0',
 *   provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-core', actor: 'system' },
 *   payload: { session_id: 's-1' }, stream_id: 'session-s-1', expected_version: -1 });
 * (await ledger.verifyChain()).valid === true;
 */
export class Ledger<M extends CodecMap = any> {
  readonly registry: EventTypeRegistry<M>;
  // Untyped inside, so a Ledger<M> stays assignable to a bare Ledger (a Subject is invariant).
  // Made on the first read of events$ (rxjs loads then, not with the ledger).
  private appended: Subject<LedgerEvent> | undefined;
  private observable: Observable<EventUnion<M>> | undefined;
  private completed = false;
  private readonly clock: () => Date;
  private readonly maxPayloadBytes: number;
  /** Appends run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private appendTip: Tip;
  /** Set when an append's outcome is unknown: the next append re-reads the tip instead of guessing. */
  private appendTipUnknown = false;
  /** The tip's timestamp (timestamps never go backwards); undefined until read. */
  private appendTimestamp: string | undefined;

  private constructor(
    readonly store: LedgerStore,
    tip: Tip,
    options: LedgerOptions<M>,
    /** The Merkle tree kept current by every append (LedgerOptions.merkle), if any. */
    readonly merkle: MerkleLog | undefined,
  ) {
    this.appendTip = tip;
    // Without a registry, M defaults to SeedCodecs (Ledger.open), which is what this builds.
    this.registry = options.registry ?? (EventTypeRegistry.withSeedTypes() as unknown as EventTypeRegistry<M>);
    this.clock = options.clock ?? (() => new Date());
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  /** Every event as it becomes durable, in sequence order. Completes on close(). */
  get events$(): Observable<EventUnion<M>> {
    if (!this.observable) {
      this.appended = new (rxjs().Subject)<LedgerEvent>();
      if (this.completed) this.appended.complete();
      this.observable = this.appended.asObservable() as Observable<EventUnion<M>>;
    }
    return this.observable;
  }

  /** Opens a ledger over `store` (which it then owns: close() closes it); reads only the tip unless `verifyOnOpen`. */
  static async open<M extends CodecMap = SeedCodecs>(store: LedgerStore, options: LedgerOptions<M> = {}): Promise<Ledger<M>> {
    // The ledger owns the store from here on: close() closes it, and so does a failed open.
    let merkle: MerkleLog | undefined;
    try {
      if (options.merkle === true) {
        if (!store.openMerkleLog) throw new LedgerValidationError('merkle', `${store.description} keeps no Merkle tree (no openMerkleLog); pass a MerkleLog instead`, true);
        merkle = await store.openMerkleLog();
      } else if (options.merkle) merkle = options.merkle;
      const ledger = new Ledger<M>(store, await store.tip(), options, merkle);
      if (options.verifyOnOpen) {
        const result = await ledger.verifyChain();
        if (!result.valid) throw new LedgerCorruptionError(result.break_at ?? -1, `${store.description}: ${result.reason}`);
      }
      return ledger;
    } catch (e) {
      await merkle?.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Validates `input`, then appends it as the next event; resolves with its AppendResult
   * (sequence, hash, event_id, and stream_id/stream_version for a stream event) once the store
   * has made it durable. Rejected input (LedgerValidationError, LedgerSerializationError)
   * writes nothing. A reserved event type (EventTypeRegistry.reserve, e.g. the framework's
   * `snapshot_created`) is rejected here, naming the type.
   *
   * Streams: with `stream_id` the ledger assigns the next `stream_version` (0 for the first);
   * with `expected_version` too, the stream's last version must be it (-1: no such stream), else
   * LedgerStreamConflictError and nothing is written. The check and the write are one atomic
   * step in the store. Idempotency: an `event_id` the ledger already holds with the same content
   * (type, schema version, provenance, payload, stream, metadata) writes nothing and resolves
   * with the original result; with other content it is LedgerEventIdConflictError.
   */
  append(input: AppendInputUnion<M>): Promise<AppendResult> {
    let prepared: PreparedAppend;
    try {
      prepared = this.prepare(input, undefined);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue([prepared]).then((r) => r[0]!);
  }

  /**
   * Appends an event of a reserved type: `capability` must be the one EventTypeRegistry.reserve
   * returned for `input.event_type`, which only the framework that reserved it holds.
   */
  appendReserved<P extends object>(capability: ReservedTypeCapability, input: AppendInput<P>): Promise<AppendResult> {
    let prepared: PreparedAppend;
    try {
      prepared = this.prepare(input, capability);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue([prepared]).then((r) => r[0]!);
  }

  /**
   * Appends `events` to one stream as one atomic unit (issue 22, KurrentDB's appendToStream):
   * consecutive sequences and stream versions, one durable write, one AppendResult per event,
   * all or nothing (also across a crash: a batch cut short is never read as committed).
   * `expectedVersion` is the stream's last version before the batch (a number, NO_STREAM,
   * STREAM_EXISTS or ANY). Events carry no stream_id (or this one) and no expected_version.
   * Any invalid event, reserved type, repeated or held event_id with other content, or a
   * version conflict is a typed error naming `events[i]` and the field; nothing is written.
   * A retry of the same batch (same event ids, same content) resolves with the original
   * results and writes nothing; a retry matching only part of it is refused.
   *
   * @example
   * const [opened, added] = await ledger.appendToStream('cart-1', [cartOpened, itemAdded], { expectedVersion: NO_STREAM });
   */
  appendToStream(streamId: string, events: ReadonlyArray<WithoutStream<AppendInputUnion<M>>>, options: AppendToStreamOptions = {}): Promise<AppendResult[]> {
    let prepared: PreparedAppend[];
    try {
      checkStreamId(streamId);
      if (typeof options !== 'object' || options === null) throw new LedgerValidationError('options', 'expected { expectedVersion? }', options);
      for (const k of Object.keys(options)) if (k !== 'expectedVersion') throw new LedgerValidationError(`options.${k}`, 'unknown option (expected expectedVersion)', (options as Record<string, unknown>)[k]);
      const expectedVersion = options.expectedVersion;
      prepared = prepareBatch(events, (raw) => this.prepare(raw, undefined), this.store.maxBatch, { id: streamId, expectedVersion });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue(prepared);
  }

  /**
   * Appends `events` as one atomic unit (issue 22): as appendToStream, for events of any
   * streams or none, each with its own stream_id and expected_version (checked against the
   * version its stream has just before it: the head, or after the batch's earlier events).
   */
  appendBatch(events: ReadonlyArray<AppendInputUnion<M>>): Promise<AppendResult[]> {
    let prepared: PreparedAppend[];
    try {
      prepared = prepareBatch(events, (raw) => this.prepare(raw, undefined), this.store.maxBatch);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue(prepared);
  }

  private enqueue(batch: PreparedAppend[]): Promise<AppendResult[]> {
    const run = () => this.write(batch);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Checks input synchronously, at call time, so a caller mutating it later changes nothing. */
  private prepare(raw: unknown, capability: ReservedTypeCapability | undefined): PreparedAppend {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LedgerValidationError('', 'expected an object with event_type, schema_version, provenance, payload', raw);
    for (const field of LEDGER_OWNED_FIELDS) {
      if (field in raw) throw new LedgerValidationError(field, `is assigned by the ledger; callers must not pass it`, (raw as Record<string, unknown>)[field]);
    }
    for (const field of Object.keys(raw)) {
      if (!APPEND_FIELDS.has(field)) throw new LedgerValidationError(field, `unknown field (expected ${APPEND_FIELD_LIST})`, (raw as Record<string, unknown>)[field]);
    }
    const input = orThrow(
      pipe(
        decode(AppendInputCodec, raw),
        E.chainFirst((decoded) =>
          pipe(
            // Reserved types are checked against the capability, never against the (caller-built) registry.
            capability === undefined ? this.registry.lookup(decoded.event_type) : EventTypeRegistry.reserved(decoded.event_type, capability),
            E.chain((codec) => decode(codec, decoded.payload, 'payload')),
          ),
        ),
      ),
    );
    if (input.expected_version !== undefined && input.expected_version !== ANY && input.stream_id === undefined) {
      throw new LedgerValidationError('expected_version', 'needs stream_id: an expected version is a version of one stream', input.expected_version);
    }
    // A lone surrogate has no UTF-8 form: refused here, at call time, not when the line is built.
    if (input.stream_id !== undefined) canonicalJson(input.stream_id, 'stream_id');
    const payloadJson = canonicalJson(input.payload, 'payload');
    const bytes = Buffer.byteLength(payloadJson, 'utf8');
    if (bytes > this.maxPayloadBytes) {
      throw new LedgerValidationError('payload', `is ${bytes} bytes as canonical JSON; the limit is ${this.maxPayloadBytes} (LedgerOptions.maxPayloadBytes)`, `<${bytes} bytes>`);
    }
    let metadataJson: string | undefined;
    if (input.metadata !== undefined) {
      metadataJson = canonicalJson(input.metadata, 'metadata');
      const metaBytes = Buffer.byteLength(metadataJson, 'utf8');
      if (metaBytes > this.maxPayloadBytes) {
        throw new LedgerValidationError('metadata', `is ${metaBytes} bytes as canonical JSON; the limit is ${this.maxPayloadBytes} (LedgerOptions.maxPayloadBytes)`, `<${metaBytes} bytes>`);
      }
    }
    return { input, provenanceJson: canonicalJson(input.provenance, 'provenance'), payloadJson, metadataJson };
  }

  /** The stored event holding `eventId`, checked, or undefined. */
  private async heldEvent(eventId: string | undefined): Promise<LedgerEvent | undefined> {
    if (eventId === undefined) return undefined;
    const entry = await this.store.index.byEventId(eventId);
    return entry && ((await this.readIndexed(entry, (e) => e.event_id === eventId, `event_id ${eventId}`)) as LedgerEvent);
  }

  /** A retry of a batch the ledger holds: its original results (see priorBatch), else undefined. */
  private async priorAppend(batch: readonly PreparedAppend[]): Promise<AppendResult[] | undefined> {
    if (batch.every((p) => p.input.event_id === undefined)) return undefined;
    const held: Array<LedgerEvent | undefined> = [];
    for (const p of batch) held.push(await this.heldEvent(p.input.event_id));
    return priorBatch(batch, held);
  }

  /**
   * Writes a batch (one event or more) with one store.append. A store's stream conflict on a
   * stream the batch named no expected version for (another writer took the version between
   * the head's read and the write) is retried with the heads read again, up to STREAM_RETRIES
   * times; then it is reported as such, never as a version the caller did not expect.
   */
  private async write(batch: readonly PreparedAppend[]): Promise<AppendResult[]> {
    for (let attempt = 0; ; attempt++) {
      let plan: StreamPlan | undefined;
      try {
        return await this.writeOnce(batch, (p) => (plan = p));
      } catch (e) {
        if (!isUncheckedConflict(e, plan)) throw e;
        if (attempt >= STREAM_RETRIES) {
          throw new LedgerStreamConflictError(e.stream_id, undefined, e.actual, { cause: e, detail: `the append was tried ${attempt + 1} times; nothing was written` });
        }
      }
    }
  }

  private async writeOnce(batch: readonly PreparedAppend[], planned: (plan: StreamPlan) => void): Promise<AppendResult[]> {
    if (this.appendTipUnknown) {
      this.appendTip = await this.store.tip();
      this.appendTimestamp = undefined;
      this.appendTipUnknown = false;
    }
    // (a) A retry of a batch the ledger already holds writes nothing.
    const prior = await this.priorAppend(batch);
    if (prior) return prior;
    // (b) Each stream's next versions; the store re-checks them atomically with the write.
    const heads = new Map<string, number>();
    for (const p of batch) {
      const s = p.input.stream_id;
      if (s !== undefined && !heads.has(s)) heads.set(s, (await this.store.index.streamHead(s))?.version ?? -1);
    }
    const plan = planStreams(batch, heads);
    planned(plan);
    const tip = this.appendTip;
    const timestamp = await this.nextTimestamp(tip);
    const n = batch.length;
    const records: AppendRecord[] = [];
    let previous = tip.hash;
    for (let i = 0; i < n; i++) {
      const { input, provenanceJson, payloadJson, metadataJson } = batch[i]!;
      const sequence = tip.sequence_number + 1 + i;
      const event_id = input.event_id ?? newEventId();
      const stream_version = plan.versions[i];
      const { hash, line } = buildEventLine({
        event_id, sequence, event_type: input.event_type, schema_version: input.schema_version, timestamp, provenanceJson,
        previous_hash: previous, payloadJson,
        ...(input.stream_id === undefined ? {} : { stream_id: input.stream_id, stream_version }),
        ...(metadataJson === undefined ? {} : { metadataJson }),
        ...(n === 1 ? {} : { batch: { index: i, size: n } }),
      });
      previous = hash;
      records.push({
        sequence, hash, line, event_id,
        fields: {
          event_type: input.event_type, timestamp, actor: input.provenance.actor, framework_id: input.provenance.framework_id,
          ...(input.stream_id === undefined ? {} : { stream_id: input.stream_id, stream_version }),
        },
      });
    }
    try {
      await this.store.append(records);
    } catch (e) {
      // Another writer moved the tip: nothing of ours was written. Re-read the tip so that the
      // caller's next append lands after theirs instead of failing forever.
      if (isLedgerError(e, 'LEDGER_SEQUENCE')) {
        this.appendTip = await this.store.tip();
        this.appendTimestamp = undefined;
      }
      // The batch may or may not have landed: whichever it was, the store's tip says so.
      if (isLedgerError(e, 'LEDGER_APPEND_UNCERTAIN')) this.appendTipUnknown = true;
      // Another process appended (to the stream, or this event id): the tip moved under us too.
      if (isLedgerError(e, 'LEDGER_STREAM_CONFLICT') || isLedgerError(e, 'LEDGER_EVENT_ID_CONFLICT')) this.appendTipUnknown = true;
      // Another process won the race with these event ids: a retry of the same content is theirs.
      if (isLedgerError(e, 'LEDGER_EVENT_ID_CONFLICT')) {
        const again = await this.priorAppend(batch);
        if (again) return again;
      }
      throw e;
    }
    const last = records.at(-1)!;
    this.appendTip = { sequence_number: last.sequence, hash: last.hash };
    this.appendTimestamp = timestamp;
    const results: AppendResult[] = [];
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      // The events are durable whatever happens to the tree (derived data, caught up from the
      // lines by its next append or open), so a tree failure never fails the append.
      await this.merkle?.append(r.sequence, r.line).catch(() => undefined);
      // Subscribers get each event as stored (parsed from its line, so no caller object is
      // shared); with none, the hot path skips the parse.
      if (this.appended?.observed) this.appended.next(parseEventLine(r.line));
      const stream_id = batch[i]!.input.stream_id;
      results.push({ sequence: r.sequence, hash: r.hash, event_id: r.event_id, ...(stream_id === undefined ? {} : { stream_id, stream_version: plan.versions[i]! }) });
    }
    return results;
  }

  /**
   * The clock's time, but never earlier than the tip's timestamp: a clock set back (NTP step,
   * another writer's skew) is clamped, so the ledger's timestamps never go backwards and time
   * queries stay ordered by sequence. The tip's timestamp is read lazily, once per tip change
   * not made by this ledger, so opening stays one tip read.
   */
  private async nextTimestamp(tip: Tip): Promise<string> {
    const now = this.clock().toISOString();
    if (this.appendTimestamp === undefined && tip.sequence_number >= 0) {
      const line = await this.store.readLine(tip.sequence_number);
      if (line === undefined) throw new LedgerCorruptionError(tip.sequence_number, `${this.store.description} reports it as the tip but holds no such event`);
      this.appendTimestamp = this.parse(line, tip.sequence_number).timestamp;
    }
    // Same fixed-width ISO format: string order is time order.
    return this.appendTimestamp !== undefined && now < this.appendTimestamp ? this.appendTimestamp : now;
  }

  /** The event at `sequence`; LedgerNotFoundError if the ledger does not hold it. */
  async read(sequence: number): Promise<EventUnion<M>> {
    checkInteger('sequence', sequence, 0);
    const line = await this.store.readLine(sequence);
    if (line === undefined) throw new LedgerNotFoundError(sequence, `no event at sequence ${sequence} (${this.store.description})`);
    return this.parse(line, sequence);
  }

  /** Events `start`..`end` inclusive, streamed; `end` must not be past the tip. */
  async *readRange(start: number, end: number): AsyncGenerator<EventUnion<M>> {
    checkInteger('start', start, 0);
    checkInteger('end', end, start);
    const tip = await this.store.tip();
    if (end > tip.sequence_number) throw new LedgerNotFoundError(end, `no event at sequence ${end}: the tip is ${tip.sequence_number}`);
    yield* this.scan(start, end);
  }

  /** Events after `sequence` (-1 for all), up to the tip as it is when iteration starts. */
  async *readSince(sequence: number): AsyncGenerator<EventUnion<M>> {
    checkInteger('sequence', sequence, -1);
    yield* this.scan(sequence + 1, (await this.store.tip()).sequence_number);
  }

  private async *scan(start: number, end: number): AsyncGenerator<EventUnion<M>> {
    let expected = start;
    for await (const { line } of this.store.scanLines(start, end)) {
      yield this.parse(line, expected++);
    }
    if (expected <= end) throw new LedgerCorruptionError(expected, `${this.store.description} ended before sequence ${end}`);
  }

  // ---- index-served reads (issue 13): cost grows with the events returned -----------------

  /**
   * The event an index entry names, read from the store and checked (checkIndexed). One
   * entry: for point lookups (by hash, event id, stream head).
   */
  private async readIndexed(entry: IndexEntry, matches: (e: LedgerEvent) => boolean, what: string): Promise<EventUnion<M>> {
    const [stored] = await this.readStoredLines([entry]);
    return this.checkIndexed(entry, stored, matches, what);
  }

  /** The stored lines of `sequences`: one batched store call where the store has one. */
  private async readStoredLines(entries: readonly IndexEntry[]): Promise<Array<Uint8Array | string | undefined>> {
    if (this.store.readLineBytes) return this.store.readLineBytes(entries);
    const out: Array<string | undefined> = [];
    for (const e of entries) out.push(await this.store.readLine(e.sequence));
    return out;
  }

  /**
   * An event an index names, checked from its stored line: the line is an event (the contract's
   * line check, which on a canonical line hashes its bytes as they are: no parse and
   * re-serialisation), of the entry's sequence, whose hash its content gives, equal to the hash
   * the index holds, and `matches` (what the index claimed of it). Any mismatch is
   * LedgerCorruptionError naming the sequence.
   */
  private checkIndexed(entry: IndexEntry, stored: Uint8Array | string | undefined, matches: (e: LedgerEvent) => boolean, what: string): EventUnion<M> {
    const { sequence } = entry;
    if (stored === undefined) throw new LedgerCorruptionError(sequence, `the index names it for ${what}, but ${this.store.description} holds no such event`);
    const facts = { exact: false };
    const c = typeof stored === 'string' ? checkLine(stored, facts) : checkLineBytes(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength), facts);
    if (!c.ok) throw new LedgerCorruptionError(sequence, `the stored line is not an event: ${c.reason}`);
    if (c.sequence !== sequence) throw new LedgerCorruptionError(sequence, `stored event carries sequence ${c.sequence}`);
    if (c.computed !== c.hash) throw new LedgerCorruptionError(sequence, `stored hash ${c.hash} does not match the content's hash ${c.computed}`);
    if (c.hash !== entry.hash) throw new LedgerCorruptionError(sequence, `the index holds hash ${entry.hash} for ${what}, the event's hash is ${c.hash}`);
    // The check proved the bytes valid UTF-8; `exact`: canonical with safe integers, so JSON.parse reads it exactly.
    const line = typeof stored === 'string' ? stored : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('utf8');
    const event = facts.exact ? (JSON.parse(line) as LedgerEvent) : readEventLine(line, sequence);
    if (!matches(event)) throw new LedgerCorruptionError(sequence, `the index names it for ${what}, but the stored event does not match`);
    return event as EventUnion<M>;
  }

  /**
   * The events `entries` name, read in pages (one store call per page: the directory store reads
   * a page's lines in a few reads) and checked; `accept` checks each entry as it comes from the
   * index (order, range) before any read. Pages grow from small, so a caller that wants only the
   * first events does not wait for a large read; at most `limit` entries are taken.
   */
  private async *readIndexedPages<T extends IndexEntry>(
    entries: AsyncIterable<T>, limit: number | undefined, accept: (entry: T) => void,
    matches: (e: LedgerEvent, entry: T) => boolean, what: (entry: T) => string,
  ): AsyncGenerator<EventUnion<M>> {
    let left = limit ?? Infinity;
    let size = 16;
    let page: T[] = [];
    const flush = async function* (this: Ledger<M>): AsyncGenerator<EventUnion<M>> {
      const stored = await this.readStoredLines(page);
      for (let i = 0; i < page.length; i++) yield this.checkIndexed(page[i]!, stored[i], (e) => matches(e, page[i]!), what(page[i]!));
      page = [];
      size = Math.min(size * 2, 256);
    };
    for await (const entry of entries) {
      try {
        accept(entry);
      } catch (e) {
        // The events before a bad entry are delivered first, as when each was read on its own.
        yield* flush.call(this);
        throw e;
      }
      page.push(entry);
      if (--left <= 0) break;
      if (page.length >= size) yield* flush.call(this);
    }
    if (page.length > 0) yield* flush.call(this);
  }

  /**
   * The events of one stream in version order (or newest first with `direction: 'backward'`),
   * versions `from`..`to` inclusive, at most `limit`; streamed, each read from the store and
   * checked against the index. A stream with no events yields nothing.
   *
   * @example
   * for await (const e of ledger.readStream('order-42')) console.log(e.stream_version, e.event_type);
   */
  async *readStream(streamId: string, range: StreamRange = {}): AsyncGenerator<EventUnion<M>> {
    checkStreamId(streamId);
    const r = checkStreamRange(range);
    if (r.limit === 0) return;
    const backward = r.direction === 'backward';
    let previous: number | undefined;
    yield* this.readIndexedPages(
      this.store.index.streamEntries(streamId, r),
      r.limit,
      (entry) => {
        const v = entry.stream_version;
        // The index must give consecutive versions inside the range: a gap is a lost entry.
        const inRange = (r.from === undefined || (backward ? v <= r.from : v >= r.from)) && (r.to === undefined || (backward ? v >= r.to : v <= r.to));
        const next = previous === undefined || v === (backward ? previous - 1 : previous + 1);
        if (!inRange || !next || (previous === undefined && !backward && v !== (r.from ?? 0))) {
          throw new LedgerCorruptionError(entry.sequence, `the stream index of ${JSON.stringify(streamId)} gives version ${v} ${previous === undefined ? 'first' : `after ${previous}`}`);
        }
        previous = v;
      },
      (e, entry) => e.stream_id === streamId && e.stream_version === entry.stream_version,
      (entry) => `stream ${JSON.stringify(streamId)} version ${entry.stream_version}`,
    );
  }

  /** The stream's newest event (its version, sequence and hash), checked against the store; undefined if no event carries `streamId`. */
  async streamHead(streamId: string): Promise<StreamHead | undefined> {
    checkStreamId(streamId);
    const head = await this.store.index.streamHead(streamId);
    if (head === undefined) return undefined;
    await this.readIndexed(head, (e) => e.stream_id === streamId && e.stream_version === head.version, `the head of stream ${JSON.stringify(streamId)}`);
    return { stream_id: streamId, version: head.version, sequence: head.sequence, hash: head.hash };
  }

  /**
   * Folds one stream's events into a state (Emmett's aggregateStream): `currentStreamVersion`
   * is the last version folded, -1 (and `streamExists: false`) if the stream has no events.
   * Pass it as `expected_version` to append the decision made from this state.
   *
   * @example
   * const { state, currentStreamVersion } = await ledger.aggregateStream('cart-1', { evolve, initialState });
   * await ledger.append({ ...decide(command, state), stream_id: 'cart-1', expected_version: currentStreamVersion });
   */
  async aggregateStream<S>(streamId: string, options: AggregateStreamOptions<S, EventUnion<M>>): Promise<AggregateStreamResult<S>> {
    if (typeof options?.evolve !== 'function' || typeof options.initialState !== 'function') {
      throw new LedgerValidationError('options', 'expected { evolve(state, event), initialState() }', options);
    }
    let state = options.initialState();
    let version = -1;
    for await (const event of this.readStream(streamId, options.to === undefined ? {} : { to: options.to })) {
      state = options.evolve(state, event);
      version = event.stream_version!;
    }
    return { state, currentStreamVersion: version, streamExists: version >= 0 };
  }

  /** The event whose hash is `hash` (seed 001's get_by_hash), checked; undefined if the ledger holds none. */
  async getByHash(hash: string): Promise<EventUnion<M> | undefined> {
    checkHash(hash);
    const entry = await this.store.index.byHash(hash);
    return entry && this.readIndexed(entry, (e) => e.hash === hash, `hash ${hash}`);
  }

  /** The event with `eventId`, checked; undefined if the ledger holds none. */
  async getByEventId(eventId: string): Promise<EventUnion<M> | undefined> {
    checkEventId(eventId);
    const entry = await this.store.index.byEventId(eventId);
    return entry && this.readIndexed(entry, (e) => e.event_id === eventId, `event_id ${eventId}`);
  }

  /**
   * Events matching every filter given (type, provenance actor and framework, stream id prefix,
   * the ledger's own timestamps `since`..`until` inclusive), in sequence order or newest first,
   * at most `limit`; served by the store's indexes and streamed. A bad filter is
   * LedgerValidationError naming it.
   *
   * @example
   * for await (const e of ledger.query({ event_type: 'work_order_created', since: '2026-01-01T00:00:00.000Z' })) …
   */
  async *query(query: IndexQuery = {}): AsyncGenerator<EventUnion<M>> {
    const q = checkIndexQuery(query);
    if (q.limit === 0) return;
    const backward = q.direction === 'backward';
    let previous: number | undefined;
    yield* this.readIndexedPages(
      this.store.index.query(q),
      q.limit,
      (entry) => {
        if (previous !== undefined && (backward ? entry.sequence >= previous : entry.sequence <= previous)) {
          throw new LedgerCorruptionError(entry.sequence, `the query index gives sequence ${entry.sequence} after ${previous}`);
        }
        previous = entry.sequence;
      },
      (e) => matchesQuery(e, q),
      () => 'a query',
    );
  }

  /**
   * The whole ledger newest first, from `from` (default: the tip) down to sequence 0, at most
   * `limit` events; streamed. Each event's hash is recomputed and must be the `previous_hash`
   * of the event read before it, so a reader walking back sees the chain it walks.
   */
  async *readBackward(options: ReadBackwardOptions = {}): AsyncGenerator<EventUnion<M>> {
    if (typeof options !== 'object' || options === null) throw new LedgerValidationError('options', 'expected { from?, limit? }', options);
    const { from, limit } = options;
    if (from !== undefined) checkInteger('from', from, 0);
    if (limit !== undefined) checkInteger('limit', limit, 0);
    const tip = await this.store.tip();
    const start = from ?? tip.sequence_number;
    if (start > tip.sequence_number) throw new LedgerNotFoundError(start, `no event at sequence ${start}: the tip is ${tip.sequence_number}`);
    if (start < 0 || limit === 0) return;
    const end = limit === undefined ? 0 : Math.max(0, start - limit + 1);
    let expected = start;
    let link = start === tip.sequence_number ? tip.hash : undefined;
    for await (const { line } of this.store.scanLinesBackward(start, end)) {
      const event = this.parse(line, expected);
      const computed = eventHash(event as LedgerEvent, expected);
      if (computed !== event.hash) throw new LedgerCorruptionError(expected, `stored hash ${event.hash} does not match the content's hash ${computed}`);
      if (link !== undefined && link !== event.hash) throw new LedgerCorruptionError(expected, `its hash ${event.hash} is not the next event's previous_hash ${link}`);
      link = event.previous_hash;
      yield event;
      expected--;
    }
    if (expected >= end) throw new LedgerCorruptionError(expected, `${this.store.description} ended before sequence ${end} reading backward`);
  }

  // ---- line-level reads: the stored bytes, for callers that check the chain themselves ------

  /** The store's short name, for messages (e.g. `directory:/var/ledger`). */
  get description(): string {
    return this.store.description;
  }

  /**
   * The local directory the store keeps its data in (a directory store's), else undefined.
   * Files kept beside the ledger (snapshots, checkpoints) default to it.
   */
  get location(): string | undefined {
    const dir = this.store.dir;
    return typeof dir === 'string' ? dir : undefined;
  }

  /**
   * The line of event `sequence` exactly as stored (canonical JSON, no newline), not parsed or
   * checked: for callers that hash the bytes themselves (snapshot anchors, audits).
   * LedgerNotFoundError if the ledger does not hold it.
   *
   * @example
   * const line = await ledger.readLine(41);   // '{"event_id":…,"sequence":41,…}'
   */
  async readLine(sequence: number): Promise<string> {
    checkInteger('sequence', sequence, 0);
    const line = await this.store.readLine(sequence);
    if (line === undefined) throw new LedgerNotFoundError(sequence, `no event at sequence ${sequence} (${this.store.description})`);
    return line;
  }

  /**
   * Stored lines `from`..`to` inclusive, exactly as stored and streamed in pages (flat memory),
   * not parsed or checked: for callers that check the chain themselves (replay, snapshots,
   * export). With `to`, a store that ends before it is LedgerCorruptionError at the first
   * missing sequence; `to` below `from` yields nothing. Without `to`, every line the store
   * holds from `from` on (for a directory store, stray lines past the tip's position too, so an
   * export keeps them for verify to find).
   *
   * @example
   * for await (const { sequence, line } of ledger.readLines(0, 99)) hashes.push(sha256(line));
   */
  async *readLines(from: number, to?: number): AsyncGenerator<StoredLine> {
    checkInteger('from', from, 0);
    if (to !== undefined) {
      checkInteger('to', to, -1);
      if (to < from) return;
    }
    let next = from;
    for await (const stored of this.store.scanLines(from, to)) {
      next++;
      yield stored;
    }
    if (to !== undefined && next <= to) throw new LedgerCorruptionError(next, `${this.store.description} ended before sequence ${to}`);
  }

  /**
   * readLines(from, to) as the stored bytes, in batches of views valid only until the next
   * batch (the store's scanLineBatches), or undefined when the store has no byte scan: replay's
   * fast path, which checks each line as the bytes it is. The same bounds and the same
   * LedgerCorruptionError when the store ends before `to`; without `to`, every whole line to the
   * end of the store, as readLines (export's byte path). @internal
   */
  readLineBatches(from: number, to?: number): AsyncIterable<readonly Buffer[]> | undefined {
    checkInteger('from', from, 0);
    if (to !== undefined) checkInteger('to', to, -1);
    const store = this.store;
    if (!store.scanLineBatches) return undefined;
    return (async function* () {
      if (to !== undefined && to < from) return;
      let next = from;
      for await (const batch of store.scanLineBatches!(from, to)) {
        next += batch.length;
        yield batch;
      }
      if (to !== undefined && next <= to) throw new LedgerCorruptionError(next, `${store.description} ended before sequence ${to}`);
    })();
  }

  /**
   * The stored event exactly: a canonical line with safe integers via JSON.parse, any other
   * line strictly (duplicate keys are LedgerCorruptionError, a number JavaScript cannot hold
   * exactly is LedgerUnreadableValueError naming the path), never a rounded value.
   */
  private parse(line: string, sequence: number): EventUnion<M> {
    const event = readEventLine(line, sequence);
    if (event.sequence !== sequence) throw new LedgerCorruptionError(sequence, `stored event carries sequence ${String(event.sequence)}`);
    // Typed by the registry, whose codecs checked every payload this ledger appended (see the class comment).
    return event as EventUnion<M>;
  }

  /**
   * Recomputes every hash from canonical JSON and checks every link and sequence from `start`
   * to `end` (default: the whole chain). A range also checks the link into `start`.
   */
  async verifyChain(start = 0, end?: number, options: Pick<VerifyOptions, 'onProgress' | 'progressEvery'> = {}): Promise<VerifyResult> {
    checkInteger('start', start, 0);
    const tip = await this.store.tip();
    const last = end ?? tip.sequence_number;
    if (end !== undefined) checkInteger('end', end, start);
    if (last > tip.sequence_number) throw new LedgerNotFoundError(last, `no event at sequence ${last}: the tip is ${tip.sequence_number}`);
    // Nothing to check, unless the range runs to the tip: then a store that can hold entries past
    // its tip (a planted immudb key at tip + 1, even on an empty ledger) is still asked to show them.
    if (last < start && (end !== undefined || start !== tip.sequence_number + 1)) return { valid: true, break_at: null, count: 0 };
    try {
      let previousHash = GENESIS_HASH;
      if (start > 0) {
        const line = await this.store.readLine(start - 1);
        const prev = line === undefined ? undefined : this.parse(line, start - 1);
        if (!prev) return { valid: false, break_at: start - 1, count: 0, reason: `sequence ${start - 1} is missing` };
        previousHash = prev.hash;
      }
      const store = this.store;
      // To the tip: no upper bound, so a store that can hold stray lines past the tip's position
      // (a duplicated or inserted line in a directory store) shows them to the verifier.
      const to = last === tip.sequence_number ? undefined : last;
      const verifyOptions: VerifyOptions = {
        ...options,
        start,
        previousHash,
        expectTip: last === tip.sequence_number ? tip : undefined,
        // An event_id fingerprint match is confirmed on the stored lines, not taken as a repeat.
        lineAt: (sequence) => store.readLine(sequence),
      };
      let verdict: Promise<VerifyResult>;
      if (store.scanLineBatches) {
        // The byte path: lines judged and hashed as stored, no decode and re-encode per line.
        verdict = verifyLineBatches(store.scanLineBatches(start, to), verifyOptions, { events: last - start + 1 });
      } else {
        async function* lines() {
          for await (const l of store.scanLines(start, to)) yield l.line;
        }
        verdict = verifyLines(lines(), verifyOptions);
      }
      return await verdict.then((r) =>
        r.valid && r.count !== last - start + 1
          ? { valid: false, break_at: start + r.count, count: r.count, reason: `sequence ${start + r.count} is missing` }
          : r,
      );
    } catch (e) {
      // A store that detects tampering on its own (e.g. a rewritten immudb key) reports it here.
      if (e instanceof LedgerCorruptionError) return { valid: false, break_at: e.sequence, count: Math.max(0, e.sequence - start), reason: e.message };
      throw e;
    }
  }

  /**
   * History from `from`, then live events, with no gap and no duplicate at the seam; history
   * is paged, so a slow subscriber never makes the ledger buffer itself.
   */
  stream(options: StreamOptions = {}): Observable<EventUnion<M>> {
    const store = this.store;
    return streamEvents<EventUnion<M>>(
      {
        getTip: () => this.getTip(),
        readRange: (start, end) => this.readRange(start, end),
        events$: this.events$,
        watch: store.watch ? (onChange, intervalMs) => store.watch!(onChange, intervalMs) : undefined,
        linkHash: async (sequence) => (sequence === 0 ? GENESIS_HASH : (await this.read(sequence - 1)).hash),
      },
      options,
    );
  }

  /**
   * The events of one stream (`stream`), a category (`streamPrefix`) or some `eventTypes`, from
   * `from`: history, then live (other processes' appends too), in sequence order with no gap or
   * duplicate at the seam (src/ledger/subscriptions.ts). History comes from the indexes, each
   * event checked as query() checks it, or with `history: 'scan'` from the chain, checked.
   *
   * @example
   * ledger.subscribe({ streamPrefix: 'order-', eventTypes: ['order_placed'] }).subscribe((e) => ship(e));
   */
  subscribe(options: SubscribeOptions = {}): Observable<EventUnion<M>> {
    return subscribeEvents<EventUnion<M>>(this, options);
  }

  /**
   * subscribe(options) for a named consumer that resumes where it stopped: starts after the
   * position `consumer` saved (checked against the ledger), calls `handler` on each event in
   * turn and saves the position once it resolved (at-least-once), then emits the event.
   *
   * @example
   * const consumer = await FileConsumerCheckpoint.open('mailer', ledger);
   * ledger.consume({ eventTypes: ['order_placed'] }, consumer, (e) => sendMail(e)).subscribe({ error: report });
   */
  consume(options: SubscribeOptions, consumer: ConsumerCheckpoint, handler: (event: EventUnion<M>) => unknown): Observable<EventUnion<M>> {
    return consumeEvents<EventUnion<M>>(this, options, consumer, handler);
  }

  /**
   * Each replica's tip and how far it is behind the primary, for a store that reads from
   * replicas (ReplicatedImmudbStore); empty for a store that has none.
   */
  async replicaLag(): Promise<ReplicaLag[]> {
    return this.store.replicaLag ? this.store.replicaLag() : [];
  }

  /** The newest event's sequence and hash; {-1, GENESIS_HASH} for an empty ledger. */
  async getTip(): Promise<Tip> {
    return this.store.tip();
  }

  /** Waits for pending appends, completes events$, closes the store. */
  async close(): Promise<void> {
    await this.queue;
    this.completed = true;
    this.appended?.complete();
    try {
      await this.merkle?.close();
    } finally {
      await this.store.close();
    }
  }
}

/** An append input without its stream (appendToStream gives it). */
export type WithoutStream<T> = T extends unknown ? Omit<T, 'stream_id' | 'expected_version'> : never;
