// Replay's byte path (a store with scanLineBatches) against its string path (the same store with
// the byte scan hidden): the same state on an intact ledger, the same LedgerCorruptionError
// (sequence and message) on every tampered one, never a state folded from a bad line.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { DirectoryStore, Ledger, ReplayEngine, canonicalJson, sha256 } from '../../src/index.js';
import { counts, delta, totals } from '../support/replayFixtures.js';
import { stringsOnly } from '../support/stringsOnlyStore.js';
import { eachDirectoryLedger } from '../support/directoryLedger.js';

type Outcome = { state: string } | { error: string; sequence: unknown };

describe('ReplayEngine: the byte path agrees with the string path', function () {
  this.timeout(20_000);
  const t = eachDirectoryLedger(() => Array.from({ length: 8 }, (_, i) => delta(`n${i % 3}`, i - 2)));

  async function replay(ledger: Ledger, to?: number): Promise<Outcome> {
    const engine = new ReplayEngine(ledger, { projections: [totals, counts], snapshots: false });
    try {
      return { state: sha256(canonicalJson(await engine.replay(to === undefined ? {} : { to }))) };
    } catch (e) {
      return { error: `${(e as Error).name}: ${(e as Error).message}`, sequence: (e as { sequence?: unknown }).sequence };
    }
  }

  async function agree(bytes: Buffer | string): Promise<Outcome> {
    writeFileSync(t.file, bytes);
    const byBytes = await Ledger.open(await DirectoryStore.open(t.dir, { readOnly: true }));
    const byStrings = await Ledger.open(stringsOnly(await DirectoryStore.open(t.dir, { readOnly: true })));
    try {
      expect(byBytes.readLineBatches(0, 0), 'the byte path is taken').to.not.equal(undefined);
      expect(byStrings.readLineBatches(0, 0)).to.equal(undefined);
      const tip = (await byBytes.getTip()).sequence_number;
      for (const to of [undefined, 0, Math.max(0, tip - 2)]) {
        expect(await replay(byBytes, to), `replay to ${to}`).to.deep.equal(await replay(byStrings, to));
      }
      return await replay(byBytes);
    } finally {
      await byBytes.close();
      await byStrings.close();
    }
  }

  const lines = (ls: readonly string[]) => ls.map((l) => `${l}\n`).join('');

  it('an intact ledger folds to the same state', async () => {
    expect(await agree(lines(t.lines))).to.have.property('state');
  });

  it('a flipped byte is LedgerCorruptionError at its sequence', async () => {
    const bad = [...t.lines];
    bad[5] = bad[5]!.replace('"n2"', '"n9"');
    expect(await agree(lines(bad))).to.include({ sequence: 5 });
  });

  it('invalid UTF-8 is LedgerCorruptionError at its sequence, both ways', async () => {
    const bytes = Buffer.from(lines(t.lines), 'utf8');
    bytes[bytes.indexOf('"n1"', Buffer.byteLength(lines(t.lines.slice(0, 4)))) + 1] = 0xc0;
    expect(await agree(bytes)).to.include({ sequence: 4 });
  });

  it('a duplicate key, a truncated line and an inserted copy of an earlier line break where they stand', async () => {
    const dup = [...t.lines];
    dup[3] = dup[3]!.replace('"delta":', '"delta":1,"delta":');
    expect(await agree(lines(dup))).to.include({ sequence: 3 });
    const cut = [...t.lines];
    cut[2] = cut[2]!.slice(0, 50);
    expect(await agree(lines(cut))).to.include({ sequence: 2 });
    expect(await agree(lines([...t.lines.slice(0, 4), t.lines[1]!, ...t.lines.slice(4)]))).to.include({ sequence: 4 });
  });

  it('an edited event with its own hash recomputed breaks the link at the next event, both ways', async () => {
    const bad = [...t.lines];
    const { hash: _h, ...body } = JSON.parse(bad[6]!) as Record<string, unknown>;
    const edited = { ...body, payload: { node_id: 'n0', signal: 'x', delta: 1000 } };
    bad[6] = canonicalJson({ ...edited, hash: sha256(canonicalJson(edited)) });
    expect(await agree(lines(bad))).to.include({ sequence: 7 });
  });
});
