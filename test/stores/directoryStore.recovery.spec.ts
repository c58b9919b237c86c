// What opening does with a torn last line (an unacknowledged write) and with corruption in
// the middle, decided and documented in README "The directory store".
import { expect } from 'chai';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, LedgerCorruptionError } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { expectReject } from './ledgerStoreContract.js';

async function ledgerWith(dir: string, n: number): Promise<void> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir));
  for (let i = 0; i < n; i++) await ledger.append(sessionStart(`s${i}`));
  await ledger.close();
}

describe('DirectoryStore recovery', function () {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('a torn last line is ignored by readers, quarantined to torn/ by the next writer, and appends continue', async () => {
    await ledgerWith(dir, 3);
    const file = join(dir, 'ledger.jsonl');
    const whole = readFileSync(file);
    const torn = '{"event_id":"0192","event_type":"session_st';
    appendFileSync(file, torn);

    const reader = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
    expect((await reader.getTip()).sequence_number).to.equal(2);
    expect(await reader.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: 3 });
    await reader.close();

    const writer = await Ledger.open(await DirectoryStore.open(dir));
    expect(readFileSync(file)).to.deep.equal(whole);
    const kept = readdirSync(join(dir, 'torn'));
    expect(kept).to.have.length(1);
    expect(readFileSync(join(dir, 'torn', kept[0]!), 'utf8')).to.equal(torn);
    expect((await writer.append(sessionStart('s3'))).sequence).to.equal(3);
    expect((await writer.verifyChain()).valid).to.equal(true);
    await writer.close();
  });

  it('corruption in the middle: open stays fast, read names the sequence, verifyChain reports it, verifyOnOpen refuses', async () => {
    await ledgerWith(dir, 6);
    const file = join(dir, 'ledger.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 40); // a complete line that is not an event
    writeFileSync(file, lines.join('\n'));

    const ledger = await Ledger.open(await DirectoryStore.open(dir));
    const e = await expectReject(ledger.read(2), LedgerCorruptionError);
    expect((e as LedgerCorruptionError).sequence).to.equal(2);
    expect(await ledger.verifyChain()).to.deep.include({ valid: false, break_at: 2, count: 2 });
    await ledger.close();
    const again = await expectReject(Ledger.open(await DirectoryStore.open(dir, { readOnly: true }), { verifyOnOpen: true }), LedgerCorruptionError);
    expect((again as LedgerCorruptionError).sequence).to.equal(2);
  });

  it('a last complete line whose hash does not match its content refuses to open', async () => {
    await ledgerWith(dir, 2);
    const file = join(dir, 'ledger.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"session_id":"s1"', '"session_id":"S1"'));
    const e = await expectReject(DirectoryStore.open(dir), LedgerCorruptionError);
    expect((e as LedgerCorruptionError).sequence).to.equal(1);
  });
});
