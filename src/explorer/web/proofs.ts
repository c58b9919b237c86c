// The page's proof views: the latest signed checkpoint with each witness cosignature and whether
// it verifies, the earlier checkpoints (--checkpoints DIR) and the consistency of the latest with
// one of them, and an event's inclusion proof. What the server could not check says so; nothing
// unchecked or failing is ever shown as verified.
import type { CheckpointEntry, CheckpointsResponse, ConsistencyResponse, CosignatureStatus, InclusionResponse } from '../apiTypes.js';
import { button, byId, check, el, getJson } from './dom.js';

/** The latest checkpoint's log signature as last loaded (undefined: none loaded): an inclusion proof's verdict depends on it. */
let latestSignature: boolean | null | undefined;

const signatureText = (v: boolean | null, reason?: string): string =>
  v === null ? 'signature not checked (no --key)' : v ? '✓ signature verified with the log key' : `✗ the signature does not verify${reason ? ` (${reason})` : ''}`;

function cosignatureItem(c: CosignatureStatus): HTMLElement {
  const when = c.time === null ? 'no time' : `at ${new Date(c.time * 1000).toISOString()}`;
  const who = `${c.name} (key ${c.key_id}) ${when}`;
  const li = c.verified === null
    ? el('li', { className: 'unknown', testid: 'cosignature' }, `? ${who}: ${c.reason ?? 'not checked'}`)
    : el('li', { className: c.verified ? 'ok' : 'bad', testid: 'cosignature' }, `${c.verified ? '✓' : '✗'} ${who}: ${c.verified ? 'verifies with the witness key given' : c.reason ?? 'does not verify'}`);
  li.dataset.verified = String(c.verified);
  li.dataset.witness = c.name;
  return li;
}

function cosignatureList(list: readonly CosignatureStatus[], witnessKeys: number): Node {
  if (list.length === 0) return el('p', { className: 'status', testid: 'no-cosignature' }, 'no witness cosignature on this checkpoint');
  const ok = list.filter((c) => c.verified === true).length;
  const summary = el('p', { className: 'status', testid: 'cosignature-summary' },
    `${list.length} cosignature${list.length === 1 ? '' : 's'}: ${ok} verif${ok === 1 ? 'ies' : 'y'} with the ${witnessKeys} witness key${witnessKeys === 1 ? '' : 's'} given (--witnesses)`);
  return el('div', {}, summary, el('ul', { className: 'cosignatures' }, ...list.map(cosignatureItem)));
}

function describe(e: CheckpointEntry): string {
  return e.error === undefined ? `${e.origin}: ${e.size} events, root ${e.root}; ${signatureText(e.signature_verified, e.signature_reason)}` : `${e.file}: ✗ ${e.error.code}: ${e.error.message}`;
}

async function showConsistency(file: string): Promise<void> {
  const out = byId('consistency-result');
  out.replaceChildren('checking…');
  out.className = 'status';
  delete out.dataset.consistent;
  try {
    const r = await getJson<ConsistencyResponse>(`/api/consistency?${new URLSearchParams({ file }).toString()}`);
    // Verified only when the proof holds and no signature failed; unchecked signatures are said so.
    const ok = r.consistent && r.from.signature_verified !== false && r.to.signature_verified !== false;
    out.dataset.consistent = String(ok);
    out.className = `status ${ok ? 'ok' : 'bad'}`;
    const head = r.consistent
      ? `✓ the latest checkpoint (${r.to.size} events) extends ${file} (${r.from.size} events): the consistency proof leads from its root to the latest root`
      : `✗ the latest checkpoint (${r.to.size} events) does not extend ${file} (${r.from.size} events): ${r.reason ?? 'the proof fails'}`;
    const sigs = [r.from.signature_verified, r.to.signature_verified].includes(false)
      ? '✗ a checkpoint signature does not verify'
      : r.from.signature_verified === null ? 'signatures not checked (no --key)' : 'both signatures verified with the log key';
    const ledger = r.ledger_matches_latest ? "the ledger's events give the latest root" : "✗ the ledger's events do not give the latest root";
    out.replaceChildren(
      el('span', { testid: 'consistency-verdict' }, head),
      el('br'),
      `${sigs}; ${ledger}`,
      el('pre', { testid: 'consistency-proof' }, JSON.stringify({ from: r.from.size, to: r.to.size, proof: r.proof }, null, 2)),
    );
  } catch (e) {
    out.dataset.consistent = 'false';
    out.className = 'status bad';
    out.textContent = (e as Error).message;
  }
}

/** Loads the checkpoints panel. */
export async function loadCheckpoints(): Promise<void> {
  const status = byId('checkpoint-status');
  const cosigs = byId('checkpoint-cosignatures');
  const earlier = byId('earlier-checkpoints');
  let r: CheckpointsResponse;
  try {
    r = await getJson<CheckpointsResponse>('/api/checkpoints');
  } catch (e) {
    status.className = 'status bad';
    status.textContent = (e as Error).message;
    return;
  }
  const l = r.latest;
  latestSignature = l === null || l.error !== undefined ? undefined : l.signature_verified;
  if (l === null) {
    status.className = 'status';
    status.textContent = 'no signed checkpoint is kept beside this ledger (fmwk-ledger checkpoint --store STORE --key KEYFILE takes one)';
  } else {
    status.className = l.error !== undefined || l.signature_verified === false ? 'status bad' : 'status';
    status.textContent = describe(l);
    if (l.error === undefined) {
      byId('checkpoint-note').textContent = l.note;
      cosigs.replaceChildren(cosignatureList(l.cosignatures, r.witness_keys));
    }
  }
  if (r.earlier.length === 0) {
    earlier.replaceChildren(el('p', { className: 'status' }, 'no earlier checkpoints (serve --checkpoints DIR shows the ones saved there)'));
    return;
  }
  const canCheck = l !== null && l.error === undefined;
  earlier.replaceChildren(
    el('table', { testid: 'earlier-table' },
      el('thead', {}, el('tr', {}, el('th', {}, 'file'), el('th', {}, 'size'), el('th', {}, 'log signature'), el('th', {}, 'cosignatures'), el('th', {}, ''))),
      el('tbody', {}, ...r.earlier.map((e) => {
        const tr = e.error !== undefined
          ? el('tr', { className: 'broken', testid: `earlier-${e.file}` }, el('td', {}, e.file), el('td', { className: 'bad' }, `✗ ${e.error.code}: ${e.error.message}`), el('td'), el('td'), el('td'))
          : el('tr', { testid: `earlier-${e.file}` },
              el('td', {}, e.file),
              el('td', {}, String(e.size)),
              el('td', {}, e.signature_verified === null ? 'not checked' : check(e.signature_verified, e.signature_verified ? 'verified' : 'does not verify')),
              el('td', {}, e.cosignatures.length === 0 ? 'none' : el('ul', { className: 'cosignatures' }, ...e.cosignatures.map(cosignatureItem))),
              el('td', {}, canCheck ? button('consistency with the latest', 'check-consistency', () => void showConsistency(e.file)) : ''));
        return tr;
      })),
    ),
  );
}

export async function showProof(seq: number): Promise<void> {
  const out = byId('proof-json');
  try {
    const p = await getJson<InclusionResponse>(`/api/proof/${seq}`);
    // A root is only as good as its signature: a checkpoint whose signature fails proves nothing.
    const against =
      p.matches_checkpoint === null ? 'no checkpoint of this size'
      : !p.matches_checkpoint ? '✗ does not lead to the checkpoint root'
      : latestSignature === false ? "✗ leads to the latest checkpoint's root, but that checkpoint's signature does not verify"
      : latestSignature === true ? '✓ leads to the signed checkpoint root'
      : "leads to the latest checkpoint's root (its signature not checked: no --key)";
    out.className = against.startsWith('✗') ? 'bad' : '';
    out.textContent = `event ${p.sequence} in the tree of ${p.size}: ${against}\n${JSON.stringify(p, null, 2)}`;
  } catch (e) {
    out.className = 'bad';
    out.textContent = (e as Error).message;
  }
}
