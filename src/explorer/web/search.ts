// The page's search box and stream view: one string read as a sequence, a hash, an event id or
// a stream id (the server says which readings it tried and what each found); a stream opens its
// events in version order, a page at a time.
import type { SearchHit, SearchResponse, StreamPage } from '../apiTypes.js';
import { button, byId, el, getJson, short } from './dom.js';

const STREAM_PAGE = 20;
const KIND: Record<SearchHit['kind'], string> = { sequence: 'sequence', hash: 'hash', event_id: 'event_id', stream: 'stream id' };

const stream = {
  id: null as string | null,
  /** Start version of every page shown so far (the last is the current page). */
  starts: [0] as number[],
  next: null as number | null,
};

let showEvent: (seq: number) => void = () => undefined;

async function runSearch(q: string): Promise<void> {
  const out = byId('search-results');
  const status = byId('search-status');
  byId('search-panel').hidden = false;
  status.className = 'status';
  status.textContent = 'searching…';
  out.replaceChildren();
  let r: SearchResponse;
  try {
    r = await getJson<SearchResponse>(`/api/search?${new URLSearchParams({ q }).toString()}`);
  } catch (e) {
    status.className = 'status bad';
    status.textContent = (e as Error).message;
    return;
  }
  const read = `read as ${r.tried.map((k) => KIND[k]).join(', ')}`;
  const failed = r.errors.length === 0 ? '' : `; ${r.errors.length} lookup${r.errors.length === 1 ? '' : 's'} failed, below`;
  status.textContent = `${r.hits.length === 0 ? 'nothing found' : `${r.hits.length} found`} (${read})${failed}`;
  if (failed) status.className = 'status bad';
  out.replaceChildren(
    ...r.hits.map((h) => {
      if (h.kind === 'stream') {
        const s = h.stream;
        return el('li', { testid: 'search-hit' }, `stream ${JSON.stringify(s.stream_id)}: ${s.version + 1} event${s.version === 0 ? '' : 's'}, newest at sequence ${s.sequence} `,
          button('open the stream', 'search-open-stream', () => void openStream(s.stream_id, 0)));
      }
      const e = h.event;
      return el('li', { testid: 'search-hit' }, `by ${KIND[h.kind]}: event ${e.sequence}, ${e.event_type}, ${short(e.hash)} `,
        button(`show event ${e.sequence}`, 'search-open-event', () => showEvent(e.sequence)));
    }),
    // A lookup that failed (the index names an event the ledger does not hold as claimed): shown, never replaced by a guess.
    ...r.errors.map((e) => el('li', { className: 'bad', testid: 'search-error' }, `by ${KIND[e.kind]}: ${e.code}: ${e.message}`)),
  );
  if (r.hits.length === 1) {
    const only = r.hits[0]!;
    if (only.kind === 'stream') void openStream(only.stream.stream_id, 0);
    else showEvent(only.event.sequence);
  }
}

async function openStream(id: string, from: number, push = from === 0 ? 'reset' : 'keep'): Promise<void> {
  if (push === 'reset' || stream.id !== id) stream.starts = [0];
  stream.id = id;
  const panel = byId('stream-panel');
  const info = byId('stream-info');
  const body = byId('stream-rows');
  panel.hidden = false;
  byId('stream-id').textContent = id;
  try {
    const page = await getJson<StreamPage>(`/api/stream?${new URLSearchParams({ id, from: String(from), limit: String(STREAM_PAGE) }).toString()}`);
    stream.next = page.next;
    const n = page.events.length;
    info.className = '';
    info.textContent =
      n === 0
        ? `stream ${JSON.stringify(id)} has no events from version ${from}`
        : `versions ${page.events[0]!.stream_version}–${page.events[n - 1]!.stream_version} of stream ${JSON.stringify(id)}, page ${stream.starts.length}, ${n} shown${page.next === null ? ' (the newest is the last)' : ''}`;
    body.replaceChildren(
      ...page.events.map((r) => {
        const tr = el('tr', { testid: `stream-row-${r.stream_version}` },
          el('td', {}, String(r.stream_version)), el('td', {}, String(r.sequence)), el('td', {}, r.timestamp), el('td', {}, r.event_type), el('td', { className: 'hash' }, short(r.hash)));
        tr.dataset.seq = String(r.sequence);
        tr.addEventListener('click', () => showEvent(r.sequence));
        return tr;
      }),
    );
  } catch (e) {
    stream.next = null;
    body.replaceChildren();
    info.className = 'bad';
    info.textContent = (e as Error).message;
  }
  byId<HTMLButtonElement>('stream-prev').disabled = stream.starts.length < 2;
  byId<HTMLButtonElement>('stream-next').disabled = stream.next === null;
}

/** Wires the search form and the stream pager; `show` opens an event in the event panel. */
export function startSearch(show: (seq: number) => void): void {
  showEvent = show;
  byId<HTMLFormElement>('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = String(new FormData(ev.target as HTMLFormElement).get('q') ?? '');
    if (q.trim() !== '') void runSearch(q);
  });
  byId('stream-next').addEventListener('click', () => {
    if (stream.id === null || stream.next === null) return;
    stream.starts.push(stream.next);
    void openStream(stream.id, stream.next, 'keep');
  });
  byId('stream-prev').addEventListener('click', () => {
    if (stream.id === null || stream.starts.length < 2) return;
    stream.starts.pop();
    void openStream(stream.id, stream.starts[stream.starts.length - 1]!, 'keep');
  });
}
