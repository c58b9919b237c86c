import { readLines } from './lineReader.js';
import { verifyLines, type VerifyOptions, type VerifyResult } from './verifyChain.js';

/**
 * Cold verification of an exported ledger file (canonical JSONL, genesis first): needs
 * nothing but the file. Gives the same answer as Ledger.verifyChain() on the same events.
 * Bytes after the last newline are an unfinished write, not an event, exactly as the
 * directory store treats them; their count is reported as `torn_bytes`.
 */
export async function verifyFile(path: string, options: Omit<VerifyOptions, 'start' | 'previousHash'> = {}): Promise<VerifyResult> {
  let torn = 0;
  const result = await verifyLines(readLines(path, 0, Infinity, (bytes) => (torn = bytes)), options);
  return torn > 0 && result.valid ? { ...result, torn_bytes: torn } : result;
}
