// The one conformance suite every LedgerStore runs (memory, directory, immudb): the Ledger's
// observable behaviour over the store, as seed 003 states it.
import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  GENESIS_HASH, Ledger, LedgerCorruptionError, LedgerNotFoundError, LedgerSequenceError, LedgerSerializationError,
  LedgerValidationError, canonicalJson, sha256, type LedgerStore,
} from '../../src/index.js';
import { sessionStart, provenance } from '../support/fixtures.js';

export interface StoreUnderTest {
  readonly store: LedgerStore;
  /** Opens a second store over the same data (a second writer, or a reopen after close); persistent stores only. */
  readonly reopen?: () => Promise<LedgerStore>;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function ledgerStoreContract(name: string, factory: StoreFactory, { persistent = true } = {}): void {
  describe(`LedgerStore contract: ${name}`, function () {
    let sut: StoreUnderTest;
    let ledger: Ledger;

    beforeEach(async () => {
      sut = await factory();
      ledger = await Ledger.open(sut.store);
    });
    afterEach(async () => {
      await ledger.close().catch(() => undefined);
      await sut.cleanup();
    });

    it('an empty ledger has tip {-1, genesis hash} and verifies', async () => {
      expect(await ledger.getTip()).to.deep.equal({ sequence_number: -1, hash: GENESIS_HASH });
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 0 });
      expect(await collect(ledger.readSince(-1))).to.deep.equal([]);
    });

    it('the first event is sequence 0 and links to the genesis hash', async () => {
      expect(await ledger.append(sessionStart('s0'))).to.equal(0);
      const e = await ledger.read(0);
      expect(e.sequence).to.equal(0);
      expect(e.previous_hash).to.equal(GENESIS_HASH);
      expect(e.hash).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(e.event_id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.timestamp).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it('event N+1 has sequence N+1 and previous_hash = hash of event N; hash is SHA-256 of canonical JSON', async () => {
      for (let i = 0; i < 6; i++) expect(await ledger.append(sessionStart(`s${i}`))).to.equal(i);
      let prev = GENESIS_HASH;
      for (let i = 0; i < 6; i++) {
        const e = await ledger.read(i);
        expect(e.previous_hash).to.equal(prev);
        const { hash, ...rest } = e;
        expect(hash).to.equal(sha256(canonicalJson(rest)));
        prev = hash;
      }
      expect(await ledger.getTip()).to.deep.equal({ sequence_number: 5, hash: prev });
    });

    it('concurrent appends in one process are serialised in call order', async () => {
      const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append(sessionStart(`c${i}`))));
      expect(seqs).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
      const events = await collect(ledger.readRange(0, 19));
      expect(events.map((e) => e.payload.session_id)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `c${i}`));
      expect((await ledger.verifyChain()).valid).to.equal(true);
    });

    it('readRange is inclusive, readSince is exclusive, both in order', async () => {
      for (let i = 0; i < 10; i++) await ledger.append(sessionStart(`s${i}`));
      expect((await collect(ledger.readRange(3, 6))).map((e) => e.sequence)).to.deep.equal([3, 4, 5, 6]);
      expect((await collect(ledger.readRange(9, 9))).map((e) => e.sequence)).to.deep.equal([9]);
      expect((await collect(ledger.readSince(6))).map((e) => e.sequence)).to.deep.equal([7, 8, 9]);
      expect((await collect(ledger.readSince(9))).map((e) => e.sequence)).to.deep.equal([]);
      expect((await collect(ledger.readSince(-1))).length).to.equal(10);
    });

    it('reading past the tip or a bad range is a typed error', async () => {
      await ledger.append(sessionStart('s0'));
      await expectReject(ledger.read(1), LedgerNotFoundError);
      await expectReject(collect(ledger.readRange(0, 5)), LedgerNotFoundError);
      await expectReject(collect(ledger.readRange(2, 1)), LedgerValidationError);
      await expectReject(ledger.read(-1), LedgerValidationError);
      await expectReject(ledger.read(1.5), LedgerValidationError);
    });

    it('verifyChain over the whole chain and over ranges', async () => {
      for (let i = 0; i < 8; i++) await ledger.append(sessionStart(`s${i}`));
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 8 });
      expect(await ledger.verifyChain(0, 5)).to.deep.equal({ valid: true, break_at: null, count: 6 });
      expect(await ledger.verifyChain(3, 7)).to.deep.equal({ valid: true, break_at: null, count: 5 });
      expect(await ledger.verifyChain(7)).to.deep.equal({ valid: true, break_at: null, count: 1 });
    });

    it('rejected input writes nothing and leaves the tip unchanged', async () => {
      await ledger.append(sessionStart('s0'));
      const tip = await ledger.getTip();
      const bad: Array<[unknown, new (...a: never[]) => Error]> = [
        [{ ...sessionStart('x'), payload: { session_id: 'x', n: 1.5 } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', n: Number.NaN } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', n: 2 ** 60 } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', s: '\ud800' } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', d: new Date() } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', u: undefined } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', deep: Array.from({ length: 600 }).reduce<unknown>((v) => [v], 0) } }, LedgerSerializationError],
        [{ ...sessionStart('x'), payload: { session_id: 42 } }, LedgerValidationError],
        [{ ...sessionStart('x'), sequence: 7 }, LedgerValidationError],
        [{ ...sessionStart('x'), hash: GENESIS_HASH }, LedgerValidationError],
        [{ ...sessionStart('x'), previous_hash: GENESIS_HASH }, LedgerValidationError],
        [{ ...sessionStart('x'), event_type: 'no_such_type' }, LedgerValidationError],
        [{ ...sessionStart('x'), provenance: { ...provenance, actor: 'robot' } }, LedgerValidationError],
        [{ event_type: 'session_start' }, LedgerValidationError],
        [{ ...sessionStart('x'), payload: { session_id: 'x', blob: 'z'.repeat(2 * 1024 * 1024) } }, LedgerValidationError],
        [{ ...sessionStart('x'), schema_version: 1 }, LedgerValidationError],
        [{ ...sessionStart('x'), payload: ['session_id'] }, LedgerValidationError],
        [{ ...sessionStart('x'), extra: true }, LedgerValidationError],
      ];
      for (const [input, type] of bad) await expectReject(ledger.append(input as never), type);
      expect(await ledger.getTip()).to.deep.equal(tip);
      expect((await collect(ledger.readSince(-1))).length).to.equal(1);
      expect(await ledger.append(sessionStart('s1'))).to.equal(1);
    });

    it('events$ emits each appended event once, in order, as stored', async () => {
      const seen = firstValueFrom(ledger.events$.pipe(take(3), toArray()));
      for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
      const events = await seen;
      expect(events.map((e) => e.sequence)).to.deep.equal([0, 1, 2]);
      expect(events[2]).to.deep.equal(await ledger.read(2));
    });

    // Stores without a reopen (memory) cannot have a second writer or survive a reopen.
    const persistentIt = (title: string, fn: () => Promise<void>) => (persistent ? it(title, fn) : undefined);

    persistentIt('a second writer that finds the tip moved gets LedgerSequenceError, writes nothing, then succeeds', async () => {
      for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
      const other = await sut.reopen!().catch((e: unknown) => e);
      if (other instanceof Error) {
        // Stores with a single-writer lock refuse the second writer outright: also no fork.
        expect(other.name).to.equal('LedgerLockedError');
        return;
      }
      const second = await Ledger.open(other as LedgerStore);
      await ledger.append(sessionStart('first-writer')); // moves the tip under `second`
      await expectReject(second.append(sessionStart('stale')), LedgerSequenceError);
      expect(await second.append(sessionStart('retried'))).to.equal(4);
      expect((await ledger.verifyChain()).valid).to.equal(true);
      expect((await collect(ledger.readSince(-1))).map((e) => e.payload.session_id)).to.deep.equal(['s0', 's1', 's2', 'first-writer', 'retried']);
      await second.close();
    });

    persistentIt('events survive a reopen with the same tip and a valid chain', async () => {
      for (let i = 0; i < 5; i++) await ledger.append(sessionStart(`s${i}`));
      const tip = await ledger.getTip();
      await ledger.close();
      ledger = await Ledger.open(await sut.reopen!());
      expect(await ledger.getTip()).to.deep.equal(tip);
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 5 });
      expect(await ledger.append(sessionStart('s5'))).to.equal(5);
    });

    it('keeps payloads byte for byte: unicode, nested objects, nulls, big safe integers', async () => {
      const payload = { session_id: 'ü', nested: { z: null, a: [1, -2, Number.MAX_SAFE_INTEGER], '😀': '\u2028\u0000"' }, '\ue000': 'pua' };
      await ledger.append({ ...sessionStart('u'), payload });
      expect((await ledger.read(0)).payload).to.deep.equal(payload);
      expect((await ledger.verifyChain()).valid).to.equal(true);
    });

    it('streams a few thousand events in order', async () => {
      for (let i = 0; i < 2500; i++) await ledger.append(sessionStart(`s${i}`));
      let n = 0;
      for await (const e of ledger.readSince(-1)) expect(e.sequence).to.equal(n++);
      expect(n).to.equal(2500);
      expect((await ledger.verifyChain()).count).to.equal(2500);
    });
  });
}

export async function expectReject(p: Promise<unknown>, type: new (...a: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(type);
    return e as Error;
  }
  expect.fail(`expected ${type.name}`);
}

export { LedgerCorruptionError };
