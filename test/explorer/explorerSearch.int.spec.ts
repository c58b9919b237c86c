// The explorer's search and stream view over HTTP (a real `fmwk-ledger serve` process): one
// string read as a sequence, a hash, an event id or a stream id; a stream's events in version
// order, paged; and what hostile search strings and a tampered index get out of it.
import { expect } from 'chai';
import { join } from 'node:path';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import type { EventDetail, SearchResponse, StreamPage } from '../../src/explorer/apiTypes.js';
import { INDEX_FILE } from '../../src/stores/directoryIndex.js';
import { tempDir } from '../support/tempDir.js';
import { appendStream, HOSTILE_STREAMS, serve, writeLedger, XSS_SCRIPT, type Served } from './explorerFixture.js';
import { fingerprint } from './explorerFixture.js';

const EVENTS = 6;

async function get<T>(url: string): Promise<{ status: number; body: T; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') };
}

describe('explorer search and stream view (fmwk-ledger serve over HTTP)', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  let served: Served | undefined;
  const search = (q: string) => get<SearchResponse>(`${served!.url}/api/search?${new URLSearchParams({ q }).toString()}`);
  const stream = (id: string, extra = '') => get<StreamPage>(`${served!.url}/api/stream?${new URLSearchParams({ id }).toString()}${extra}`);

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
    await writeLedger(store, EVENTS);
  });
  afterEach(async () => {
    if (served) expect(await served.stop()).to.equal(0);
    served = undefined;
    remove();
  });

  it('finds an event by sequence, by hash (with or without sha256:, any case) and by event id; a stream by its id', async () => {
    const order = await appendStream(store, 'order-42', 3);
    served = await serve(['--store', store]);
    const three = (await get<EventDetail>(`${served.url}/api/events/3`)).body.event as EventDetail['event'] & { event_id: string };

    const bySeq = await search('3');
    expect(bySeq.status).to.equal(200);
    expect(bySeq.body.tried).to.deep.equal(['sequence', 'stream']);
    expect(bySeq.body.hits).to.deep.equal([{ kind: 'sequence', event: { sequence: 3, timestamp: three.timestamp, event_type: 'node_creation', actor: 'agent', hash: three.hash } }]);
    const hex = three.hash.slice(7);
    for (const q of [three.hash, hex, hex.toUpperCase(), ` ${three.hash}\n`]) {
      const r = await search(q);
      expect(r.body.hits.map((h) => (h.kind === 'stream' ? h : [h.kind, h.event.sequence])), JSON.stringify(q)).to.deep.equal([['hash', 3]]);
    }
    const byId = await search(three.event_id);
    expect(byId.body.tried).to.deep.equal(['event_id', 'stream']);
    expect(byId.body.hits.map((h) => h.kind !== 'stream' && [h.kind, h.event.sequence])).to.deep.equal([['event_id', 3]]);
    expect((await search(three.event_id.toUpperCase())).body.hits).to.have.length(1);

    const s = await search('order-42');
    expect(s.body.hits).to.deep.equal([{ kind: 'stream', stream: { stream_id: 'order-42', version: 2, sequence: order[2]!.sequence, hash: order[2]!.hash } }]);
    const none = await search('no-such-thing');
    expect(none.body).to.deep.equal({ q: 'no-such-thing', tried: ['stream'], hits: [], errors: [] });
    expect((await search(String(EVENTS + 3 + 10))).body.hits).to.deep.equal([]);
    expect((await search(`sha256:${'0'.repeat(64)}`)).body.hits).to.deep.equal([]);
  });

  it('a string that is both a sequence and a stream id finds both', async () => {
    await appendStream(store, '2', 2);
    served = await serve(['--store', store]);
    const r = await search('2');
    expect(r.body.hits.map((h) => h.kind)).to.deep.equal(['sequence', 'stream']);
    const hit = r.body.hits[1]!;
    expect(hit.kind === 'stream' && hit.stream).to.include({ stream_id: '2', version: 1 });
  });

  it("opens a stream's events in version order, paged: next, the last page, from, and the bounds", async () => {
    const appended = await appendStream(store, 'order-42', 7);
    await writeLedger(store, 2); // other events after it: the stream is not a range of sequences
    await appendStream(store, 'order-42', 3); // versions 7..9 after them
    served = await serve(['--store', store]);
    const p1 = await stream('order-42', '&limit=4');
    expect(p1.body.events.map((e) => e.stream_version)).to.deep.equal([0, 1, 2, 3]);
    expect(p1.body.events.map((e) => e.sequence)).to.deep.equal(appended.slice(0, 4).map((a) => a.sequence));
    expect(p1.body.next).to.equal(4);
    const p3 = await stream('order-42', '&limit=4&from=8');
    expect(p3.body.events.map((e) => e.stream_version)).to.deep.equal([8, 9]);
    expect(p3.body.next).to.equal(null);
    const exact = await stream('order-42', '&limit=5&from=5');
    expect([exact.body.events.length, exact.body.next]).to.deep.equal([5, null]);
    const all = await stream('order-42');
    expect(all.body.events.map((e) => e.stream_version)).to.deep.equal([...Array(10).keys()]);
    expect(all.body.events.map((e) => e.sequence)).to.deep.equal([...all.body.events.map((e) => e.sequence)].sort((a, b) => a - b));
    expect((await stream('order-42', '&from=10')).body).to.deep.equal({ stream_id: 'order-42', events: [], next: null });
    expect((await stream('nobody')).body.events).to.deep.equal([]);
    for (const [query, field] of [['&limit=0', 'query.limit'], ['&limit=501', 'query.limit'], ['&from=-1', 'query.from'], ['&from=x', 'query.from'], ['&sort=desc', 'query.sort']] as const) {
      const r = await get<{ error: { code: string; field: string } }>(`${served.url}/api/stream?id=order-42${query}`);
      expect([r.status, r.body.error.code, r.body.error.field], query).to.deep.equal([400, 'LEDGER_VALIDATION', field]);
    }
    const noId = await get<{ error: { field: string } }>(`${served.url}/api/stream`);
    expect([noId.status, noId.body.error.field]).to.deep.equal([400, 'query.id']);
  });

  // Attack: hostile search strings. Markup and a path out of the store are only lookup keys:
  // the answer is JSON naming what the ledger holds, and no file is touched; a very long string
  // is refused naming the field, a longer one than HTTP allows is refused before the API, and
  // the server goes on answering.
  it('hostile strings: markup, path traversal, very long, empty, repeated; the store is untouched', async () => {
    for (const id of HOSTILE_STREAMS) await appendStream(store, id, 2);
    const before = fingerprint(store);
    served = await serve(['--store', store]);
    for (const id of HOSTILE_STREAMS) {
      const r = await search(id);
      expect(r.status, id.slice(0, 30)).to.equal(200);
      expect(r.type).to.match(/^application\/json/);
      expect(r.body.hits).to.deep.equal([{ kind: 'stream', stream: { stream_id: id, version: 1, sequence: r.body.hits[0]!.kind === 'stream' ? r.body.hits[0]!.stream.sequence : -1, hash: (r.body.hits[0] as { stream: { hash: string } }).stream.hash } }]);
      const page = await stream(id);
      expect(page.body.events.map((e) => e.stream_version)).to.deep.equal([0, 1]);
      expect(page.body.stream_id).to.equal(id);
    }
    for (const q of ['../../../../etc/shadow', '..%2F..%2Fledger.jsonl', '/etc/passwd', 'ledger.jsonl', 'index.sqlite', XSS_SCRIPT, '\u0000', 'a\u202eb']) {
      const r = await search(q);
      expect([r.status, r.body.hits], JSON.stringify(q)).to.deep.equal([200, []]);
    }
    const traversal = await get<{ error: { code: string } }>(`${served.url}/api/stream/..%2F..%2Fledger.jsonl`);
    expect(traversal.status).to.equal(404);
    const long = await search('x'.repeat(1025));
    expect([long.status, (long.body as unknown as { error: { field: string } }).error.field]).to.deep.equal([400, 'query.q']);
    expect((await search('x'.repeat(1024))).status).to.equal(200);
    // Beyond Node's header limit (16 KiB): refused by the HTTP server itself, which stays up.
    const port = new URL(served.url).port;
    const huge = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/api/search?q=${'y'.repeat(100_000)}` }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.end();
    });
    expect(huge).to.be.oneOf([414, 431]);
    for (const [query, field] of [['q=', 'query.q'], ['q=%20%20', 'query.q'], ['', 'query.q'], ['q=a&q=b', 'query.q'], ['q=a&limit=3', 'query.limit']] as const) {
      const r = await get<{ error: { code: string; field: string } }>(`${served.url}/api/search?${query}`);
      expect([r.status, r.body.error.field], query).to.deep.equal([400, field]);
    }
    expect((await get<{ sequence_number: number }>(`${served.url}/api/tip`)).body.sequence_number).to.equal(EVENTS + 2 * HOSTILE_STREAMS.length - 1);
    expect(fingerprint(store), 'the explorer wrote nothing').to.deep.equal(before);
  });

  // Attack: whoever can write index.sqlite makes it name another event for a hash, an event id
  // and a stream version. The explorer must never show that other event: the reading fails
  // (typed, shown as an error) or, if the store repaired its index, finds the true event.
  it('a tampered index never makes search or the stream view show a wrong event', async () => {
    await appendStream(store, 'order-42', 4);
    served = await serve(['--store', store]);
    const a = (await get<EventDetail>(`${served.url}/api/events/2`)).body.event as EventDetail['event'] & { event_id: string };
    const b = (await get<EventDetail>(`${served.url}/api/events/4`)).body.event as EventDetail['event'] & { event_id: string };
    const v2 = (await stream('order-42')).body.events[2]!;
    expect(await served.stop()).to.equal(0);
    served = undefined;
    const db = new Database(join(store, INDEX_FILE));
    db.prepare('UPDATE events SET hash = NULL, event_id = NULL WHERE sequence = ?').run(a.sequence);
    db.prepare('UPDATE events SET hash = ?, event_id = ? WHERE sequence = ?').run(a.hash, a.event_id, b.sequence);
    db.prepare('UPDATE events SET stream_id = NULL, stream_version = NULL WHERE sequence = ?').run(v2.sequence);
    db.prepare("UPDATE events SET stream_id = 'order-42', stream_version = 2 WHERE sequence = ?").run(b.sequence);
    db.close();
    served = await serve(['--store', store]);
    for (const q of [a.hash, a.event_id]) {
      const r = await search(q);
      expect(r.status).to.equal(200);
      const shown = r.body.hits.flatMap((h) => (h.kind === 'stream' ? [] : [h.event.sequence]));
      expect(shown, 'never the event the index points to').to.not.include(b.sequence);
      if (shown.length === 0) expect(r.body.errors.map((e) => e.code), q).to.deep.equal(['LEDGER_CORRUPTION']);
      else expect(shown).to.deep.equal([a.sequence]);
    }
    const page = await get<StreamPage & { error?: { code: string; message: string } }>(`${served.url}/api/stream?id=order-42`);
    if (page.status === 200) {
      expect(page.body.events[2]!.sequence).to.equal(v2.sequence);
    } else {
      expect([page.status, page.body.error!.code]).to.deep.equal([500, 'LEDGER_CORRUPTION']);
      expect(page.body.error!.message).to.include(String(b.sequence));
    }
  });
});
