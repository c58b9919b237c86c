import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { Observable, Subject } from 'rxjs';
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson } from '../contract/canonicalJson.js';
import { LedgerCorruptionError, LedgerNotFoundError, LedgerSequenceError, LedgerValidationError, isLedgerError } from '../errors/errors.js';
import { AppendInputCodec, LEDGER_OWNED_FIELDS, type AppendInput, type LedgerEvent } from '../contract/event.js';
import { buildEventLine, parseEventLine, readEventLine } from '../contract/eventLine.js';
import {
  EventTypeRegistry, type AppendInputUnion, type CodecMap, type EventUnion, type ReservedTypeCapability, type SeedCodecs,
} from './eventTypeRegistry.js';
import { GENESIS_HASH } from '../contract/hash.js';
import type { LedgerStore, MerkleLog, StoredLine, Tip } from './ledgerStore.js';
import { streamEvents, type StreamOptions } from './eventStream.js';
import { decode, orThrow } from '../contract/validation.js';
import { verifyLines, type VerifyOptions, type VerifyResult } from '../verify/verifyChain.js';

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

const APPEND_FIELDS = new Set(['event_type', 'schema_version', 'provenance', 'payload']);

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
 * @example
 * const ledger = await Ledger.open(await DirectoryStore.open('./data'));
 * const seq = await ledger.append({ event_type: 'session_start', schema_version: '1.0.0',
 *   provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-core', actor: 'system' },
 *   payload: { session_id: 's-1' } });
 * (await ledger.verifyChain()).valid === true;
 */
export class Ledger<M extends CodecMap = any> {
  /** Every event as it becomes durable, in sequence order. Completes on close(). */
  readonly events$: Observable<EventUnion<M>>;
  readonly registry: EventTypeRegistry<M>;
  // Untyped inside, so a Ledger<M> stays assignable to a bare Ledger (a Subject is invariant).
  private readonly appended = new Subject<LedgerEvent>();
  private readonly clock: () => Date;
  private readonly maxPayloadBytes: number;
  /** Appends run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private appendTip: Tip;
  /** Set when an append's outcome is unknown: the next append re-reads the tip instead of guessing. */
  private appendTipUnknown = false;

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
    this.events$ = this.appended.asObservable() as Observable<EventUnion<M>>;
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
   * Validates `input`, then appends it as the next event; resolves with its sequence once the
   * store has made it durable. Rejected input (LedgerValidationError, LedgerSerializationError)
   * writes nothing. A reserved event type (EventTypeRegistry.reserve, e.g. the framework's
   * `snapshot_created`) is rejected here, naming the type.
   */
  append(input: AppendInputUnion<M>): Promise<number> {
    return this.enqueue(input, undefined);
  }

  /**
   * Appends an event of a reserved type: `capability` must be the one EventTypeRegistry.reserve
   * returned for `input.event_type`, which only the framework that reserved it holds.
   */
  appendReserved<P extends object>(capability: ReservedTypeCapability, input: AppendInput<P>): Promise<number> {
    return this.enqueue(input, capability);
  }

  private enqueue(input: unknown, capability: ReservedTypeCapability | undefined): Promise<number> {
    let prepared: { input: AppendInput; provenanceJson: string; payloadJson: string };
    try {
      prepared = this.prepare(input, capability);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = () => this.write(prepared.input, prepared.provenanceJson, prepared.payloadJson);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Checks input synchronously, at call time, so a caller mutating it later changes nothing. */
  private prepare(raw: unknown, capability: ReservedTypeCapability | undefined): { input: AppendInput; provenanceJson: string; payloadJson: string } {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LedgerValidationError('', 'expected an object with event_type, schema_version, provenance, payload', raw);
    for (const field of LEDGER_OWNED_FIELDS) {
      if (field in raw) throw new LedgerValidationError(field, `is assigned by the ledger; callers must not pass it`, (raw as Record<string, unknown>)[field]);
    }
    for (const field of Object.keys(raw)) {
      if (!APPEND_FIELDS.has(field)) throw new LedgerValidationError(field, 'unknown field (expected event_type, schema_version, provenance, payload)', (raw as Record<string, unknown>)[field]);
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
    const payloadJson = canonicalJson(input.payload, 'payload');
    const bytes = Buffer.byteLength(payloadJson, 'utf8');
    if (bytes > this.maxPayloadBytes) {
      throw new LedgerValidationError('payload', `is ${bytes} bytes as canonical JSON; the limit is ${this.maxPayloadBytes} (LedgerOptions.maxPayloadBytes)`, `<${bytes} bytes>`);
    }
    return { input, provenanceJson: canonicalJson(input.provenance, 'provenance'), payloadJson };
  }

  private async write(input: AppendInput, provenanceJson: string, payloadJson: string): Promise<number> {
    if (this.appendTipUnknown) {
      this.appendTip = await this.store.tip();
      this.appendTipUnknown = false;
    }
    const tip = this.appendTip;
    const sequence = tip.sequence_number + 1;
    const event_id = uuidv7();
    const timestamp = this.clock().toISOString();
    const { hash, line } = buildEventLine({
      event_id,
      sequence,
      event_type: input.event_type,
      schema_version: input.schema_version,
      timestamp,
      provenanceJson,
      previous_hash: tip.hash,
      payloadJson,
    });
    try {
      await this.store.append({
        sequence, hash, line, event_id,
        fields: { event_type: input.event_type, timestamp, actor: input.provenance.actor, framework_id: input.provenance.framework_id },
      });
    } catch (e) {
      // Another writer moved the tip: nothing of ours was written. Re-read the tip so that the
      // caller's next append lands after theirs instead of failing forever.
      if (isLedgerError(e, 'LEDGER_SEQUENCE')) this.appendTip = await this.store.tip();
      // The event may or may not have landed: whichever it was, the store's tip says so.
      if (isLedgerError(e, 'LEDGER_APPEND_UNCERTAIN')) this.appendTipUnknown = true;
      throw e;
    }
    this.appendTip = { sequence_number: sequence, hash };
    // The event is durable whatever happens to the tree (derived data, caught up from the lines
    // by its next append or open), so a tree failure never fails the append.
    await this.merkle?.append(sequence, line).catch(() => undefined);
    // Subscribers get the event as stored (parsed from its line, so no caller object is
    // shared); with none, the hot path skips the parse.
    if (this.appended.observed) this.appended.next(parseEventLine(line));
    return sequence;
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
      async function* lines() {
        for await (const l of store.scanLines(start, to)) yield l.line;
      }
      return await verifyLines(lines(), {
        ...options,
        start,
        previousHash,
        expectTip: last === tip.sequence_number ? tip : undefined,
      }).then((r) =>
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

  /** The newest event's sequence and hash; {-1, GENESIS_HASH} for an empty ledger. */
  async getTip(): Promise<Tip> {
    return this.store.tip();
  }

  /** Waits for pending appends, completes events$, closes the store. */
  async close(): Promise<void> {
    await this.queue;
    this.appended.complete();
    try {
      await this.merkle?.close();
    } finally {
      await this.store.close();
    }
  }
}
