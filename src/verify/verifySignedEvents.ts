// Verification of signed events (proofs/signedEvent.ts): the chain, then every event's
// signature against a set of trusted keys, in one pass; the first break, bad or missing
// signature is break_at. Works from an exported file alone, or from any source of lines.

import { readEventLine } from '../contract/eventLine.js';
import { readLines } from '../contract/lineReader.js';
import { GENESIS_HASH } from '../contract/hash.js';
import { parseVerifierKey, type NoteVerifier } from '../proofs/note.js';
import { eventSignatureProblem } from '../proofs/signedEvent.js';
import { ChainCursor } from './chainCursor.js';
import { confirmSuspect, type VerifyOptions, type VerifyResult } from './verifyChain.js';
import { fileLineAt } from './verifyFileParallel.js';

/** Which events must be signed (verifySignedEvents). */
export interface SignedEventsOptions {
  /** Only events of these types must be signed (default: every event). Others are chain-checked only. */
  readonly eventTypes?: readonly string[];
}

/** A source of the ledger's lines in order from sequence 0: a Ledger qualifies. */
export interface LineSource {
  /** The stored lines from `from` to the end, exactly as stored. */
  readLines(from: number): AsyncIterable<{ readonly line: string }>;
}

const asVerifier = (k: string | NoteVerifier): NoteVerifier => (typeof k === 'string' ? parseVerifierKey(k) : k);

/** verifySignedEvents over lines given in order from sequence 0. */
export async function verifySignedLines(
  lines: AsyncIterable<string>,
  trusted: readonly (string | NoteVerifier)[],
  options: SignedEventsOptions = {},
  lineAt?: VerifyOptions['lineAt'],
): Promise<VerifyResult> {
  const keys = trusted.map(asVerifier);
  const only = options.eventTypes === undefined ? undefined : new Set(options.eventTypes);
  const cursor = new ChainCursor(0, GENESIS_HASH);
  for await (const line of lines) {
    const at = cursor.next;
    const chain = cursor.advance(line);
    if (chain !== undefined) return { valid: false, break_at: at, count: at, reason: chain };
    const suspect = cursor.checks.suspect;
    if (suspect !== undefined) {
      cursor.checks.suspect = undefined;
      const repeat = await confirmSuspect(suspect, lineAt);
      if (repeat !== undefined) return { valid: false, break_at: at, count: at, reason: repeat };
    }
    let problem: string | undefined;
    try {
      const event = readEventLine(line, at);
      if (only === undefined || only.has(event.event_type)) problem = eventSignatureProblem(event, keys);
    } catch (e) {
      problem = `cannot be read to check its signature: ${(e as Error).message}`;
    }
    if (problem !== undefined) return { valid: false, break_at: at, count: at, reason: `sequence ${at}: ${problem}` };
  }
  return { valid: true, break_at: null, count: cursor.next };
}

/**
 * Verifies the chain of `source` (an exported file's path, or a Ledger) and that every event
 * (of `options.eventTypes`, if given) is signed by one of `trusted` (verifier key texts
 * `<name>+<id>+<base64>`, or parsed keys). Reports the first broken link, missing, unknown or
 * bad signature as break_at, with the reason.
 *
 * @example
 * const r = await verifySignedEvents('export.jsonl', [producerVerifierKey]);
 * if (!r.valid) console.error(`sequence ${r.break_at}: ${r.reason}`);
 */
export async function verifySignedEvents(source: string | LineSource, trusted: readonly (string | NoteVerifier)[], options: SignedEventsOptions = {}): Promise<VerifyResult> {
  if (typeof source === 'string') return verifySignedLines(readLines(source), trusted, options, fileLineAt(source));
  async function* lines(): AsyncGenerator<string> {
    for await (const { line } of (source as LineSource).readLines(0)) yield line;
  }
  const lineAt = async (sequence: number): Promise<string | undefined> => {
    for await (const { line } of (source as LineSource).readLines(sequence)) return line;
    return undefined;
  };
  return verifySignedLines(lines(), trusted, options, lineAt);
}
