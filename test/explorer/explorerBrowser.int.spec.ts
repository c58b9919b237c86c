// The explorer in a real browser: Debian's chromium driven by playwright-core, against a real
// `fmwk-ledger serve` process. Screenshots go to a directory outside git, printed at the end.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../support/tempDir.js';
import { PROJECTIONS_JS, serve, tamper, writeLedger, XSS_IMG, XSS_SCRIPT, type Served } from './explorerFixture.js';
import { MAIN } from './explorerFixture.js';

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
});
