// The explorer in a real browser: Debian's chromium driven by playwright-core, against a real
// `fmwk-ledger serve` process. Screenshots go to a directory outside git, printed at the end.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../support/tempDir.js';
import { readFileSync, writeFileSync as write } from 'node:fs';
import Database from 'better-sqlite3';
import { INDEX_FILE } from '../../src/stores/directoryIndex.js';
import { signCheckpoint } from '../../src/proofs/checkpoint.js';
import { parseSignerKey } from '../../src/proofs/note.js';
import { appendStream, HOSTILE_STREAMS, MAIN, PROJECTIONS_JS, proofSetup, serve, tamper, writeLedger, XSS_IMG, XSS_SCRIPT, type Served } from './explorerFixture.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(tmpdir(), 'fmwk-ledger-explorer-shots');
const EVENTS = 30;

describe('explorer in a real browser (chromium via playwright-core)', function () {
  let profile: { dir: string; remove: () => void };
  let context: BrowserContext;
  let dir: string;
  let remove: () => void;
  let store: string;
  let served: Served | undefined;
  let page: Page;
  let dialogs: string[];
  let pageErrors: string[];
  const shots: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`chromium not found at ${CHROMIUM}: the browser tests need it (apt-get install chromium), or set CHROMIUM_PATH`);
    }
    mkdirSync(SHOTS, { recursive: true });
    profile = tempDir('fmwk-ledger-chromium-');
    context = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 760 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await context?.close();
    profile?.remove();
    if (shots.length > 0) process.stdout.write(`explorer screenshots:\n${shots.map((s) => `  ${s}\n`).join('')}`);
  });

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
    await writeLedger(store, EVENTS);
    page = await context.newPage();
    dialogs = [];
    pageErrors = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  afterEach(async () => {
    await page.close();
    if (served) expect(await served.stop()).to.equal(0);
    served = undefined;
    remove();
    expect(pageErrors, 'no script error in the page').to.deep.equal([]);
  });

  async function shot(name: string): Promise<void> {
    const path = join(SHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  }

  const rowSeqs = async () => page.locator('[data-testid="timeline"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
  // Locators, not string predicates: the page's CSP forbids eval, which string predicates need.
  const eventShown = (seq: number) => page.getByTestId('event-json').filter({ hasText: `"sequence": ${seq},` }).waitFor();
  const shownEvent = async () => JSON.parse((await page.getByTestId('event-json').textContent()) ?? 'null') as { sequence: number; hash: string; previous_hash: string; event_type: string; provenance: { actor: string } };

  it('timeline -> event -> previous/next, paging and filters', async () => {
    served = await serve(['--store', store]);
    await page.goto(served.url);
    await page.getByTestId('row-0').waitFor();
    expect(await page.getByTestId('tip').textContent()).to.match(new RegExp(`^${EVENTS - 1} [0-9a-f]{12}…$`));
    expect(await rowSeqs()).to.deep.equal([...Array(20).keys()]);
    expect(await page.getByTestId('page-info').textContent()).to.equal(`events 0–19 of 0–${EVENTS - 1}, page 1, 20 shown`);

    await page.getByTestId('row-3').click();
    await eventShown(3);
    const e3 = await shownEvent();
    expect(e3.sequence).to.equal(3);
    expect(await page.getByTestId('event-hashes').textContent()).to.include(e3.hash).and.include('✓ the content hashes to it').and.include('✓ equals the stored hash of 2').and.include('✓ 4 carries this hash');
    await page.getByTestId('event-next').click();
    await eventShown(4);
    const e4 = await shownEvent();
    expect(e4.previous_hash, 'next event links back to the one shown before').to.equal(e3.hash);
    await page.getByTestId('event-prev').click();
    await page.getByTestId('event-prev').click();
    await eventShown(2);
    expect((await shownEvent()).hash).to.equal(e3.previous_hash);
    expect(await page.getByTestId('row-2').getAttribute('class')).to.include('selected');
    await shot('01-timeline-event');

    await page.getByTestId('event-prev').click();
    await page.getByTestId('event-prev').click();
    await eventShown(0);
    expect(await page.getByTestId('event-prev').isDisabled(), 'no previous at genesis').to.equal(true);

    await page.getByTestId('page-next').click();
    await page.getByTestId(`row-${EVENTS - 1}`).waitFor();
    expect(await rowSeqs()).to.deep.equal([...Array(EVENTS - 20).keys()].map((i) => i + 20));
    expect(await page.getByTestId('page-next').isDisabled()).to.equal(true);
    await page.getByTestId('page-prev').click();
    await page.getByTestId('row-0').waitFor();

    await page.getByTestId('filter-type').fill('node_creation');
    await page.getByTestId('filter-apply').click();
    await page.getByTestId('row-0').waitFor({ state: 'detached' });
    expect(await rowSeqs()).to.deep.equal([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29]);
    // A filtered page says what it shows: how many matched, which filter, where, and what was searched.
    expect(await page.getByTestId('page-info').textContent()).to.equal(`15 events matching type=node_creation, sequences 1–29, page 1 (sequences 0–${EVENTS - 1} searched of 0–${EVENTS - 1})`);
    await shot('07-filtered-pager');
    await page.getByTestId('filter-type').fill('');
    await page.getByTestId('filter-actor').selectOption('system');
    await page.getByTestId('filter-apply').click();
    await page.getByTestId('row-1').waitFor({ state: 'detached' });
    await page.getByTestId('row-2').waitFor();
    expect(await rowSeqs()).to.deep.equal([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    await page.getByTestId('filter-actor').selectOption('');
    await page.getByTestId('filter-since').fill('2999-01-01T00:00:00');
    await page.getByTestId('filter-apply').click();
    await page.getByTestId('page-info').filter({ hasText: 'no events match' }).waitFor();
    expect(await page.getByTestId('page-info').textContent()).to.equal(`no events match since 2999-01-01T00:00 (sequences 0–${EVENTS - 1} searched of 0–${EVENTS - 1})`);
    expect(await rowSeqs()).to.deep.equal([]);
  });

  it('verify on a valid ledger: progress to the end, status valid', async () => {
    served = await serve(['--store', store]);
    await page.goto(served.url);
    await page.getByTestId('row-0').waitFor();
    await page.getByTestId('verify-run').click();
    const status = page.getByTestId('verify-status');
    await page.locator('[data-testid="verify-status"][data-valid]').waitFor();
    expect(await status.getAttribute('data-valid')).to.equal('true');
    expect(await status.textContent()).to.equal(`valid: ${EVENTS} events, every hash and link checked`);
    const progress = await page.getByTestId('verify-progress').evaluate((p) => [Number(p.getAttribute('value') ?? NaN), Number(p.getAttribute('max') ?? NaN)]);
    expect(progress).to.deep.equal([EVENTS, EVENTS]);
    expect(await page.locator('tr.broken').count()).to.equal(0);
    await shot('02-verify-valid');
  });

  it('verify on a tampered ledger: break_at highlighted in the timeline and in the event', async () => {
    tamper(store, 7);
    served = await serve(['--store', store]);
    await page.goto(served.url);
    await page.getByTestId('row-0').waitFor();
    await page.getByTestId('verify-run').click();
    await page.locator('[data-testid="verify-status"][data-valid]').waitFor();
    const status = page.getByTestId('verify-status');
    expect(await status.getAttribute('data-valid')).to.equal('false');
    expect(await status.getAttribute('data-break-at')).to.equal('7');
    expect(await status.textContent()).to.include('broken at sequence 7 (7 events verified before it)');
    expect(await page.locator('tr.broken').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-seq')))).to.deep.equal(['7']);
    await page.getByTestId('verify-break').click();
    await page.getByTestId('event-broken').waitFor();
    expect(await page.getByTestId('event-seq').textContent()).to.equal('7');
    expect(await page.locator('#event-panel').getAttribute('class')).to.include('broken');
    expect((await shownEvent()).sequence).to.equal(7);
    expect(await page.getByTestId('event-hashes').textContent()).to.match(/✗ the content hashes to sha256:[0-9a-f]{64}/);
    await shot('03-verify-broken');
  });

  it('state at a chosen sequence, for the projections of --projections', async () => {
    const module = join(dir, 'projections.mjs');
    writeFileSync(module, PROJECTIONS_JS);
    served = await serve(['--store', store, '--projections', module]);
    await page.goto(served.url);
    await page.getByTestId('state-seq').fill('4');
    await page.getByTestId('state-run').click();
    await page.getByTestId('state-json').filter({ hasText: '"sequence": 4,' }).waitFor();
    expect(JSON.parse((await page.getByTestId('state-json').textContent())!)).to.deep.equal({ sequence: 4, states: { count: 5, nodes: ['n1', 'n3'] } });
    await page.getByTestId('state-seq').fill(String(EVENTS + 5));
    await page.getByTestId('state-run').click();
    await page.locator('[data-testid="state-json"].bad').waitFor();
    expect(await page.getByTestId('state-json').textContent()).to.include('LEDGER_NOT_FOUND');
    await page.getByTestId('state-seq').fill('11');
    await page.getByTestId('state-run').click();
    await page.getByTestId('state-json').filter({ hasText: '"sequence": 11,' }).waitFor();
    await shot('04-state-at');
  });

  it('the latest signed checkpoint, and an event\'s inclusion proof that leads to its root', async () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
    const vkey = cli('keygen', '--name', 'example.com/browser-log', '--out', join(dir, 'log.key')).stdout.trim();
    expect(cli('checkpoint', '--store', store, '--key', join(dir, 'log.key')).status).to.equal(0);
    served = await serve(['--store', store, '--key', vkey]);
    await page.goto(`${served.url}/#event=4`);
    await page.getByTestId('checkpoint-status').filter({ hasText: '✓ signature verified' }).waitFor();
    expect(await page.getByTestId('checkpoint-status').textContent()).to.include(`example.com/browser-log: ${EVENTS} events`);
    await eventShown(4);
    await page.getByTestId('event-proof').click();
    await page.getByTestId('proof-json').filter({ hasText: '✓ leads to the signed checkpoint root' }).waitFor();
    expect(await page.getByTestId('proof-json').textContent()).to.include(`event 4 in the tree of ${EVENTS}`);
    await shot('06-checkpoint-proof');
    // Checked with another log key, the same proof is never shown as leading to a signed root.
    expect(await served.stop()).to.equal(0);
    const other = cli('keygen', '--name', 'example.com/browser-log', '--out', join(dir, 'other.key')).stdout.trim();
    served = await serve(['--store', store, '--key', other]);
    await page.goto(`${served.url}/#event=4`);
    await page.getByTestId('checkpoint-status').filter({ hasText: '✗ the signature does not verify' }).waitFor();
    await eventShown(4);
    await page.getByTestId('event-proof').click();
    await page.locator('[data-testid="proof-json"].bad').waitFor();
    expect(await page.getByTestId('proof-json').textContent()).to.include("✗ leads to the latest checkpoint's root, but that checkpoint's signature does not verify");
  });

  it('an untrusted payload (<script>, <img onerror>, closing tags) shows as text and runs nothing', async () => {
    served = await serve(['--store', store]);
    const blocked: string[] = [];
    page.on('console', (m) => blocked.push(m.text()));
    await page.goto(`${served.url}/#event=0`);
    await eventShown(0);
    const text = (await page.getByTestId('event-json').textContent())!;
    expect(text).to.include(JSON.stringify(XSS_SCRIPT).slice(1, -1));
    expect(text).to.include(JSON.stringify(XSS_IMG).slice(1, -1));
    expect(text).to.include('</pre><b>bold</b>');
    const dom = {
      scripts: await page.locator('script').evaluateAll((list) => list.map((x) => x.getAttribute('src'))),
      imgs: await page.locator('img').count(),
      bold: await page.locator('b').count(),
      preChildren: await page.getByTestId('event-json').locator('*').count(),
    };
    expect(dom).to.deep.equal({ scripts: ['/web/main.js'], imgs: 0, bold: 0, preChildren: 0 });
    await page.waitForTimeout(300); // an onerror or a timer would have fired by now
    expect(dialogs, 'no dialog opened').to.deep.equal([]);
    // The CSP itself: even markup injected by hand cannot run inline script.
    await page.locator('body').evaluate((body) => {
      const script = body.ownerDocument.createElement('script');
      script.textContent = 'alert("inline")';
      body.append(script);
    });
    await page.waitForTimeout(200);
    expect(dialogs, 'inline script blocked by the CSP').to.deep.equal([]);
    expect(blocked.some((m) => /Content Security Policy/i.test(m))).to.equal(true);
    await shot('05-xss-as-text');
  });
  const searchFor = async (q: string) => {
    await page.getByTestId('search-q').fill(q);
    await page.getByTestId('search-run').click();
    await page.getByTestId('search-status').filter({ hasText: /found/ }).waitFor();
  };
  const streamVersions = async () => page.locator('[data-testid="stream"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.firstElementChild?.textContent)));

  it('search by sequence, hash, event id and stream id; a stream opens its events in version order, paged', async () => {
    const order = await appendStream(store, 'order-42', 25);
    served = await serve(['--store', store]);
    await page.goto(served.url);
    await page.getByTestId('row-0').waitFor();
    const e5 = JSON.parse(readFileSync(join(store, 'ledger.jsonl'), 'utf8').split('\n')[5]!) as { hash: string; event_id: string };

    await searchFor('5');
    expect(await page.getByTestId('search-status').textContent()).to.equal('1 found (read as sequence, stream id)');
    await eventShown(5);
    await searchFor(e5.hash);
    expect(await page.getByTestId('search-hit').textContent()).to.include('by hash: event 5, node_creation');
    await searchFor(e5.event_id);
    expect(await page.getByTestId('search-hit').textContent()).to.include('by event_id: event 5');
    await page.getByTestId('event-prev').click();
    await eventShown(4);
    await searchFor(e5.event_id);
    await eventShown(5);
    await searchFor('nothing-here');
    expect(await page.getByTestId('search-status').textContent()).to.equal('nothing found (read as stream id)');

    await searchFor('order-42');
    await page.getByTestId('stream-row-0').waitFor();
    expect(await page.getByTestId('search-hit').textContent()).to.include(`stream "order-42": 25 events, newest at sequence ${order[24]!.sequence}`);
    expect(await streamVersions()).to.deep.equal([...Array(20).keys()]);
    expect(await page.getByTestId('stream-info').textContent()).to.equal('versions 0–19 of stream "order-42", page 1, 20 shown');
    await shot('08-search-stream');
    await page.getByTestId('stream-next').click();
    await page.getByTestId('stream-row-24').waitFor();
    expect(await streamVersions()).to.deep.equal([20, 21, 22, 23, 24]);
    expect(await page.getByTestId('stream-info').textContent()).to.equal('versions 20–24 of stream "order-42", page 2, 5 shown (the newest is the last)');
    expect(await page.getByTestId('stream-next').isDisabled()).to.equal(true);
    await page.getByTestId('stream-row-22').click();
    await eventShown(order[22]!.sequence);
    const shown = await shownEvent() as unknown as { stream_id: string; stream_version: number };
    expect([shown.stream_id, shown.stream_version]).to.deep.equal(['order-42', 22]);
    await page.getByTestId('stream-prev').click();
    await page.getByTestId('stream-row-0').waitFor();
    expect(await page.getByTestId('stream-prev').isDisabled()).to.equal(true);
  });

  it('hostile search strings and stream ids (markup, path traversal, very long) show as text and run nothing', async () => {
    for (const id of HOSTILE_STREAMS) await appendStream(store, id, 2);
    served = await serve(['--store', store]);
    await page.goto(served.url);
    await page.getByTestId('row-0').waitFor();
    await searchFor(HOSTILE_STREAMS[0]);
    await page.getByTestId('stream-row-1').waitFor();
    expect(await page.getByTestId('stream-id').textContent()).to.equal(HOSTILE_STREAMS[0]);
    expect(await page.getByTestId('search-hit').textContent()).to.include(JSON.stringify(HOSTILE_STREAMS[0]));
    await shot('09-search-hostile');
    await searchFor(HOSTILE_STREAMS[1]);
    await page.getByTestId('stream-id').filter({ hasText: HOSTILE_STREAMS[1] }).waitFor();
    expect(await streamVersions()).to.deep.equal([0, 1]);
    await searchFor('../../ledger.jsonl');
    expect(await page.getByTestId('search-status').textContent()).to.equal('nothing found (read as stream id)');
    // The box holds at most 1024 characters (what the API takes); a longer paste is cut by the browser, not sent.
    await page.getByTestId('search-q').fill('z'.repeat(5000));
    expect((await page.getByTestId('search-q').inputValue()).length).to.equal(1024);
    await page.getByTestId('search-run').click();
    await page.getByTestId('search-status').filter({ hasText: /found/ }).waitFor();
    await searchFor(HOSTILE_STREAMS[2]);
    await page.getByTestId('stream-row-1').waitFor();
    expect(await page.locator('img').count()).to.equal(0);
    expect(await page.locator('script').count()).to.equal(1);
    await page.waitForTimeout(300);
    expect(dialogs).to.deep.equal([]);
  });

  it('a tampered index: search shows the failed lookup in red, never the event the index points to', async () => {
    await appendStream(store, 'order-42', 3);
    const lines = readFileSync(join(store, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hash: string; event_id: string });
    const db = new Database(join(store, INDEX_FILE));
    db.prepare('UPDATE events SET hash = NULL WHERE sequence = 2').run();
    db.prepare('UPDATE events SET hash = ? WHERE sequence = 9').run(lines[2]!.hash);
    db.close();
    served = await serve(['--store', store]);
    await page.goto(served.url);
    await page.getByTestId('row-0').waitFor();
    await page.getByTestId('search-q').fill(lines[2]!.hash);
    await page.getByTestId('search-run').click();
    await page.getByTestId('search-status').filter({ hasText: /found/ }).waitFor();
    const hits = await page.getByTestId('search-hit').allTextContents();
    expect(hits.join(' ')).to.not.include('event 9');
    if (hits.length === 0) {
      expect(await page.getByTestId('search-error').textContent()).to.match(/^by hash: LEDGER_CORRUPTION: .*9/);
      expect(await page.getByTestId('search-status').textContent()).to.equal('nothing found (read as hash, stream id); 1 lookup failed, below');
      expect(await page.getByTestId('search-error').getAttribute('class')).to.equal('bad');
      expect(await page.getByTestId('event-seq').textContent(), 'no event opened').to.equal('');
    } else {
      await eventShown(2);
    }
    await shot('10-search-tampered-index');
  });

  it("the latest checkpoint's cosignatures, each verified or not, and its consistency with earlier checkpoints", async () => {
    const setup = await proofSetup(dir, store);
    const [, mid] = setup.sizes;
    const signer = parseSignerKey(readFileSync(join(dir, 'example_com_explorer_log.key'), 'utf8').trim());
    write(join(setup.checkpoints, 'split.cp'), signCheckpoint({ origin: 'example.com/explorer-log', size: mid, root: Buffer.alloc(32, 7) }, signer));
    served = await serve(['--store', store, '--key', setup.logKey, '--witnesses', setup.witnesses, '--checkpoints', setup.checkpoints]);
    await page.goto(served.url);
    await page.getByTestId('checkpoint-cosignatures').getByTestId('cosignature').first().waitFor();
    const cosigs = await page.getByTestId('checkpoint-cosignatures').getByTestId('cosignature').evaluateAll((items) => items.map((i) => [i.getAttribute('data-witness'), i.getAttribute('data-verified'), i.className]));
    expect(cosigs).to.deep.equal([['witness.example/w1', 'true', 'ok'], ['witness.example/w2', 'true', 'ok'], ['witness.example/w3', 'null', 'unknown']]);
    expect(await page.getByTestId('cosignature-summary').textContent()).to.equal('3 cosignatures: 2 verify with the 2 witness keys given (--witnesses)');
    expect(await page.getByTestId('checkpoint-status').textContent()).to.include('✓ signature verified with the log key');
    const consistencyOf = async (file: string) => {
      await page.getByTestId(`earlier-${file}`).getByTestId('check-consistency').click();
      await page.locator('[data-testid="consistency-result"][data-consistent]').waitFor();
      return { consistent: await page.getByTestId('consistency-result').getAttribute('data-consistent'), text: await page.getByTestId('consistency-verdict').textContent() };
    };
    const early = await consistencyOf('early.cp');
    expect(early.consistent).to.equal('true');
    expect(early.text).to.match(/^✓ the latest checkpoint \(\d+ events\) extends early\.cp/);
    await shot('11-checkpoint-consistency');
    const split = await consistencyOf('split.cp');
    expect(split.consistent).to.equal('false');
    expect(split.text).to.include('✗').and.include('split view');
    expect(await page.getByTestId('consistency-result').getAttribute('class')).to.include('bad');
    await shot('12-checkpoint-split-view');
  });

  it('a tampered cosignature and a tampered checkpoint are shown failing, never verified', async () => {
    const setup = await proofSetup(dir, store);
    const file = join(store, 'merkle', 'checkpoint');
    const lines = readFileSync(file, 'utf8').split('\n');
    const w1 = lines.findIndex((x) => x.startsWith('\u2014 witness.example/w1 '));
    const sig = Buffer.from(lines[w1]!.split(' ')[2]!, 'base64');
    sig[sig.length - 1]! ^= 1;
    lines[w1] = `\u2014 witness.example/w1 ${sig.toString('base64')}`;
    write(file, lines.join('\n'));
    const early = readFileSync(join(setup.checkpoints, 'early.cp'), 'utf8').split('\n');
    early[1] = String(Number(early[1]) + 1); // the size changed, not re-signed
    write(join(setup.checkpoints, 'early.cp'), early.join('\n'));
    served = await serve(['--store', store, '--key', setup.logKey, '--witnesses', setup.witnesses, '--checkpoints', setup.checkpoints]);
    await page.goto(served.url);
    await page.getByTestId('checkpoint-cosignatures').getByTestId('cosignature').first().waitFor();
    const first = page.getByTestId('checkpoint-cosignatures').getByTestId('cosignature').first();
    expect([await first.getAttribute('data-verified'), await first.getAttribute('class')]).to.deep.equal(['false', 'bad']);
    expect(await first.textContent()).to.match(/^✗ witness\.example\/w1 .*does not verify/);
    expect(await page.getByTestId('cosignature-summary').textContent()).to.equal('3 cosignatures: 1 verifies with the 2 witness keys given (--witnesses)');
    expect(await page.getByTestId('earlier-early.cp').textContent()).to.include('✗ does not verify');
    await page.getByTestId('earlier-early.cp').getByTestId('check-consistency').click();
    await page.locator('[data-testid="consistency-result"][data-consistent]').waitFor();
    expect(await page.getByTestId('consistency-result').getAttribute('data-consistent')).to.equal('false');
    expect(await page.getByTestId('consistency-result').textContent()).to.include('✗');
    await shot('13-checkpoint-tampered');
  });
});
