// Ledger.verifyChain's byte path (a store with scanLineBatches: the directory store) against its
// string path (the same store with scanLineBatches hidden): on every tampered file and every
// range, the same verdict, break, count and reason, or the same error.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { DirectoryStore, Ledger, canonicalJson, sha256 } from '../../src/index.js';
import { verifyFile } from '../../src/verify/verifyFile.js';
import { GENESIS_HASH } from '../../src/contract/hash.js';
import { sessionStart } from '../support/fixtures.js';
import { stringsOnly } from '../support/stringsOnlyStore.js';
import { eachDirectoryLedger } from '../support/directoryLedger.js';

/** Lines re-linked and re-hashed from `from` on (a forger who recomputes every hash after an edit). */
function rechain(lines: string[], from: number): string[] {
  const out = lines.slice(0, from);
  let previous = from === 0 ? GENESIS_HASH : (JSON.parse(out[from - 1]!) as { hash: string }).hash;
  for (const line of lines.slice(from)) {
    const { hash: _old, ...body } = JSON.parse(line) as Record<string, unknown>;
    const linked = { ...body, previous_hash: previous };
    previous = sha256(canonicalJson(linked));
    out.push(canonicalJson({ ...linked, hash: previous }));
  }
  return out;
}

type Outcome = { result: unknown } | { error: string };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { result: await run() };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

describe('Ledger.verifyChain: the byte path agrees with the string path', function () {
  this.timeout(20_000);
  const t = eachDirectoryLedger(() => Array.from({ length: 6 }, (_, i) => ({ ...sessionStart(`s${i}`), stream_id: `st-${i % 2}` }) as never));

  /** Writes `bytes` as the ledger file; returns both paths' outcomes over several ranges, asserting they agree. */
  async function agree(bytes: Buffer | string, decoderReason = false): Promise<Outcome[]> {
    writeFileSync(t.file, bytes);
    const store = await DirectoryStore.open(t.dir, { readOnly: true });
    expect(store.scanLineBatches, 'the directory store offers the byte scan').to.be.a('function');
    const byBytes = await Ledger.open(store);
    const byStrings = await Ledger.open(stringsOnly(await DirectoryStore.open(t.dir, { readOnly: true })));
    const out: Outcome[] = [];
    try {
      const tip = (await byBytes.getTip()).sequence_number;
      const ranges: Array<[number, number | undefined]> = [[0, undefined], [1, undefined], [2, undefined], [0, Math.max(0, tip - 1)], [1, Math.max(1, tip - 1)], [tip, undefined]];
      for (const [start, end] of ranges) {
        const a = await outcome(() => byBytes.verifyChain(start, end));
        let b = await outcome(() => byStrings.verifyChain(start, end));
        if (decoderReason && 'result' in b && (b.result as { reason?: string }).reason !== undefined) {
          // The string path's decoder throws LedgerCorruptionError, whose message names the
          // sequence; the byte path gives the line's reason alone, as cold verifyFile does.
          const r = b.result as { break_at: number; reason: string };
          expect(r.reason.startsWith(`sequence ${r.break_at}: `), r.reason).to.equal(true);
          b = { result: { ...r, reason: r.reason.slice(`sequence ${r.break_at}: `.length) } };
        }
        expect(a, `verifyChain(${start}, ${end})`).to.deep.equal(b);
        out.push(a);
      }
    } finally {
      await byBytes.close();
      await byStrings.close();
    }
    return out;
  }

  const lines = (ls: readonly string[]) => ls.map((l) => `${l}\n`).join('');

  it('an untouched ledger: valid on every range, both ways', async () => {
    const [whole] = await agree(lines(t.lines));
    expect(whole).to.deep.equal({ result: { valid: true, break_at: null, count: 6 } });
  });

  it('a flipped byte in a payload breaks at its sequence', async () => {
    const bad = [...t.lines];
    bad[3] = bad[3]!.replace('"s3"', '"t3"');
    const [whole] = await agree(lines(bad));
    expect(whole).to.have.nested.property('result.break_at', 3);
    expect(whole).to.have.nested.property('result.reason').that.matches(/content hashes to/);
  });

  it('invalid UTF-8 in a line breaks at its sequence with the decoder\'s reason', async () => {
    const bytes = Buffer.from(lines(t.lines), 'utf8');
    const at = bytes.indexOf('"s2"') + 1;
    bytes[at] = 0xff;
    const [whole] = await agree(bytes, true);
    expect(whole).to.have.nested.property('result.break_at', 2);
    expect(whole).to.have.nested.property('result.reason').that.matches(/^the line is not valid UTF-8/);
    expect(whole).to.deep.equal({ result: await verifyFile(t.file) });
  });

  it('a duplicate key in a line breaks at its sequence', async () => {
    const bad = [...t.lines];
    bad[2] = bad[2]!.replace('{"', '{"actor":"x","');
    bad[2] = bad[2]!.replace('"session_id":"s2"', '"session_id":"s2","session_id":"s9"');
    const [whole] = await agree(lines(bad));
    expect(whole).to.have.nested.property('result.break_at', 2);
  });

  it('a repeated event_id (every hash recomputed) is found by both, confirmed on the stored lines', async () => {
    const bad = [...t.lines];
    const id = (JSON.parse(bad[1]!) as { event_id: string }).event_id;
    bad[4] = canonicalJson({ ...(JSON.parse(bad[4]!) as object), event_id: id });
    const [whole] = await agree(lines(rechain(bad, 4)));
    expect(whole).to.deep.equal({ result: { valid: false, break_at: 4, count: 4, reason: `event_id ${JSON.stringify(id)} repeats: sequence 1 holds it first` } });
  });

  it('a stray line past the tip (a copy of an old line after the last) and an inserted line break where they stand', async () => {
    const [stray] = await agree(lines([...t.lines, t.lines[2]!]));
    // The copy is the file's last line: the tip is read from it, so the chain breaks where it stands.
    expect(stray).to.have.nested.property('result.valid', false);
    const [inserted] = await agree(lines([...t.lines.slice(0, 3), t.lines[1]!, ...t.lines.slice(3)]));
    expect(inserted).to.have.nested.property('result.break_at', 3);
  });

  it('a truncated line (the middle of the file) breaks at its sequence; a torn tail is no event', async () => {
    const bad = [...t.lines];
    bad[3] = bad[3]!.slice(0, 40);
    const [mid] = await agree(lines(bad));
    expect(mid).to.have.nested.property('result.break_at', 3);
    const [torn] = await agree(`${lines(t.lines)}${t.lines[1]!.slice(0, 30)}`);
    expect(torn).to.deep.equal({ result: { valid: true, break_at: null, count: 6 } });
    const [short] = await agree(lines(t.lines.slice(0, 4)));
    expect(short).to.deep.equal({ result: { valid: true, break_at: null, count: 4 } });
  });

  it('a broken stream version (every hash recomputed) breaks at its sequence', async () => {
    const bad = [...t.lines];
    bad[4] = canonicalJson({ ...(JSON.parse(bad[4]!) as object), stream_version: 7 });
    const [whole] = await agree(lines(rechain(bad, 4)));
    expect(whole).to.have.nested.property('result.break_at', 4);
  });
});
