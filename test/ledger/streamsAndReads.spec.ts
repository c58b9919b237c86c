// Issue 13 at the Ledger, against stores and indexes that lie or race: every event an index
// names is checked before it is returned, a lost race on an event id or a stream version is
// resolved or refused, and timestamps never go backwards across writers and reopens.
import { expect } from 'chai';
import { canonicalJson } from '../../src/contract/canonicalJson.js';
import { sha256 } from '../../src/contract/hash.js';
import {
  Ledger, LedgerCorruptionError, LedgerEventIdConflictError, LedgerSequenceError, LedgerSerializationError, LedgerStreamConflictError,
  MemoryStore, type LedgerIndex,
} from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { rejection } from '../support/rejection.js';

/** A memory store whose index calls can be replaced one by one (the fault under test). */
class PatchedStore extends MemoryStore {
  patch: Partial<LedgerIndex> = {};
  override get index(): LedgerIndex {
    const real = super.index;
    const p = this.patch;
    return {
      streamHead: (id) => (p.streamHead ?? real.streamHead.bind(real))(id),
      streamEntries: (id, r) => (p.streamEntries ?? real.streamEntries.bind(real))(id, r),
      byEventId: (id) => (p.byEventId ?? real.byEventId.bind(real))(id),
      byHash: (h) => (p.byHash ?? real.byHash.bind(real))(h),
      query: (q) => (p.query ?? real.query.bind(real))(q),
      rebuild: () => real.rebuild(),
    };
  }
  /** Rewrites the stored line of `sequence` (an attacker with write access to the data). */
  rewrite(sequence: number, change: (event: Record<string, unknown>) => void, rehash: boolean): void {
    const lines = (this as unknown as { lines: string[] }).lines;
    const event = JSON.parse(lines[sequence]!) as Record<string, unknown>;
    change(event);
    if (rehash) {
      const { hash: _h, ...rest } = event;
      event.hash = sha256(canonicalJson(rest));
    }
    lines[sequence] = canonicalJson(event);
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const inStream = (id: string, stream_id: string, extra: object = {}) => ({ ...sessionStart(id), stream_id, ...extra });
const ID = '01890a5d-ac96-774b-bcce-b302099a8057';

async function seeded(): Promise<{ store: PatchedStore; ledger: Ledger }> {
  const store = new PatchedStore();
  const ledger = await Ledger.open(store);
  for (let i = 0; i < 4; i++) await ledger.append(inStream(`s${i}`, 'st'));
  return { store, ledger };
}

const corruptAt = async (p: Promise<unknown>, sequence: number, message: RegExp) => {
  const e = await rejection(p);
  expect(e, String(e)).to.be.instanceOf(LedgerCorruptionError);
  expect((e as LedgerCorruptionError).sequence).to.equal(sequence);
  expect((e as Error).message).to.match(message);
};

describe('Ledger reads by index: indexes are never trusted', () => {
  it('a stored line whose payload was changed (hash kept) is LedgerCorruptionError at its sequence, from every read', async () => {
    const { store, ledger } = await seeded();
    const hash = (await ledger.read(2)).hash;
    store.rewrite(2, (e) => ((e.payload as Record<string, unknown>).session_id = 'forged'), false);
    await corruptAt(collect(ledger.readStream('st')), 2, /does not match the content's hash/);
    await corruptAt(ledger.getByHash(hash), 2, /does not match the content's hash/);
    await corruptAt(collect(ledger.query({ stream_id_prefix: 's' })), 2, /does not match/);
    await corruptAt(collect(ledger.readBackward()), 2, /does not match the content's hash/);
  });

  it('a consistent forgery (line re-hashed) differs from the hash the index holds, and breaks the backward link', async () => {
    const { store, ledger } = await seeded();
    store.rewrite(1, (e) => ((e.payload as Record<string, unknown>).session_id = 'forged'), true);
    await corruptAt(collect(ledger.readStream('st')), 1, /the index holds hash/);
    const forged = JSON.parse((await ledger.readLine(1))) as { event_id: string };
    await corruptAt(ledger.getByEventId(forged.event_id), 1, /the index holds hash/);
    await corruptAt(collect(ledger.readBackward()), 1, /is not the next event's previous_hash/);
  });

  it('an index that moves an event to another stream, skips a version, or names a non-matching event is caught', async () => {
    const { store, ledger } = await seeded();
    await ledger.append(sessionStart('plain'));
    // Skips version 1: a lost index entry.
    store.patch.streamEntries = async function* () {
      yield { sequence: 0, hash: (await ledger.read(0)).hash, stream_version: 0 };
      yield { sequence: 2, hash: (await ledger.read(2)).hash, stream_version: 2 };
    };
    await corruptAt(collect(ledger.readStream('st')), 2, /gives version 2 after 0/);
    // Names the plain event (sequence 4) as version 4 of the stream.
    store.patch.streamEntries = async function* () {
      yield { sequence: 4, hash: (await ledger.read(4)).hash, stream_version: 0 };
    };
    await corruptAt(collect(ledger.readStream('st')), 4, /does not match/);
    // A query answer that does not satisfy the filter, then one out of order.
    store.patch.query = async function* () {
      yield { sequence: 4, hash: (await ledger.read(4)).hash };
    };
    await corruptAt(collect(ledger.query({ stream_id_prefix: 'st' })), 4, /does not match/);
    store.patch.query = async function* () {
      yield { sequence: 3, hash: (await ledger.read(3)).hash };
      yield { sequence: 1, hash: (await ledger.read(1)).hash };
    };
    await corruptAt(collect(ledger.query({ stream_id_prefix: 'st' })), 1, /gives sequence 1 after 3/);
    // A head whose hash is not the event's.
    store.patch.streamHead = async (id) => ({ stream_id: id, version: 3, sequence: 3, hash: (await ledger.read(2)).hash });
    await corruptAt(ledger.streamHead('st'), 3, /the index holds hash/);
  });
});

describe('Ledger appends that lose a race (another writer, a stale index)', () => {
  it('an event_id another writer stored after our lookup: same content resolves with the original, other content is refused', async () => {
    const store = new PatchedStore();
    const ledger = await Ledger.open(store);
    const first = await ledger.append(inStream('once', 'st', { event_id: ID }));
    // The index answers "not held" once, as a lookup made just before another process wrote it.
    const stale = () => {
      store.patch.byEventId = async () => {
        store.patch.byEventId = undefined;
        return undefined;
      };
    };
    stale();
    store.patch.streamHead = async () => undefined; // and the stream looks new: the store's own check must refuse
    const again = await ledger.append(inStream('once', 'st', { event_id: ID }));
    expect(again).to.deep.equal(first);
    stale();
    const e = await rejection(ledger.append(inStream('changed', 'st', { event_id: ID })));
    expect(e).to.be.instanceOf(LedgerEventIdConflictError);
    expect((e as Error).message).to.match(/payload differ/);
    expect((await ledger.getTip()).sequence_number).to.equal(0);
  });

  it('a stream version another writer took after our head lookup, with no expected_version: the append is retried on a fresh head (issue 21)', async () => {
    const store = new PatchedStore();
    const ledger = await Ledger.open(store);
    await ledger.append(inStream('a', 'st'));
    store.patch.streamHead = async () => {
      store.patch.streamHead = undefined;
      return undefined; // stale: the stream's first event is not seen yet
    };
    expect((await ledger.append(inStream('b', 'st'))).stream_version).to.equal(1);
  });

  it('a head that stays stale past the retries is reported truthfully: no expected version was given; nothing is written', async () => {
    const store = new PatchedStore();
    const ledger = await Ledger.open(store);
    await ledger.append(inStream('a', 'st'));
    store.patch.streamHead = async () => undefined; // always stale
    const e = await rejection(ledger.append(inStream('b', 'st')));
    expect(e).to.be.instanceOf(LedgerStreamConflictError);
    expect([(e as LedgerStreamConflictError).expected, (e as LedgerStreamConflictError).actual]).to.deep.equal([undefined, 0]);
    expect((e as Error).message).to.match(/no expected version was given/).and.not.match(/expected version -1/);
    expect((await ledger.getTip()).sequence_number).to.equal(0);
    store.patch.streamHead = undefined;
    expect((await ledger.append(inStream('b', 'st'))).stream_version).to.equal(1);
  });

  it("with an expected_version, a version another writer took is the store's LedgerStreamConflictError at once (no retry)", async () => {
    const store = new PatchedStore();
    const ledger = await Ledger.open(store);
    await ledger.append(inStream('a', 'st'));
    store.patch.streamHead = async () => {
      store.patch.streamHead = undefined;
      return undefined;
    };
    const e = await rejection(ledger.append(inStream('b', 'st', { expected_version: -1 })));
    expect(e).to.be.instanceOf(LedgerStreamConflictError);
    expect([(e as LedgerStreamConflictError).expected, (e as LedgerStreamConflictError).actual]).to.deep.equal([-1, 0]);
    expect((await ledger.getTip()).sequence_number).to.equal(0);
  });

  it('a stream_id with a lone surrogate is refused at call time, naming it; nothing is written', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    const e = await rejection(ledger.append(inStream('x', 'bad-\ud800')));
    expect(e).to.be.instanceOf(LedgerSerializationError);
    expect((e as LedgerSerializationError).path).to.equal('stream_id');
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
  });
});

describe('Ledger timestamps never go backwards', () => {
  const at = (iso: string) => () => new Date(iso);

  it('across a reopen: a ledger whose clock is behind the tip stamps the tip time', async () => {
    const store = new MemoryStore();
    const first = await Ledger.open(store, { clock: at('2026-06-01T10:00:00.000Z') });
    await first.append(sessionStart('a'));
    await first.close(); // a MemoryStore keeps its events
    const second = await Ledger.open(store, { clock: at('2026-06-01T09:00:00.000Z') });
    const { sequence } = await second.append(sessionStart('b'));
    expect((await second.read(sequence)).timestamp).to.equal('2026-06-01T10:00:00.000Z');
  });

  it('across writers: after another writer moved the tip, the retried event is clamped to its timestamp', async () => {
    const store = new MemoryStore();
    const behind = await Ledger.open(store, { clock: at('2026-06-01T09:00:00.000Z') });
    await behind.append(sessionStart('a'));
    const ahead = await Ledger.open(store, { clock: at('2026-06-01T11:00:00.000Z') });
    await ahead.append(sessionStart('b'));
    expect(await rejection(behind.append(sessionStart('c')))).to.be.instanceOf(LedgerSequenceError);
    const { sequence } = await behind.append(sessionStart('c'));
    expect((await behind.read(sequence)).timestamp).to.equal('2026-06-01T11:00:00.000Z');
  });
});
