// The explorer's JSON API over HTTP, served by a real `fmwk-ledger serve` process.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger } from '../../src/index.js';
import type { CheckpointResponse, CheckpointsResponse, EventDetail, EventsPage, InclusionResponse, StateResponse, VerifyOutcome, VerifyProgress } from '../../src/explorer/apiTypes.js';
import { leafHash, verifyInclusion } from '../../src/proofs/merkle.js';
import { tempDir } from '../support/tempDir.js';
import { fingerprint, MAIN, PROJECTIONS_JS, serve, tamper, writeLedger, XSS_SCRIPT, type Served } from './explorerFixture.js';
import { sessionStart } from '../support/fixtures.js';
import { sharedImmudb } from '../support/sharedImmudb.js';
import { randomUUID } from 'node:crypto';

const EVENTS = 12;

async function get<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

/** The server-sent events of GET /api/verify, in order. */
async function verifyEvents(url: string): Promise<Array<{ event: string; data: unknown }>> {
  const res = await fetch(`${url}/api/verify`);
  expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
  const text = await res.text();
  return text.split('\n\n').filter(Boolean).map((block) => {
    const [e, d] = block.split('\n');
    return { event: e!.replace('event: ', ''), data: JSON.parse(d!.replace('data: ', '')) };
  });
}

describe('explorer API (fmwk-ledger serve over HTTP)', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  let served: Served | undefined;

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

  it('shows the latest signed checkpoint (signature checked with --key) and inclusion proofs that lead to its root', async () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
    const keyFile = join(dir, 'log.key');
    const keygen = cli('keygen', '--name', 'example.com/explorer-log', '--out', keyFile);
    expect(keygen.status, keygen.stderr).to.equal(0);
    const vkey = keygen.stdout.trim();
    expect(cli('checkpoint', '--store', store, '--key', keyFile).status).to.equal(0);
    // Events after the checkpoint: a proof defaults to the checkpoint's tree when it holds the event.
    await writeLedger(store, 3);
    const before = fingerprint(store);
    served = await serve(['--store', store, '--key', vkey]);
    const cp = await get<CheckpointResponse>(`${served.url}/api/checkpoint`);
    expect(cp.status).to.equal(200);
    expect(cp.body).to.include({ origin: 'example.com/explorer-log', size: EVENTS, signature_verified: true });
    const lines = readFileSync(join(store, 'ledger.jsonl'), 'utf8').split('\n');
    for (const seq of [0, 5, EVENTS - 1]) {
      const p = await get<InclusionResponse>(`${served.url}/api/proof/${seq}`);
      expect(p.status).to.equal(200);
      expect(p.body).to.include({ sequence: seq, size: EVENTS, matches_checkpoint: true, root: cp.body.root });
      // Checked here again, from the exported line alone, against the signed root.
      verifyInclusion(leafHash(Buffer.from(lines[seq]!, 'utf8')), seq, EVENTS, p.body.proof.map((h) => Buffer.from(h, 'base64')), Buffer.from(cp.body.root, 'base64'));
    }
    const past = await get<InclusionResponse>(`${served.url}/api/proof/${EVENTS + 1}`);
    expect(past.body).to.include({ size: EVENTS + 3, matches_checkpoint: null });
    const bad = await get<{ error: { code: string } }>(`${served.url}/api/proof/2?size=99`);
    expect(bad.status).to.equal(404);
    expect(fingerprint(store), 'the explorer wrote nothing').to.deep.equal(before);
    expect(await served.stop()).to.equal(0);
    // Another key: the signature is reported as not verifying; no key: not checked.
    const other = join(dir, 'other.key');
    const otherKey = cli('keygen', '--name', 'example.com/explorer-log', '--out', other).stdout.trim();
    served = await serve(['--store', store, '--key', otherKey]);
    expect((await get<CheckpointResponse>(`${served.url}/api/checkpoint`)).body.signature_verified).to.equal(false);
    expect(await served.stop()).to.equal(0);
    served = await serve(['--store', store]);
    expect((await get<CheckpointResponse>(`${served.url}/api/checkpoint`)).body.signature_verified).to.equal(null);
  });

  it('answers 404 NO_CHECKPOINT where no checkpoint was taken', async () => {
    served = await serve(['--store', store]);
    const r = await get<{ error: { code: string; message: string } }>(`${served.url}/api/checkpoint`);
    expect(r.status).to.equal(404);
    expect(r.body.error.code).to.equal('NO_CHECKPOINT');
    expect(r.body.error.message).to.contain('fmwk-ledger checkpoint');
  });

  it('prints its URL on loopback, serves the tip, and answers every request with a strict CSP', async () => {
    served = await serve(['--store', store]);
    expect(served.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tip = await get<{ sequence_number: number; hash: string }>(`${served.url}/api/tip`);
    expect(tip.body.sequence_number).to.equal(EVENTS - 1);
    for (const path of ['/', '/api/tip', '/web/main.js', '/style.css', '/nowhere']) {
      const res = await fetch(`${served.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).to.include("default-src 'none'").and.include("script-src 'self'");
      expect(csp, path).not.to.include('unsafe-inline');
      expect(res.headers.get('x-content-type-options'), path).to.equal('nosniff');
    }
    const html = await (await fetch(`${served.url}/`)).text();
    expect(html, 'no inline script in the page').not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('pages the timeline: limit, next, and filters by type, actor and time', async () => {
    served = await serve(['--store', store]);
    const all: number[] = [];
    let from: number | null = 0;
    while (from !== null) {
      const page: { body: EventsPage } = await get<EventsPage>(`${served.url}/api/events?from=${from}&limit=5`);
      expect(page.body.events.length).to.be.at.most(5);
      all.push(...page.body.events.map((e) => e.sequence));
      from = page.body.next;
    }
    expect(all).to.deep.equal([...Array(EVENTS).keys()]);

    const nodes = await get<EventsPage>(`${served.url}/api/events?type=node_creation&limit=3`);
    expect(nodes.body.events.map((e) => e.sequence)).to.deep.equal([1, 3, 5]);
    expect(nodes.body.next).to.equal(6);
    const system = await get<EventsPage>(`${served.url}/api/events?actor=system&from=5`);
    expect(system.body.events.map((e) => e.sequence)).to.deep.equal([6, 8, 10]);
    expect(system.body.next).to.equal(null);
    const operator = await get<EventsPage>(`${served.url}/api/events?actor=operator&type=session_start`);
    expect(operator.body.events.map((e) => [e.sequence, e.actor])).to.deep.equal([[0, 'operator']]);

    const every = (await get<EventsPage>(`${served.url}/api/events?limit=500`)).body.events;
    const t4 = every[4]!.timestamp;
    const t7 = every[7]!.timestamp;
    const window = await get<EventsPage>(`${served.url}/api/events?since=${encodeURIComponent(t4)}&until=${encodeURIComponent(t7)}`);
    expect(window.body.events.map((e) => e.sequence)).to.deep.equal(every.filter((e) => e.timestamp >= t4 && e.timestamp <= t7).map((e) => e.sequence));
    expect(window.body.events.map((e) => e.sequence)).to.include.members([4, 5, 6, 7]);
    const future = await get<EventsPage>(`${served.url}/api/events?since=2999-01-01T00:00:00Z`);
    expect(future.body).to.deep.equal({ events: [], next: null, tip: EVENTS - 1, scanned: { from: 0, to: EVENTS - 1 } });
    // What a filtered page examined, so it can say what it shows.
    expect(nodes.body.scanned).to.deep.equal({ from: 0, to: 5 });
    expect(system.body.scanned).to.deep.equal({ from: 5, to: EVENTS - 1 });
    expect((await get<EventsPage>(`${served.url}/api/events?from=${EVENTS}`)).body).to.deep.equal({ events: [], next: null, tip: EVENTS - 1, scanned: null });
  });

  it('refuses bad queries with 400 naming the field and the value', async () => {
    served = await serve(['--store', store]);
    for (const [query, field] of [
      ['from=-1', 'query.from'],
      ['from=1e3', 'query.from'],
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['since=yesterday', 'query.since'],
      ['until=2026-13-45T00:00:00Z', 'query.until'],
      ['type=a&type=b', 'query.type'],
      ['sort=desc', 'query.sort'],
    ] as const) {
      const r = await get<{ error: { code: string; field: string; message: string } }>(`${served.url}/api/events?${query}`);
      expect(r.status, query).to.equal(400);
      expect(r.body.error, query).to.include({ code: 'LEDGER_VALIDATION', field });
    }
    const bad = await get<{ error: { field: string } }>(`${served.url}/api/events/abc`);
    expect([bad.status, bad.body.error.field]).to.deep.equal([400, 'params.seq']);
    const past = await get<{ error: { code: string; message: string } }>(`${served.url}/api/events/${EVENTS}`);
    expect(past.status).to.equal(404);
    expect(past.body.error.code).to.equal('LEDGER_NOT_FOUND');
    expect(past.body.error.message).to.include(String(EVENTS));
  });

  it('shows one event in full with its previous and next hashes; the payload comes back byte for byte', async () => {
    served = await serve(['--store', store]);
    const lines = readFileSync(join(store, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hash: string; previous_hash: string });
    const mid = await get<EventDetail>(`${served.url}/api/events/5`);
    expect(mid.body.event).to.deep.equal(lines[5]);
    expect(mid.body.previous).to.deep.equal({ sequence: 4, hash: lines[4]!.hash });
    expect(mid.body.next).to.deep.equal({ sequence: 6, previous_hash: lines[6]!.previous_hash });
    expect(mid.body.event.previous_hash).to.equal(lines[4]!.hash);
    expect(mid.body.content_hash).to.equal(lines[5]!.hash);
    tamper(store, 5);
    const changed = await get<EventDetail>(`${served.url}/api/events/5`);
    expect(changed.body.event.hash, 'the stored hash is shown as stored').to.equal(lines[5]!.hash);
    expect(changed.body.content_hash).to.match(/^sha256:[0-9a-f]{64}$/).and.not.equal(lines[5]!.hash);
    const first = await get<EventDetail>(`${served.url}/api/events/0`);
    expect(first.body.previous).to.equal(null);
    expect((first.body.event.payload as { session_id: string }).session_id).to.equal(XSS_SCRIPT);
    expect((await get<EventDetail>(`${served.url}/api/events/${EVENTS - 1}`)).body.next).to.equal(null);
  });

  it('streams verify progress and ends with {valid, break_at, count}; on a tampered ledger break_at names the event', async () => {
    served = await serve(['--store', store]);
    const ok = await verifyEvents(served.url);
    expect(ok.at(-1)).to.deep.equal({ event: 'result', data: { valid: true, break_at: null, count: EVENTS } });
    const progress = ok.filter((e) => e.event === 'progress').map((e) => e.data as VerifyProgress);
    expect(progress.length).to.be.greaterThan(2);
    expect(progress.map((p) => p.count)).to.deep.equal([...progress.map((p) => p.count)].sort((a, b) => a - b));
    expect(progress.every((p) => p.total === EVENTS)).to.equal(true);

    tamper(store, 7);
    const broken = await verifyEvents(served.url);
    const result = broken.at(-1)!;
    expect(result.event).to.equal('result');
    expect(result.data).to.include({ valid: false, break_at: 7, count: 7 } satisfies Partial<VerifyOutcome>);
    // The same answer as the CLI's verify.
    const cli = spawnSync(process.execPath, [MAIN, 'verify', '--store', store], { encoding: 'utf8' });
    expect(JSON.parse(cli.stdout.trim())).to.deep.equal({ valid: false, break_at: 7, count: 7 });
  });

  it('gives the projections\' state after any sequence (--projections), and 404 without them', async () => {
    const module = join(dir, 'projections.mjs');
    writeFileSync(module, PROJECTIONS_JS);
    served = await serve(['--store', store, '--projections', module]);
    const at4 = await get<StateResponse>(`${served.url}/api/state?seq=4`);
    expect(at4.body).to.deep.equal({ sequence: 4, states: { count: 5, nodes: ['n1', 'n3'] } });
    const atTip = await get<StateResponse>(`${served.url}/api/state?seq=${EVENTS - 1}`);
    expect(atTip.body.states.count).to.equal(EVENTS);
    const past = await get<{ error: { code: string } }>(`${served.url}/api/state?seq=${EVENTS}`);
    expect([past.status, past.body.error.code]).to.deep.equal([404, 'LEDGER_NOT_FOUND']);
    const missing = await get<{ error: { field: string } }>(`${served.url}/api/state`);
    expect([missing.status, missing.body.error.field]).to.deep.equal([400, 'query.seq']);
    expect(await served.stop()).to.equal(0);

    served = await serve(['--store', store]);
    const none = await get<{ error: { code: string } }>(`${served.url}/api/state?seq=1`);
    expect([none.status, none.body.error.code]).to.deep.equal([404, 'NO_PROJECTIONS']);
  });

  it('never writes: every request leaves the store byte for byte, mode and mtime unchanged; no write method exists', async () => {
    const module = join(dir, 'projections.mjs');
    writeFileSync(module, PROJECTIONS_JS);
    const before = fingerprint(store);
    served = await serve(['--store', store, '--projections', module]);
    for (const path of ['/', '/api/tip', '/api/events', '/api/events/3', '/api/state?seq=5', '/api/events?type=x', '/api/search?q=3', '/api/stream?id=s', '/api/checkpoints', '/api/proof/2']) await (await fetch(`${served.url}${path}`)).arrayBuffer();
    await verifyEvents(served.url);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/api/events', '/api/events/3', '/api/tip', '/api/verify', '/api/search?q=3', '/api/stream?id=s', '/api/checkpoints', '/api/consistency?file=x']) {
        const res = await fetch(`${served.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(sessionStart('forged')) });
        expect(res.status, `${method} ${path}`).to.equal(404);
      }
    }
    expect(fingerprint(store)).to.deep.equal(before);
  });

  it('takes no writer lock: a writer appends beside it and the explorer shows the new tip', async () => {
    served = await serve(['--store', store]);
    const ledger = await Ledger.open(await DirectoryStore.open(store)); // throws LedgerLockedError if the explorer held the lock
    try {
      await ledger.append(sessionStart('beside the explorer'));
    } finally {
      await ledger.close();
    }
    const tip = await get<{ sequence_number: number }>(`${served.url}/api/tip`);
    expect(tip.body.sequence_number).to.equal(EVENTS);
    expect((await get<EventDetail>(`${served.url}/api/events/${EVENTS}`)).body.event.payload).to.deep.equal({ session_id: 'beside the explorer' });
  });

  it('on loopback answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    served = await serve(['--store', store]);
    const port = new URL(served.url).port;
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/tip', headers: { host } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
    expect(await status(`127.0.0.1:${port}`)).to.equal(200);
    expect(await status(`localhost:${port}`)).to.equal(200);
    expect(await status(`attacker.example:${port}`)).to.equal(403);
    expect(await status(`127.0.0.1.attacker.example:${port}`)).to.equal(403);
  });

  it('with --host beyond loopback: warns, binds there, and accepts any Host header', async () => {
    served = await serve(['--store', store, '--host', '0.0.0.0']);
    const port = new URL(served.url).port;
    expect(served.url).to.equal(`http://0.0.0.0:${port}`);
    const res = await fetch(`http://127.0.0.1:${port}/api/tip`, { headers: { host: `ledger.example:${port}` } });
    expect(res.status).to.equal(200);
  });

  it('serves an immudb store the same way (read-only, over the shared test server)', async () => {
    const server = sharedImmudb();
    const env = { IMMUDB_USER: 'immudb', IMMUDB_PASSWORD: 'immudb' };
    const address = `immudb://${server.host}:${server.port}/explorer_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const run = (args: string[], input?: string) => spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(run(['bootstrap', '--store', address]).status).to.equal(0);
    const appended = run(['append', '--store', address, '-'], [0, 1, 2].map((i) => `${JSON.stringify(sessionStart(`im-${i}`))}\n`).join(''));
    expect(appended.status, appended.stderr).to.equal(0);
    served = await serve(['--store', address], env);
    expect((await get<{ sequence_number: number }>(`${served.url}/api/tip`)).body.sequence_number).to.equal(2);
    expect((await get<EventsPage>(`${served.url}/api/events`)).body.events.map((e) => e.sequence)).to.deep.equal([0, 1, 2]);
    const one = await get<EventDetail>(`${served.url}/api/events/1`);
    expect(one.body.event.payload).to.deep.equal({ session_id: 'im-1' });
    expect(one.body.content_hash).to.equal(one.body.event.hash);
    expect((await verifyEvents(served.url)).at(-1)).to.deep.equal({ event: 'result', data: { valid: true, break_at: null, count: 3 } });
    expect(await served.stop()).to.equal(0);
    // The latest checkpoint immudb keeps under its own key, shown and checked like a directory's.
    const keygen = run(['keygen', '--name', 'example.com/immudb-log', '--out', join(dir, 'log.key')]);
    const taken = run(['checkpoint', '--store', address, '--key', join(dir, 'log.key')]);
    expect(taken.status, taken.stderr).to.equal(0);
    served = await serve(['--store', address, '--key', keygen.stdout.trim()], env);
    const cps = await get<CheckpointsResponse>(`${served.url}/api/checkpoints`);
    expect(cps.body.latest).to.include({ origin: 'example.com/immudb-log', size: 3, signature_verified: true });
    expect((await get<InclusionResponse>(`${served.url}/api/proof/1`)).body.matches_checkpoint).to.equal(true);
  });

  it('refuses bad options as usage errors (exit 2), and a missing store without creating it', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [MAIN, 'serve', ...args], { encoding: 'utf8', timeout: 20000 });
    const noStore = run([]);
    expect([noStore.status, noStore.stderr]).to.satisfy(([c, e]: [number, string]) => c === 2 && e.includes('--store is required'));
    const badPort = run(['--store', store, '--port', '70000']);
    expect(badPort.status).to.equal(2);
    expect(badPort.stderr).to.include('--port');
    const missing = join(dir, 'absent');
    const r = run(['--store', missing]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('ledger.jsonl');
    expect(() => statSync(missing)).to.throw(/ENOENT/);
  });
});
