// The Ledger's line-level reads (readLines, readLine, location, description): what replay,
// snapshots and the CLI use instead of reaching into the store.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger, LedgerCorruptionError, LedgerNotFoundError, LedgerValidationError, MemoryStore, type StoredLine } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { rejection } from '../support/rejection.js';

async function collect(lines: AsyncIterable<StoredLine>): Promise<StoredLine[]> {
  const out: StoredLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
}


describe('Ledger line-level reads', () => {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('readLines and readLine give the stored bytes exactly, with their sequences; location and description name the store', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    for (let i = 0; i < 5; i++) await ledger.append(sessionStart(`s${i}`));
    const file = readFileSync(join(dir, 'ledger.jsonl'), 'utf8').split('\n').slice(0, -1);
    expect(await collect(ledger.readLines(0))).to.deep.equal(file.map((line, sequence) => ({ sequence, line })));
    expect(await collect(ledger.readLines(1, 3))).to.deep.equal([1, 2, 3].map((sequence) => ({ sequence, line: file[sequence] })));
    expect(await collect(ledger.readLines(4, 3)), 'to below from: nothing').to.deep.equal([]);
    expect(await ledger.readLine(2)).to.equal(file[2]);
    expect(ledger.location).to.equal(dir);
    expect(ledger.description).to.contain(dir);
    await ledger.close();
  });

  it('a range past the end is LedgerCorruptionError at the first missing sequence; a missing line is LedgerNotFoundError; bad bounds are LedgerValidationError naming them', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    for (let i = 0; i < 3; i++) await ledger.append(sessionStart(`s${i}`));
    const short = (await rejection(collect(ledger.readLines(1, 6)))) as LedgerCorruptionError;
    expect(short).to.be.instanceOf(LedgerCorruptionError);
    expect(short.sequence).to.equal(3);
    const missing = (await rejection(ledger.readLine(3))) as LedgerNotFoundError;
    expect(missing).to.be.instanceOf(LedgerNotFoundError);
    expect(missing.sequence).to.equal(3);
    for (const [p, field] of [[collect(ledger.readLines(-1, 2)), 'from'], [collect(ledger.readLines(0.5)), 'from'], [collect(ledger.readLines(0, -2)), 'to'], [ledger.readLine(-1), 'sequence']] as const) {
      const e = (await rejection(p)) as LedgerValidationError;
      expect(e).to.be.instanceOf(LedgerValidationError);
      expect(e.path).to.equal(field);
    }
    expect(ledger.location, 'a memory store keeps no directory').to.equal(undefined);
    await ledger.close();
  });

  it('nothing in replay/, snapshots/ or the CLI reaches into ledger.store', async () => {
    // dist/test/ledger -> the repository root, where the sources are.
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const offenders: string[] = [];
    for (const folder of ['replay', 'snapshots', 'src/cli', 'examples']) {
      for (const entry of await readdir(join(root, folder), { recursive: true })) {
        if (!entry.endsWith('.ts')) continue;
        const text = readFileSync(join(root, folder, entry), 'utf8');
        for (const m of text.matchAll(/\b(\w+)\.store\b/g)) if (m[1] !== 'values') offenders.push(`${relative(root, join(root, folder, entry))}: ${m[0]}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
