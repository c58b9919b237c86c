import { readLines } from './lineReader.js';
import { verifyLines, type VerifyOptions, type VerifyResult } from './verifyChain.js';

/**
 * Cold verification of an exported ledger file (canonical JSONL, genesis first): needs
 * nothing but the file. Gives the same answer as Ledger.verifyChain() on the same events.
 */
export function verifyFile(path: string, options: Omit<VerifyOptions, 'start' | 'previousHash'> = {}): Promise<VerifyResult> {
  return verifyLines(readLines(path), options);
}
