// The explorer page. Every value from the ledger reaches the DOM as a text node or as
// textContent, never as markup: payloads are untrusted, and `<script>` in one must show as text.
import type { ApiError, EventDetail, EventsPage, EventSummary, StateResponse, TipResponse, VerifyOutcome, VerifyProgress } from '../apiTypes.js';
import { byId, check, el, getJson, short } from './dom.js';
import { loadCheckpoints, showProof } from './proofs.js';
import { startSearch } from './search.js';

const PAGE_SIZE = 20;

interface Filters {
  type: string;
  actor: string;
  since: string;
  until: string;
}

const view = {
  filters: { type: '', actor: '', since: '', until: '' } as Filters,
  /** Start of every page shown so far (the last is the current page), for "previous page". */
  starts: [0] as number[],
  next: null as number | null,
  rows: [] as EventSummary[],
  selected: null as number | null,
  breakAt: null as number | null,
};

// ---- tip and timeline ---------------------------------------------------------------------

async function loadTip(): Promise<void> {
  const tip = await getJson<TipResponse>('/api/tip');
  byId('tip').textContent = tip.sequence_number < 0 ? 'empty ledger' : `${tip.sequence_number} ${short(tip.hash)}`;
}

function timelineUrl(from: number): string {
  const q = new URLSearchParams({ from: String(from), limit: String(PAGE_SIZE) });
  const f = view.filters;
  if (f.type) q.set('type', f.type);
  if (f.actor) q.set('actor', f.actor);
  // datetime-local values are the viewer's local time; the API takes UTC instants.
  if (f.since) q.set('since', new Date(f.since).toISOString());
  if (f.until) q.set('until', new Date(f.until).toISOString());
  return `/api/events?${q.toString()}`;
}

async function loadPage(from: number): Promise<void> {
  const info = byId('page-info');
  try {
    const page = await getJson<EventsPage>(timelineUrl(from));
    view.rows = [...page.events];
    view.next = page.next;
    info.textContent = pageText(page);
    info.className = '';
  } catch (e) {
    view.rows = [];
    view.next = null;
    info.textContent = (e as Error).message;
    info.className = 'bad';
  }
  renderRows();
}

/** The filters in force, as the page says them: "type=X, actor=Y", or '' for none. */
function filterText(): string {
  const f = view.filters;
  return [f.type && `type=${f.type}`, f.actor && `actor=${f.actor}`, f.since && `since ${f.since}`, f.until && `until ${f.until}`].filter(Boolean).join(', ');
}

/**
 * What a page shows, exactly: unfiltered, the sequences shown of the ledger's; filtered, how
 * many events matched in which sequences searched (a filtered page reads a bounded number of
 * events, so an empty page may still have a next one).
 */
function pageText(page: EventsPage): string {
  const n = page.events.length;
  const number = `page ${view.starts.length}`;
  const filters = filterText();
  const first = page.events[0]?.sequence;
  const last = page.events[n - 1]?.sequence;
  if (!filters) return n === 0 ? 'the ledger is empty' : `events ${first}–${last} of 0–${page.tip}, ${number}, ${n} shown`;
  const searched = page.scanned ? `sequences ${page.scanned.from}–${page.scanned.to} searched of 0–${page.tip}` : 'nothing left to search';
  if (n === 0) return page.next === null ? `no events match ${filters} (${searched})` : `no events match ${filters} in ${searched}: the next page searches on from ${page.next}`;
  return `${n} event${n === 1 ? '' : 's'} matching ${filters}, sequences ${first}–${last}, ${number} (${searched})`;
}

function renderRows(): void {
  const body = byId('timeline-rows');
  body.replaceChildren(
    ...view.rows.map((r) => {
      const tr = el('tr', { testid: `row-${r.sequence}` },
        el('td', {}, String(r.sequence)),
        el('td', {}, r.timestamp),
        el('td', {}, r.event_type),
        el('td', {}, r.actor),
        el('td', { className: 'hash' }, short(r.hash)));
      tr.dataset.seq = String(r.sequence);
      if (r.sequence === view.breakAt) tr.classList.add('broken');
      if (r.sequence === view.selected) tr.classList.add('selected');
      tr.addEventListener('click', () => void showEvent(r.sequence));
      return tr;
    }),
  );
  byId<HTMLButtonElement>('page-prev').disabled = view.starts.length < 2;
  byId<HTMLButtonElement>('page-first').disabled = view.starts.length < 2;
  byId<HTMLButtonElement>('page-next').disabled = view.next === null;
}

// ---- one event ----------------------------------------------------------------------------

async function showEvent(seq: number): Promise<void> {
  view.selected = seq;
  renderRows();
  const panel = byId('event-panel');
  const hashes = byId('event-hashes');
  const json = byId('event-json');
  byId('event-seq').textContent = String(seq);
  byId<HTMLButtonElement>('event-proof').disabled = false;
  byId('proof-json').textContent = '';
  if (location.hash !== `#event=${seq}`) history.replaceState(null, '', `#event=${seq}`);
  let detail: EventDetail;
  try {
    detail = await getJson<EventDetail>(`/api/events/${seq}`);
  } catch (e) {
    hashes.replaceChildren();
    json.textContent = (e as Error).message;
    json.className = 'bad';
    return;
  }
  const { event, previous, next } = detail;
  const rows: Array<[string, Node | string]> = [
    ['hash', event.hash],
    ['own hash', detail.content_hash === event.hash ? check(true, 'the content hashes to it') : check(false, `the content hashes to ${detail.content_hash}`)],
    ['previous_hash', event.previous_hash],
    ['link back', previous ? check(previous.hash === event.previous_hash, `equals the stored hash of ${previous.sequence}`) : 'genesis (sequence 0)'],
    ['link forward', next ? check(next.previous_hash === event.hash, `${next.sequence} carries this hash as its previous_hash`) : 'the tip'],
  ];
  if (view.breakAt === seq) rows.unshift(['verification', el('span', { className: 'bad', testid: 'event-broken' }, 'the chain breaks here')]);
  hashes.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  panel.classList.toggle('broken', view.breakAt === seq);
  json.className = '';
  json.textContent = JSON.stringify(event, null, 2);
  const prev = byId<HTMLButtonElement>('event-prev');
  const nextButton = byId<HTMLButtonElement>('event-next');
  prev.disabled = previous === null;
  prev.textContent = previous ? `← previous (${previous.sequence})` : '← previous';
  nextButton.disabled = next === null;
  nextButton.textContent = next ? `next (${next.sequence}) →` : 'next →';
}

// ---- verification -------------------------------------------------------------------------

function runVerify(): void {
  const status = byId('verify-status');
  const progress = byId<HTMLProgressElement>('verify-progress');
  const button = byId<HTMLButtonElement>('verify-run');
  button.disabled = true;
  status.className = 'status';
  status.textContent = 'verifying…';
  progress.value = 0;
  const source = new EventSource('/api/verify');
  const done = () => {
    source.close();
    button.disabled = false;
  };
  source.addEventListener('progress', (m) => {
    const p = JSON.parse((m as MessageEvent<string>).data) as VerifyProgress;
    progress.max = Math.max(1, p.total);
    progress.value = p.count;
    status.textContent = `verifying… ${p.count} / ${p.total}`;
  });
  source.addEventListener('result', (m) => {
    done();
    const r = JSON.parse((m as MessageEvent<string>).data) as VerifyOutcome;
    view.breakAt = r.valid ? null : r.break_at;
    status.dataset.valid = String(r.valid);
    if (r.valid) {
      progress.value = progress.max;
      status.className = 'status ok';
      status.textContent = `valid: ${r.count} events, every hash and link checked`;
    } else {
      status.className = 'status bad';
      const link = el('button', { testid: 'verify-break' }, `show event ${r.break_at}`);
      (link as HTMLButtonElement).type = 'button';
      link.addEventListener('click', () => void showEvent(r.break_at ?? 0));
      status.replaceChildren(`broken at sequence ${r.break_at} (${r.count} events verified before it)${r.reason ? `: ${r.reason}` : ''} `, link);
      status.dataset.breakAt = String(r.break_at);
    }
    renderRows();
    if (view.selected !== null) void showEvent(view.selected);
  });
  source.addEventListener('failure', (m) => {
    done();
    const err = JSON.parse((m as MessageEvent<string>).data) as ApiError['error'];
    status.className = 'status bad';
    status.textContent = `verification could not run: ${err.code}: ${err.message}`;
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED || button.disabled) {
      done();
      if (status.textContent?.startsWith('verifying')) status.textContent = 'the connection to the explorer was lost';
    }
  });
}

// ---- state at a sequence ------------------------------------------------------------------

async function showState(seq: number): Promise<void> {
  const out = byId('state-json');
  try {
    const r = await getJson<StateResponse>(`/api/state?seq=${seq}`);
    out.className = '';
    out.textContent = JSON.stringify(r, null, 2);
  } catch (e) {
    out.className = 'bad';
    out.textContent = (e as Error).message;
  }
}

// ---- wiring -------------------------------------------------------------------------------

function start(): void {
  byId<HTMLFormElement>('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(ev.target as HTMLFormElement);
    view.filters = { type: String(data.get('type') ?? ''), actor: String(data.get('actor') ?? ''), since: String(data.get('since') ?? ''), until: String(data.get('until') ?? '') };
    view.starts = [0];
    void loadPage(0);
  });
  byId('page-next').addEventListener('click', () => {
    if (view.next === null) return;
    view.starts.push(view.next);
    void loadPage(view.next);
  });
  byId('page-prev').addEventListener('click', () => {
    if (view.starts.length > 1) view.starts.pop();
    void loadPage(view.starts[view.starts.length - 1]!);
  });
  byId('page-first').addEventListener('click', () => {
    view.starts = [0];
    void loadPage(0);
  });
  byId('event-prev').addEventListener('click', () => view.selected !== null && void showEvent(view.selected - 1));
  byId('event-next').addEventListener('click', () => view.selected !== null && void showEvent(view.selected + 1));
  byId('verify-run').addEventListener('click', runVerify);
  byId('event-proof').addEventListener('click', () => view.selected !== null && void showProof(view.selected));
  byId<HTMLFormElement>('state-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const seq = Number(new FormData(ev.target as HTMLFormElement).get('seq'));
    void showState(seq);
  });
  void loadTip().catch((e: Error) => (byId('tip').textContent = e.message));
  void loadCheckpoints();
  startSearch((seq) => {
    byId('event-panel').scrollIntoView({ block: 'nearest' });
    void showEvent(seq);
  });
  void loadPage(0);
  const m = /^#event=(\d+)$/.exec(location.hash);
  if (m) void showEvent(Number(m[1]));
}

start();
