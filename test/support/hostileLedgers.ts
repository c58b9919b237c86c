// Ledger files for the hostile suite, built by hand from canonical text (not through the
// ledger's own writer), and forgeries: lines whose hash is computed over one reading of the
// line while the bytes allow another (duplicate keys, floats, lone surrogates, `true` as a
// sequence). Every builder is deterministic, so a fuzz seed always means the same files.
import { createHash } from 'node:crypto';

export const GENESIS = `sha256:${'0'.repeat(64)}`;
const PROVENANCE = '{"actor":"system","framework_id":"FMWK-001","pack_id":"PC-001-ledger"}';

export const sha256Hex = (text: string | Buffer): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** The canonical text of an event without `hash`, around a payload text given verbatim. */
export function eventBody(sequence: number | string, previousHash: string, payloadText: string, eventType = 'session_start'): string {
  const id = `01936b2e-5a00-7000-8000-${String(sequence).padStart(12, '0').slice(-12)}`;
  return (
    `{"event_id":"${id}","event_type":"${eventType}","payload":${payloadText},"previous_hash":"${previousHash}",` +
    `"provenance":${PROVENANCE},"schema_version":"1.0.0","sequence":${sequence},"timestamp":"2026-01-01T00:00:00.000Z"}`
  );
}

/** The stored line of `body` with `hash` in its canonical place (before "payload"). */
export function withHash(body: string, hash: string): string {
  const at = body.indexOf(',"payload":');
  if (at < 0) throw new Error('eventBody text expected');
  return `${body.slice(0, at)},"hash":"${hash}"${body.slice(at)}`;
}

/** A valid chain of lines over canonical payload texts, and each line's hash. */
export function chain(payloadTexts: readonly string[], start = 0, previous = GENESIS): { lines: string[]; hashes: string[] } {
  const lines: string[] = [];
  const hashes: string[] = [];
  payloadTexts.forEach((p, i) => {
    const body = eventBody(start + i, previous, p);
    previous = sha256Hex(body);
    hashes.push(previous);
    lines.push(withHash(body, previous));
  });
  return { lines, hashes };
}

/**
 * A chain in which line `at` is a forgery: its hash is over `hashedPayload` (canonical), its
 * bytes show `shownPayload`, and the lines after it link to that hash as an honest writer
 * would have. `shownLine` may rewrite the whole line (for top-level forgeries).
 */
export function forgedChain(
  payloads: readonly string[],
  at: number,
  hashedPayload: string,
  shownPayload: string,
  shownLine?: (line: string, body: string, hash: string) => string,
): string[] {
  const before = chain(payloads.slice(0, at));
  const prev = before.hashes.at(-1) ?? GENESIS;
  const body = eventBody(at, prev, hashedPayload);
  const hash = sha256Hex(body);
  const honest = withHash(body, hash);
  const shown = shownLine ? shownLine(honest, body, hash) : honest.replace(`"payload":${hashedPayload}`, `"payload":${shownPayload}`);
  const after = chain(payloads.slice(at + 1), at + 1, hash);
  return [...before.lines, shown, ...after.lines];
}

/** A payload nested `depth` arrays deep inside an object (canonical text). */
export const deepPayload = (depth: number): string => `{"d":${'['.repeat(depth)}${']'.repeat(depth)},"session_id":"deep"}`;

/** Canonical payload texts with the traps a verifier can trip on; U+FFFD included on purpose. */
export const BASE_PAYLOADS: readonly string[] = [
  '{"session_id":"s-0"}',
  '{"k":"\ufffd","s":"café € 日本 😀 \u2028 \ufffd\ufffd\ufffd\ufffd","session_id":"s-1"}',
  '{"c":"tab\\t nl\\n quote\\" bs\\\\ \\u0001 \\u001f","session_id":"s-2"}',
  '{"a":[1,-2,{"b":null,"c":true,"d":false}],"session_id":"s-3","z":{"10":1,"9":2}}',
  '{"big":1180591620717411303424,"neg":-1180591620717411303424,"session_id":"s-4"}',
  '{"session_id":"s-5","\ue000":1,"😀":2}',
  '{"m":-9007199254740991,"n":0,"session_id":"s-6","x":""}',
  '{"session_id":"s-7","t":"\u00e9\u0301 \u{10ffff} \uffff"}',
];

export const toFile = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
