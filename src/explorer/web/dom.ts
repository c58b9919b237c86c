// The page's DOM and fetch helpers, shared by its parts. Values reach the DOM as text nodes only.
import type { ApiError } from '../apiTypes.js';

export function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing element #${id}`);
  return e as T;
}

/** An element whose children are elements or plain text (strings become text nodes). */
export function el(tag: string, props: { className?: string; testid?: string } = {}, ...children: Array<Node | string>): HTMLElement {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.testid) e.dataset.testid = props.testid;
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

/** A button that runs `onClick`. */
export function button(text: string, testid: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { testid, className: 'link' }, text) as HTMLButtonElement;
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** ✓ or ✗ and a text, green or red. */
export function check(ok: boolean, text: string, testid?: string): HTMLElement {
  return el('span', { className: ok ? 'ok' : 'bad', ...(testid ? { testid } : {}) }, `${ok ? '✓' : '✗'} ${text}`);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as T | ApiError;
  if (!res.ok) {
    const err = (body as ApiError).error;
    throw new Error(err ? `${err.code}: ${err.message}` : `HTTP ${res.status}`);
  }
  return body as T;
}

export const short = (hash: string): string => (hash.startsWith('sha256:') ? `${hash.slice(7, 19)}…` : hash);
