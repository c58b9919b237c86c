// The conformance suite every LedgerStore runs (memory, directory, immudb, and any third-party
// store): the Ledger's observable behaviour over the store, as seed 003 states it. Written with
// node:assert/strict and the runner's own describe/it, so it runs under mocha, node:test or
// vitest with one call and no assertion library.
import assert from 'node:assert/strict';
import { firstValueFrom, take, toArray } from 'rxjs';
import type { TypedAppendInput } from '../contract/event.js';
import { canonicalJson } from '../contract/canonicalJson.js';
import { GENESIS_HASH, sha256 } from '../contract/hash.js';
import {
  LedgerEventIdConflictError, LedgerNotFoundError, LedgerSequenceError, LedgerSerializationError, LedgerStreamConflictError, LedgerValidationError,
  isLedgerError,
} from '../errors/errors.js';
import { Ledger, type LedgerOptions } from '../ledger/ledger.js';
import type { LedgerStore } from '../ledger/ledgerStore.js';
import { registerBatchConformance } from './batchConformance.js';

/** One store for one test, and how to dispose of it. */
export interface StoreUnderTest {
  /** The fresh, empty store the test runs against. */
  readonly store: LedgerStore;
  /**
   * Opens a second store over the same data (a second writer, or a reopen after close).
   * Persistent stores give it; without it the two tests that need it are not registered.
   */
  readonly reopen?: () => Promise<LedgerStore>;
  /** Closes and removes what the test created (files, a database). */
  cleanup(): Promise<void>;
}

/** Called once per test: a fresh, empty store. */
export type StoreFactory = () => Promise<StoreUnderTest>;

type Body = () => Promise<void> | void;

/** The runner's functions (mocha's, node:test's or vitest's globals fit). */
export interface ConformanceOptions {
  /** The runner's `describe` (default: the global one). */
  readonly describe?: (title: string, fn: () => void) => unknown;
  /** The runner's `it` (default: the global one). */
  readonly it?: (title: string, fn: () => Promise<void>) => unknown;
  /** Suite-level hooks, used only for `setup` and `teardown` (node:test and mocha: before/after; vitest: beforeAll/afterAll). */
  readonly before?: (fn: Body) => unknown;
  /** The runner's suite-level teardown hook (`after` or `afterAll`). */
  readonly after?: (fn: Body) => unknown;
  /** Runs once before the suite (start a server, create a database). Needs `before`. */
  readonly setup?: Body;
  /** Runs once after the suite. Needs `after`. */
  readonly teardown?: Body;
  /** Register the second-writer and reopen tests (default: true). A store without `reopen` passes false. */
  readonly persistent?: boolean;
}

const provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' } as const;

const sessionStart = (session_id: string): TypedAppendInput<'session_start', { session_id: string }> => ({
  event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id },
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

type ErrorClass = new (...args: never[]) => Error;

async function rejectsWith(p: Promise<unknown>, type: ErrorClass, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `${what}: expected ${type.name}, got ${String(e)}`);
    return true;
  });
}

function globalFunction<F>(name: string): F {
  const f = (globalThis as Record<string, unknown>)[name];
  if (typeof f !== 'function') {
    throw new LedgerValidationError(name, `no global ${name}(): pass your test runner's ${name} in the options`);
  }
  return f as F;
}

/**
 * Registers the conformance suite for one store. A third-party store proves itself with one call:
 *
 * @example
 * ledgerStoreConformance('PostgresStore', async () => {
 *   const store = await PostgresStore.open(freshDatabase());
 *   return { store, reopen: () => PostgresStore.open(sameDatabase()), cleanup: () => pool.end() };
 * });
 * // node:test: ledgerStoreConformance('X', factory, { describe, it });
 */
export function ledgerStoreConformance(name: string, factory: StoreFactory, options: ConformanceOptions = {}): void {
  const describe = options.describe ?? globalFunction<NonNullable<ConformanceOptions['describe']>>('describe');
  const it = options.it ?? globalFunction<NonNullable<ConformanceOptions['it']>>('it');
  const persistent = options.persistent ?? true;

  /** Each test opens its own store and ledger and always disposes of them, whatever the runner. */
  const test = (title: string, fn: (ledger: Ledger, sut: StoreUnderTest) => Promise<Ledger | void>, ledgerOptions: LedgerOptions = {}): void => {
    it(title, async () => {
      const sut = await factory();
      let ledger: Ledger | undefined;
      try {
        ledger = await Ledger.open(sut.store, ledgerOptions);
        // A test that reopens hands back the ledger it ended with, so that one is closed.
        ledger = (await fn(ledger, sut)) ?? ledger;
      } finally {
        await ledger?.close().catch(() => undefined);
        await sut.cleanup();
      }
    });
  };

  describe(`LedgerStore conformance: ${name}`, () => {
    if (options.setup) (options.before ?? globalFunction<NonNullable<ConformanceOptions['before']>>('before'))(options.setup);
    if (options.teardown) (options.after ?? globalFunction<NonNullable<ConformanceOptions['after']>>('after'))(options.teardown);

    const inStream = (session_id: string, stream_id: string, extra: Record<string, unknown> = {}) => ({ ...sessionStart(session_id), stream_id, ...extra });
    const ended = (stream_id?: string) => ({
      event_type: 'session_end', schema_version: '1.0.0', provenance: { ...provenance, actor: 'operator' as const, framework_id: 'FMWK-002' }, payload: {},
      ...(stream_id === undefined ? {} : { stream_id }),
    });
    const versions = async (it: AsyncIterable<{ stream_version?: number }>) => (await collect(it)).map((e) => e.stream_version);
    const sequences = async (it: AsyncIterable<{ sequence: number }>) => (await collect(it)).map((e) => e.sequence);

    registerBatchConformance(test, persistent);

    test('an empty ledger has tip {-1, genesis hash} and verifies', async (ledger) => {
      assert.deepEqual(await ledger.getTip(), { sequence_number: -1, hash: GENESIS_HASH });
      assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: 0 });
      assert.deepEqual(await collect(ledger.readSince(-1)), []);
    });

    test('the first event is sequence 0 and links to the genesis hash', async (ledger) => {
      assert.equal((await ledger.append(sessionStart('s0'))).sequence, 0);
      const e = await ledger.read(0);
      assert.equal(e.sequence, 0);
      assert.equal(e.previous_hash, GENESIS_HASH);
      assert.match(e.hash, /^sha256:[0-9a-f]{64}$/);
      assert.match(e.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(e.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    test('event N+1 has sequence N+1 and previous_hash = hash of event N; hash is SHA-256 of canonical JSON', async (ledger) => {
      for (let i = 0; i < 6; i++) assert.equal((await ledger.append(sessionStart(`s${i}`))).sequence, i);
      let prev = GENESIS_HASH;
      for (let i = 0; i < 6; i++) {
        const e = await ledger.read(i);
        assert.equal(e.previous_hash, prev, `previous_hash of ${i}`);
        const { hash, ...rest } = e;
        assert.equal(hash, sha256(canonicalJson(rest)), `hash of ${i}`);
        prev = hash;
      }
      assert.deepEqual(await ledger.getTip(), { sequence_number: 5, hash: prev });
    });

    test('concurrent appends in one process are serialised in call order', async (ledger) => {
      const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append(sessionStart(`c${i}`))));
      assert.deepEqual(seqs.map((r) => r.sequence), Array.from({ length: 20 }, (_, i) => i));
      const events = await collect(ledger.readRange(0, 19));
      assert.deepEqual(events.map((e) => e.payload.session_id), Array.from({ length: 20 }, (_, i) => `c${i}`));
      assert.equal((await ledger.verifyChain()).valid, true);
    });

    test('readRange is inclusive, readSince is exclusive, both in order', async (ledger) => {
      for (let i = 0; i < 10; i++) await ledger.append(sessionStart(`s${i}`));
      const seqs = async (it: AsyncIterable<{ sequence: number }>) => (await collect(it)).map((e) => e.sequence);
      assert.deepEqual(await seqs(ledger.readRange(3, 6)), [3, 4, 5, 6]);
      assert.deepEqual(await seqs(ledger.readRange(9, 9)), [9]);
      assert.deepEqual(await seqs(ledger.readSince(6)), [7, 8, 9]);
      assert.deepEqual(await seqs(ledger.readSince(9)), []);
      assert.equal((await collect(ledger.readSince(-1))).length, 10);
    });

    test('reading past the tip or a bad range is a typed error', async (ledger) => {
      await ledger.append(sessionStart('s0'));
      await rejectsWith(ledger.read(1), LedgerNotFoundError, 'read(1)');
      await rejectsWith(collect(ledger.readRange(0, 5)), LedgerNotFoundError, 'readRange(0, 5)');
      await rejectsWith(collect(ledger.readRange(2, 1)), LedgerValidationError, 'readRange(2, 1)');
      await rejectsWith(ledger.read(-1), LedgerValidationError, 'read(-1)');
      await rejectsWith(ledger.read(1.5), LedgerValidationError, 'read(1.5)');
    });

    test('verifyChain over the whole chain and over ranges', async (ledger) => {
      for (let i = 0; i < 8; i++) await ledger.append(sessionStart(`s${i}`));
      assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: 8 });
      assert.deepEqual(await ledger.verifyChain(0, 5), { valid: true, break_at: null, count: 6 });
      assert.deepEqual(await ledger.verifyChain(3, 7), { valid: true, break_at: null, count: 5 });
      assert.deepEqual(await ledger.verifyChain(7), { valid: true, break_at: null, count: 1 });
    });

    test('rejected input writes nothing and leaves the tip unchanged', async (ledger) => {
      await ledger.append(sessionStart('s0'));
      const tip = await ledger.getTip();
      const x = sessionStart('x');
      const bad: Array<[string, unknown, ErrorClass]> = [
        ['float', { ...x, payload: { session_id: 'x', n: 1.5 } }, LedgerSerializationError],
        ['NaN', { ...x, payload: { session_id: 'x', n: Number.NaN } }, LedgerSerializationError],
        ['unsafe integer', { ...x, payload: { session_id: 'x', n: 2 ** 60 } }, LedgerSerializationError],
        ['lone surrogate', { ...x, payload: { session_id: 'x', s: '\ud800' } }, LedgerSerializationError],
        ['Date', { ...x, payload: { session_id: 'x', d: new Date() } }, LedgerSerializationError],
        ['undefined', { ...x, payload: { session_id: 'x', u: undefined } }, LedgerSerializationError],
        ['deep nesting', { ...x, payload: { session_id: 'x', deep: Array.from({ length: 600 }).reduce<unknown>((v) => [v], 0) } }, LedgerSerializationError],
        ['payload type', { ...x, payload: { session_id: 42 } }, LedgerValidationError],
        ['sequence given', { ...x, sequence: 7 }, LedgerValidationError],
        ['hash given', { ...x, hash: GENESIS_HASH }, LedgerValidationError],
        ['previous_hash given', { ...x, previous_hash: GENESIS_HASH }, LedgerValidationError],
        ['unknown type', { ...x, event_type: 'no_such_type' }, LedgerValidationError],
        ['bad actor', { ...x, provenance: { ...provenance, actor: 'robot' } }, LedgerValidationError],
        ['missing fields', { event_type: 'session_start' }, LedgerValidationError],
        ['oversized payload', { ...x, payload: { session_id: 'x', blob: 'z'.repeat(2 * 1024 * 1024) } }, LedgerValidationError],
        ['schema_version type', { ...x, schema_version: 1 }, LedgerValidationError],
        ['payload array', { ...x, payload: ['session_id'] }, LedgerValidationError],
        ['extra field', { ...x, extra: true }, LedgerValidationError],
        ['expected_version without stream_id', { ...x, expected_version: -1 }, LedgerValidationError],
        ['stream_version given', { ...x, stream_id: 'st', stream_version: 0 }, LedgerValidationError],
        ['empty stream_id', { ...x, stream_id: '' }, LedgerValidationError],
        ['expected_version -2', { ...x, stream_id: 'st', expected_version: -2 }, LedgerValidationError],
        ['event_id not a UUID', { ...x, event_id: 'retry-1' }, LedgerValidationError],
        ['metadata array', { ...x, metadata: ['a'] }, LedgerValidationError],
        ['metadata float', { ...x, metadata: { n: 0.5 } }, LedgerSerializationError],
      ];
      for (const [what, input, type] of bad) await rejectsWith(ledger.append(input as never), type, what);
      assert.deepEqual(await ledger.getTip(), tip);
      assert.equal((await collect(ledger.readSince(-1))).length, 1);
      assert.equal((await ledger.append(sessionStart('s1'))).sequence, 1);
    });

    test('events$ emits each appended event once, in order, as stored', async (ledger) => {
      const seen = firstValueFrom(ledger.events$.pipe(take(3), toArray()));
      for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
      const events = await seen;
      assert.deepEqual(events.map((e) => e.sequence), [0, 1, 2]);
      assert.deepEqual(events[2], await ledger.read(2));
    });

    if (persistent) {
      test('a second writer that finds the tip moved gets LedgerSequenceError, writes nothing, then succeeds', async (ledger, sut) => {
        assert.ok(sut.reopen, 'a persistent store gives reopen() (or pass { persistent: false })');
        for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
        const other = await sut.reopen().catch((e: unknown) => e);
        // Stores with a single-writer lock refuse the second writer outright: also no fork.
        if (isLedgerError(other, 'LEDGER_LOCKED')) return;
        if (other instanceof Error) throw other;
        const second = await Ledger.open(other as LedgerStore);
        try {
          await ledger.append(sessionStart('first-writer')); // moves the tip under `second`
          await rejectsWith(second.append(sessionStart('stale')), LedgerSequenceError, 'stale append');
          assert.equal((await second.append(sessionStart('retried'))).sequence, 4);
          assert.equal((await ledger.verifyChain()).valid, true);
          assert.deepEqual((await collect(ledger.readSince(-1))).map((e) => e.payload.session_id), ['s0', 's1', 's2', 'first-writer', 'retried']);
        } finally {
          await second.close();
        }
      });

      test('events survive a reopen with the same tip and a valid chain', async (ledger, sut) => {
        assert.ok(sut.reopen, 'a persistent store gives reopen() (or pass { persistent: false })');
        for (let i = 0; i < 5; i++) await ledger.append(sessionStart(`s${i}`));
        const tip = await ledger.getTip();
        await ledger.close();
        const reopened = await Ledger.open(await sut.reopen());
        assert.deepEqual(await reopened.getTip(), tip);
        assert.deepEqual(await reopened.verifyChain(), { valid: true, break_at: null, count: 5 });
        assert.equal((await reopened.append(sessionStart('s5'))).sequence, 5);
        return reopened;
      });

      test('two ledgers on one store: the store refuses a stale stream version or a held event_id atomically', async (ledger, sut) => {
        assert.ok(sut.reopen, 'a persistent store gives reopen() (or pass { persistent: false })');
        await ledger.append(sessionStart('s0'));
        const other = await sut.reopen().catch((e: unknown) => e);
        if (isLedgerError(other, 'LEDGER_LOCKED')) return; // a single-writer store: no race possible
        if (other instanceof Error) throw other;
        const second = await Ledger.open(other as LedgerStore);
        try {
          // Both check the stream head before either writes; the store lets exactly one win.
          const race = await Promise.allSettled([
            ledger.append(inStream('w1', 'race', { expected_version: -1 })),
            second.append(inStream('w2', 'race', { expected_version: -1 })),
          ]);
          assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(race.map((r) => r.status)));
          for (const r of race) if (r.status === 'rejected') assert.ok(isLedgerError(r.reason, 'LEDGER_STREAM_CONFLICT') || isLedgerError(r.reason, 'LEDGER_SEQUENCE'), String(r.reason));
          assert.deepEqual(await versions(ledger.readStream('race')), [0]);
          // The same event id from both: one writes, the other (same content) gets the original result.
          const event_id = '01890a5d-ac96-774b-bcce-b302099a8059';
          const input = inStream('idem', 'idem', { event_id });
          const first = await ledger.append(input);
          assert.deepEqual(await second.append(input), first);
          assert.equal((await collect(ledger.query({ stream_id_prefix: 'idem' }))).length, 1);
          assert.equal((await ledger.verifyChain(0, 0)).valid, true);
        } finally {
          await second.close();
        }
      });
    }

    // ---- streams, idempotency, index-served reads (issue 13) --------------------------------

    test('stream versions run 0, 1, 2 per stream on the one global chain; append resolves with the AppendResult', async (ledger) => {
      const results = [];
      for (const [id, stream] of [['a0', 'cart-a'], ['b0', 'cart-b'], ['a1', 'cart-a'], ['x', undefined], ['a2', 'cart-a']] as const) {
        results.push(await ledger.append(stream === undefined ? sessionStart(id) : inStream(id, stream)));
      }
      assert.deepEqual(results.map((r) => [r.sequence, r.stream_id, r.stream_version]), [[0, 'cart-a', 0], [1, 'cart-b', 0], [2, 'cart-a', 1], [3, undefined, undefined], [4, 'cart-a', 2]]);
      assert.ok(!('stream_id' in results[3]!) && !('stream_version' in results[3]!), 'no stream fields on a plain event');
      for (const r of results) {
        const e = await ledger.read(r.sequence);
        assert.deepEqual([e.hash, e.event_id, e.stream_id, e.stream_version], [r.hash, r.event_id, r.stream_id, r.stream_version]);
      }
      assert.deepEqual(await ledger.streamHead('cart-a'), { stream_id: 'cart-a', version: 2, sequence: 4, hash: results[4]!.hash });
      assert.equal(await ledger.streamHead('cart-none'), undefined);
      // The stream fields are hashed like every other field (canonical JSON without hash).
      for await (const e of ledger.readRange(0, 4)) {
        const { hash, ...rest } = e;
        assert.equal(hash, sha256(canonicalJson(rest)), `hash of ${e.sequence}`);
      }
    });

    test('expected_version: met, it appends; -1 on an existing stream or a wrong N is LedgerStreamConflictError naming both versions, writing nothing', async (ledger) => {
      assert.equal((await ledger.append(inStream('a0', 'acct', { expected_version: -1 }))).stream_version, 0);
      assert.equal((await ledger.append(inStream('a1', 'acct', { expected_version: 0 }))).stream_version, 1);
      const tip = await ledger.getTip();
      for (const expected of [-1, 0, 2, 7]) {
        await assert.rejects(ledger.append(inStream('bad', 'acct', { expected_version: expected })), (e: unknown) => {
          assert.ok(e instanceof LedgerStreamConflictError, String(e));
          assert.deepEqual([e.stream_id, e.expected, e.actual], ['acct', expected, 1]);
          return true;
        });
      }
      await rejectsWith(ledger.append(inStream('bad', 'fresh', { expected_version: 0 })), LedgerStreamConflictError, 'expected 0 on no stream');
      assert.deepEqual(await ledger.getTip(), tip);
      assert.equal(await ledger.streamHead('fresh'), undefined);
      // Racing writers in one process: exactly one of two appends expecting version 1 wins.
      const race = await Promise.allSettled([ledger.append(inStream('r1', 'acct', { expected_version: 1 })), ledger.append(inStream('r2', 'acct', { expected_version: 1 }))]);
      assert.deepEqual(race.map((r) => r.status), ['fulfilled', 'rejected']);
      assert.deepEqual(await versions(ledger.readStream('acct')), [0, 1, 2]);
    });

    test('an event_id appended again with the same content writes nothing and resolves with the original result', async (ledger) => {
      const event_id = '01890a5d-ac96-774b-bcce-b302099a8057';
      const input = inStream('once', 'orders', { event_id, metadata: { correlation_id: 'c-1', causation_id: 'x' } });
      const first = await ledger.append(input);
      await ledger.append(sessionStart('other'));
      const again = await ledger.append({ ...input, metadata: { causation_id: 'x', correlation_id: 'c-1' } }); // key order is not content
      assert.deepEqual(again, first);
      // A retry that still carries the expected version it was first sent with is the same retry.
      assert.deepEqual(await ledger.append({ ...input, expected_version: -1 }), first);
      const concurrent = await Promise.all([ledger.append({ ...input, event_id: '01890a5d-ac96-774b-bcce-b302099a8058' }), ledger.append({ ...input, event_id: '01890a5d-ac96-774b-bcce-b302099a8058' })]);
      assert.deepEqual(concurrent[0], concurrent[1]);
      assert.equal((await ledger.getTip()).sequence_number, 2);
      assert.deepEqual((await ledger.getByEventId(event_id))?.metadata, { causation_id: 'x', correlation_id: 'c-1' });
    });

    test('the same event_id with other content is LedgerEventIdConflictError naming the fields that differ, writing nothing', async (ledger) => {
      const event_id = '01890a5d-ac96-774b-bcce-b302099a8057';
      const input = inStream('once', 'orders', { event_id });
      await ledger.append(input);
      const tip = await ledger.getTip();
      const variants: Array<[string, unknown]> = [
        ['payload', { ...input, payload: { session_id: 'twice' } }],
        ['stream_id', { ...input, stream_id: 'other' }],
        ['stream_id', sessionStart('once') && { ...sessionStart('once'), event_id }],
        ['metadata', { ...input, metadata: { correlation_id: 'c' } }],
        ['provenance', { ...input, provenance: { ...provenance, actor: 'agent' } }],
        ['event_type', { ...ended('orders'), event_id }],
      ];
      for (const [field, variant] of variants) {
        await assert.rejects(ledger.append(variant as never), (e: unknown) => {
          assert.ok(e instanceof LedgerEventIdConflictError, `${field}: ${String(e)}`);
          assert.equal(e.sequence, 0);
          assert.match(e.message, new RegExp(field));
          return true;
        });
      }
      assert.deepEqual(await ledger.getTip(), tip);
    });

    test('readStream: versions from..to, forward and backward, limits; aggregateStream folds one stream', async (ledger) => {
      for (let i = 0; i < 6; i++) {
        await ledger.append(inStream(`a${i}`, 'a'));
        if (i % 2 === 0) await ledger.append(inStream(`b${i}`, 'b'));
      }
      assert.deepEqual(await versions(ledger.readStream('a')), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(await versions(ledger.readStream('a', { from: 2, to: 4 })), [2, 3, 4]);
      assert.deepEqual(await versions(ledger.readStream('a', { direction: 'backward' })), [5, 4, 3, 2, 1, 0]);
      assert.deepEqual(await versions(ledger.readStream('a', { direction: 'backward', from: 4, to: 1, limit: 2 })), [4, 3]);
      assert.deepEqual(await versions(ledger.readStream('a', { from: 3, limit: 2 })), [3, 4]);
      assert.deepEqual(await versions(ledger.readStream('a', { from: 9 })), []);
      assert.deepEqual(await versions(ledger.readStream('a', { limit: 0 })), []);
      assert.deepEqual((await collect(ledger.readStream('b'))).map((e) => e.payload.session_id), ['b0', 'b2', 'b4']);
      assert.deepEqual(await versions(ledger.readStream('nope')), []);
      const agg = await ledger.aggregateStream('b', { initialState: () => [] as string[], evolve: (s, e) => [...s, String(e.payload.session_id)] });
      assert.deepEqual(agg, { state: ['b0', 'b2', 'b4'], currentStreamVersion: 2, streamExists: true });
      assert.deepEqual(await ledger.aggregateStream('nope', { initialState: () => 0, evolve: (n) => n + 1 }), { state: 0, currentStreamVersion: -1, streamExists: false });
    });

    test('getByHash and getByEventId return the event, checked; undefined when the ledger holds none', async (ledger) => {
      const a = await ledger.append(sessionStart('a'));
      const b = await ledger.append(inStream('b', 's'));
      assert.deepEqual(await ledger.getByHash(b.hash), await ledger.read(1));
      assert.deepEqual(await ledger.getByHash(a.hash), await ledger.read(0));
      assert.deepEqual(await ledger.getByEventId(a.event_id), await ledger.read(0));
      assert.equal(await ledger.getByHash(GENESIS_HASH), undefined);
      assert.equal(await ledger.getByEventId('01890a5d-ac96-774b-bcce-b302099a8057'), undefined);
    });

    let now = Date.parse('2026-03-01T00:00:00.000Z');
    const steppingClock = () => new Date((now += 1000));
    test('query: by type, actor, framework, stream prefix and time range, both directions, with limits', async (ledger) => {
      now = Date.parse('2026-03-01T00:00:00.000Z');
      for (let i = 0; i < 12; i++) await ledger.append(i % 3 === 0 ? ended(i % 2 ? `order-${i}` : undefined) : inStream(`s${i}`, i % 2 ? `order-${i}` : `user-${i}`));
      // Timestamps are 00:00:01, 00:00:02, ... for sequences 0, 1, ...
      const at = (s: number) => new Date(Date.parse('2026-03-01T00:00:00.000Z') + (s + 1) * 1000).toISOString();
      assert.deepEqual(await sequences(ledger.query({ event_type: 'session_end' })), [0, 3, 6, 9]);
      assert.deepEqual(await sequences(ledger.query({ actor: 'operator' })), [0, 3, 6, 9]);
      assert.deepEqual(await sequences(ledger.query({ framework_id: 'FMWK-001' })), [1, 2, 4, 5, 7, 8, 10, 11]);
      assert.deepEqual(await sequences(ledger.query({ stream_id_prefix: 'order-' })), [1, 3, 5, 7, 9, 11]);
      assert.deepEqual(await sequences(ledger.query({ stream_id_prefix: 'order-', event_type: 'session_start' })), [1, 5, 7, 11]);
      assert.deepEqual(await sequences(ledger.query({ since: at(4), until: at(7) })), [4, 5, 6, 7]);
      assert.deepEqual(await sequences(ledger.query({ since: at(4), until: at(4) })), [4]);
      assert.deepEqual(await sequences(ledger.query({ event_type: 'session_start', since: at(3), direction: 'backward', limit: 3 })), [11, 10, 8]);
      assert.deepEqual(await sequences(ledger.query({ direction: 'backward', limit: 2 })), [11, 10]);
      assert.deepEqual(await sequences(ledger.query({ limit: 3 })), [0, 1, 2]);
      assert.deepEqual(await sequences(ledger.query({ event_type: 'node_creation' })), []);
      assert.deepEqual(await sequences(ledger.query({ since: at(20) })), []);
      assert.equal((await collect(ledger.query())).length, 12);
    }, { clock: steppingClock });

    test('timestamps never go backwards: a clock set back is clamped to the previous timestamp', async (ledger) => {
      const times = ['2026-05-01T10:00:00.000Z', '2026-05-01T09:00:00.000Z', '2026-05-01T10:00:00.500Z', '2026-04-01T00:00:00.000Z'];
      const stamps: string[] = [];
      for (let i = 0; i < times.length; i++) {
        now = Date.parse(times[i]!) - 1000; // the stepping clock adds 1 s
        stamps.push((await ledger.read((await ledger.append(sessionStart(`t${i}`))).sequence)).timestamp);
      }
      assert.deepEqual(stamps, [times[0], times[0], times[2], times[2]]);
      assert.deepEqual(await sequences(ledger.query({ since: times[0], until: times[0] })), [0, 1]);
    }, { clock: steppingClock });

    test('readBackward: the whole ledger newest first, from a sequence, with a limit', async (ledger) => {
      for (let i = 0; i < 7; i++) await ledger.append(sessionStart(`s${i}`));
      assert.deepEqual(await sequences(ledger.readBackward()), [6, 5, 4, 3, 2, 1, 0]);
      assert.deepEqual(await sequences(ledger.readBackward({ from: 4 })), [4, 3, 2, 1, 0]);
      assert.deepEqual(await sequences(ledger.readBackward({ from: 5, limit: 2 })), [5, 4]);
      assert.deepEqual(await sequences(ledger.readBackward({ limit: 10 })), [6, 5, 4, 3, 2, 1, 0]);
      assert.deepEqual(await sequences(ledger.readBackward({ limit: 0 })), []);
      await rejectsWith(collect(ledger.readBackward({ from: 7 })), LedgerNotFoundError, 'readBackward past the tip');
    });

    test('reads and queries with a bad argument are LedgerValidationError naming it', async (ledger) => {
      await ledger.append(inStream('a', 's'));
      const bad: Array<[string, () => Promise<unknown>]> = [
        ['stream_id', () => collect(ledger.readStream(''))],
        ['from', () => collect(ledger.readStream('s', { from: -1 }))],
        ['limit', () => collect(ledger.readStream('s', { limit: 1.5 }))],
        ['direction', () => collect(ledger.readStream('s', { direction: 'sideways' as never }))],
        ['hash', () => ledger.getByHash('sha256:XYZ')],
        ['event_id', () => ledger.getByEventId('not-a-uuid')],
        ['event_type', () => collect(ledger.query({ event_type: 'Bad Type' }))],
        ['actor', () => collect(ledger.query({ actor: 'robot' as never }))],
        ['since', () => collect(ledger.query({ since: 'yesterday' }))],
        ['until', () => collect(ledger.query({ since: '2026-02-01T00:00:00.000Z', until: '2026-01-01T00:00:00.000Z' }))],
        ['limit', () => collect(ledger.query({ limit: -1 }))],
        ['framework', () => collect(ledger.query({ framework: 'F' } as never))],
        ['limit', () => collect(ledger.readBackward({ limit: -2 }))],
      ];
      for (const [field, call] of bad) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(e instanceof LedgerValidationError, `${field}: ${String(e)}`);
          assert.equal(e.path, field);
          return true;
        });
      }
    });

    test('the index rebuilt from the lines gives the same answers', async (ledger) => {
      for (let i = 0; i < 9; i++) await ledger.append(i % 3 ? inStream(`s${i}`, `st-${i % 2}`, { metadata: { i } }) : ended());
      const answers = async () => [
        await ledger.streamHead('st-0'), await ledger.streamHead('st-1'),
        await sequences(ledger.readStream('st-1', { direction: 'backward' })),
        await sequences(ledger.query({ event_type: 'session_end' })),
        await sequences(ledger.query({ stream_id_prefix: 'st-', direction: 'backward', limit: 4 })),
        (await ledger.getByHash((await ledger.read(5)).hash))?.sequence,
        (await ledger.getByEventId((await ledger.read(7)).event_id))?.sequence,
      ];
      const before = await answers();
      assert.equal(await ledger.store.index.rebuild(), 9);
      assert.deepEqual(await answers(), before);
      assert.equal((await ledger.append(inStream('next', 'st-0', { expected_version: (before[0] as { version: number }).version }))).sequence, 9);
    });

    test('keeps payloads byte for byte: unicode, nested objects, nulls, big safe integers', async (ledger) => {
      const payload = { session_id: 'ü', nested: { z: null, a: [1, -2, Number.MAX_SAFE_INTEGER], '😀': '\u2028\u0000"' }, '\ue000': 'pua' };
      await ledger.append({ ...sessionStart('u'), payload });
      assert.deepEqual((await ledger.read(0)).payload, payload);
      assert.equal((await ledger.verifyChain()).valid, true);
    });

    test('streams a few thousand events in order', async (ledger) => {
      for (let i = 0; i < 2500; i++) await ledger.append(sessionStart(`s${i}`));
      let n = 0;
      for await (const e of ledger.readSince(-1)) assert.equal(e.sequence, n++);
      assert.equal(n, 2500);
      assert.equal((await ledger.verifyChain()).count, 2500);
    });
  });
}
