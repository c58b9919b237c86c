import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, type SeedAppendInput } from '../../src/index.js';
import { tempDir } from './tempDir.js';

/** A directory ledger in a fresh temp dir holding `inputs`, appended in order, and its stored lines. */
export async function directoryLedger(inputs: readonly SeedAppendInput[]): Promise<{ dir: string; file: string; lines: string[]; remove: () => void }> {
  const { dir, remove } = tempDir();
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  try {
    for (const input of inputs) await ledger.append(input);
  } finally {
    await ledger.close();
  }
  const file = join(dir, 'ledger.jsonl');
  return { dir, file, lines: readFileSync(file, 'utf8').split('\n').filter(Boolean), remove };
}

/**
 * In a mocha suite: a fresh directoryLedger(inputs()) before each test, removed after. The
 * returned object reads the current one (its dir, its ledger.jsonl and its stored lines).
 */
export function eachDirectoryLedger(inputs: () => readonly SeedAppendInput[]): { readonly dir: string; readonly file: string; readonly lines: readonly string[] } {
  let current: Awaited<ReturnType<typeof directoryLedger>> | undefined;
  beforeEach(async () => {
    current = await directoryLedger(inputs());
  });
  afterEach(() => current?.remove());
  const now = () => current ?? assertNever();
  return {
    get dir() { return now().dir; },
    get file() { return now().file; },
    get lines() { return now().lines; },
  };
}

function assertNever(): never {
  throw new Error('eachDirectoryLedger: read outside a test');
}
