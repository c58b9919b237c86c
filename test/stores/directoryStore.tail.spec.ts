// Opening for writing never builds on a fork (issue 8 §1): the last two complete lines must link.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, LedgerCorruptionError } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { lockLeftovers } from '../support/lockTest.js';
import { tempDir } from '../support/tempDir.js';
import { expectReject } from './ledgerStoreContract.js';

/** The lines of a fresh store holding sessions `ids`, after `prefix` lines copied in. */
async function linesOf(dir: string, ids: string[], prefix: string[] = []): Promise<string[]> {
  if (prefix.length) writeFileSync(join(dir, 'ledger.jsonl'), prefix.map((l) => `${l}\n`).join(''));
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  for (const id of ids) await ledger.append(sessionStart(id));
  await ledger.close();
  return readFileSync(join(dir, 'ledger.jsonl'), 'utf8').split('\n').filter(Boolean);
}

describe('DirectoryStore open for writing: the tail must link', function () {
  let a: string;
  let b: string;
  const removers: Array<() => void> = [];
  beforeEach(() => {
    const x = tempDir();
    const y = tempDir();
    a = x.dir;
    b = y.dir;
    removers.push(x.remove, y.remove);
  });
  afterEach(() => {
    for (const r of removers.splice(0)) r();
  });

  async function expectRefused(lines: string[], sequence: number, reason: RegExp): Promise<void> {
    const file = join(a, 'ledger.jsonl');
    const bytes = `${lines.join('\n')}\n`;
    writeFileSync(file, bytes);
    const e = (await expectReject(DirectoryStore.open(a), LedgerCorruptionError)) as LedgerCorruptionError;
    expect(e.sequence, e.message).to.equal(sequence);
    expect(e.message).to.match(reason).and.contain(file);
    expect(readFileSync(file, 'utf8')).to.equal(bytes); // nothing appended, nothing cut
    expect(lockLeftovers(a)).to.deep.equal([]);
    // Readers still open it, and verification names the same sequence.
    const reader = await Ledger.open(await DirectoryStore.open(a, { readOnly: true }));
    expect(await reader.verifyChain()).to.deep.include({ valid: false, break_at: sequence });
    await reader.close();
  }

  it('two lines claiming one sequence (a fork acknowledged twice) are refused naming where the chain breaks', async () => {
    const main = await linesOf(a, ['s0', 's1', 's2']);
    const fork = await linesOf(b, ['other-2'], main.slice(0, 2)); // the same 0..1, then another 2
    expect(fork[2]).to.not.equal(main[2]);
    await expectRefused([...main, fork[2]!], 3, /the last two lines do not link: sequence 2 .* is followed by sequence 2 /);
  });

  it('a last line from another branch (next sequence, other previous_hash) is refused', async () => {
    const main = await linesOf(a, ['s0', 's1', 's2']);
    const branch = await linesOf(b, ['x2', 'x3'], main.slice(0, 2));
    await expectRefused([...main, branch[3]!], 3, /sequence 2 .* is followed by sequence 3 with previous_hash/);
  });

  it('an intact last line after a damaged one is refused', async () => {
    const main = await linesOf(a, ['s0', 's1', 's2', 's3']);
    await expectRefused([main[0]!, main[1]!, main[2]!.slice(0, 50), main[3]!], 2, /the line before the last is not an intact event/);
  });

  it('a lone line that is not event 0 on the genesis hash is refused', async () => {
    const main = await linesOf(a, ['s0', 's1', 's2']);
    await expectRefused([main[2]!], 0, /the only line has sequence 2/);
  });

  it('a linked tail with a torn write after it still opens, and appends continue', async () => {
    const main = await linesOf(a, ['s0', 's1']);
    writeFileSync(join(a, 'ledger.jsonl'), `${main.join('\n')}\n{"event_id":"torn`);
    const ledger = await Ledger.open(await DirectoryStore.open(a));
    expect((await ledger.append(sessionStart('s2'))).sequence).to.equal(2);
    expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 3 });
    await ledger.close();
  });
});
