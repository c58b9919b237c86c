// Helpers for tampering with ledger files in tests.
import { canonicalJson, sha256 } from '../../src/index.js';

/** Byte spans [start, end) of each line, newline excluded. */
export function spans(buf: Buffer): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < buf.length; ) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    out.push({ start, end });
    start = end + 1;
  }
  return out;
}

/** Lines as a ledger file: each followed by a newline. */
export const joinLines = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');

/** A self-consistent forgery of a line: new payload, own hash recomputed, previous_hash kept unless given. */
export function forge(line: string, payload: Record<string, unknown>, previousHash?: string): { line: string; hash: string } {
  const { hash: _old, ...rest } = JSON.parse(line) as Record<string, unknown>;
  const body = { ...rest, payload, ...(previousHash ? { previous_hash: previousHash } : {}) };
  const hash = sha256(canonicalJson(body));
  return { line: canonicalJson({ ...body, hash }), hash };
}
