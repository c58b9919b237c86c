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
  LedgerNotFoundError, LedgerSequenceError, LedgerSerializationError, LedgerValidationError, isLedgerError,
} from '../errors/errors.js';
import { Ledger } from '../ledger/ledger.js';
import type { LedgerStore } from '../ledger/ledgerStore.js';

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
  const test = (title: string, fn: (ledger: Ledger, sut: StoreUnderTest) => Promise<Ledger | void>): void => {
    it(title, async () => {
      const sut = await factory();
      let ledger: Ledger | undefined;
      try {
        ledger = await Ledger.open(sut.store);
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

    test('an empty ledger has tip {-1, genesis hash} and verifies', async (ledger) => {
      assert.deepEqual(await ledger.getTip(), { sequence_number: -1, hash: GENESIS_HASH });
      assert.deepEqual(await ledger.verifyChain(), { valid: true, break_at: null, count: 0 });
      assert.deepEqual(await collect(ledger.readSince(-1)), []);
    });

    test('the first event is sequence 0 and links to the genesis hash', async (ledger) => {
      assert.equal(await ledger.append(sessionStart('s0')), 0);
      const e = await ledger.read(0);
      assert.equal(e.sequence, 0);
      assert.equal(e.previous_hash, GENESIS_HASH);
      assert.match(e.hash, /^sha256:[0-9a-f]{64}$/);
      assert.match(e.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(e.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    test('event N+1 has sequence N+1 and previous_hash = hash of event N; hash is SHA-256 of canonical JSON', async (ledger) => {
      for (let i = 0; i < 6; i++) assert.equal(await ledger.append(sessionStart(`s${i}`)), i);
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
      assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i));
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
      ];
      for (const [what, input, type] of bad) await rejectsWith(ledger.append(input as never), type, what);
      assert.deepEqual(await ledger.getTip(), tip);
      assert.equal((await collect(ledger.readSince(-1))).length, 1);
      assert.equal(await ledger.append(sessionStart('s1')), 1);
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
          assert.equal(await second.append(sessionStart('retried')), 4);
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
        assert.equal(await reopened.append(sessionStart('s5')), 5);
        return reopened;
      });
    }

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
