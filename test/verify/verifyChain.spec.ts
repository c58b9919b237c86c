// Tamper tests on a real directory store file: write N events through Ledger + DirectoryStore,
// edit ledger.jsonl's bytes directly, then cold verification (verifyFile) and online
// verification (Ledger.verifyChain on a read-only reopened store) must agree on the break.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DirectoryStore, Ledger, LedgerCorruptionError, sha256,
} from '../../src/index.js';
import { verifyFile, verifyLines, type Tip } from '../../src/verify.js';
import { sessionStart, provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { forge, joinLines, spans } from '../support/tamper.js';

const N = 10;

interface Fixture {
  dir: string;
  file: string;
  /** The untampered file. */
  original: Buffer;
  /** The untampered lines, without newlines. */
  lines: string[];
  tip: Tip;
  remove: () => void;
}

async function writeLedger(n = N): Promise<Fixture> {
  const { dir, remove } = tempDir('fmwk-ledger-tamper-');
  const store = await DirectoryStore.open(dir);
  const ledger = await Ledger.open(store);
  for (let i = 0; i < n; i++) {
    if (i % 3 === 2) {
      await ledger.append({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: `n-${i}`, node_type: 'concept', label: `nœud ${i} \u{1F600}`, attributes: { 10: i, 9: null } } });
    } else {
      await ledger.append(sessionStart(`sess-${String(i).padStart(4, '0')}`));
    }
  }
  const tip = await ledger.getTip();
  await ledger.close();
  const file = store.file;
  const original = readFileSync(file);
  const lines = original.toString('utf8').split('\n');
  expect(lines.pop()).to.equal('');
  expect(lines).to.have.length(n);
  return { dir, file, original, lines, tip, remove };
}


/** A copy of `buf` with the byte after `marker` (+ offset) in line k replaced. */
function changeByte(buf: Buffer, k: number, marker: string, offset = 0, to?: number): Buffer {
  const span = spans(buf)[k]!;
  const at = buf.indexOf(marker, span.start, 'utf8');
  expect(at, `marker ${marker} in line ${k}`).to.be.within(span.start, span.end - 1);
  const pos = at + Buffer.byteLength(marker) + offset;
  const out = Buffer.from(buf);
  const old = out[pos]!;
  out[pos] = to ?? (old === 0x30 ? 0x31 : 0x30); // '0' <-> other digit / hex digit keeps the JSON valid
  expect(out[pos]).to.not.equal(old);
  return out;
}


interface Outcome {
  valid: boolean;
  break_at: number | null;
  count?: number;
  /** Set when the read-only store refused to open (it checks the last line at open). */
  openError?: string;
}

/** Online verification on a read-only reopened store; a corruption error at open counts as a break there. */
async function verifyOnline(dir: string, start?: number, end?: number): Promise<Outcome> {
  let store: DirectoryStore;
  try {
    store = await DirectoryStore.open(dir, { readOnly: true });
  } catch (e) {
    if (e instanceof LedgerCorruptionError) return { valid: false, break_at: e.sequence, openError: e.message };
    throw e;
  }
  const ledger = await Ledger.open(store);
  try {
    const r = await ledger.verifyChain(start, end);
    return { valid: r.valid, break_at: r.break_at, count: r.count };
  } finally {
    await ledger.close();
  }
}

/** Writes `bytes` over the ledger file, runs both verifications, checks they agree, returns them. */
async function tamperAndVerify(fx: Fixture, bytes: Buffer): Promise<{ cold: Outcome; online: Outcome }> {
  writeFileSync(fx.file, bytes);
  const c = await verifyFile(fx.file);
  const cold: Outcome = { valid: c.valid, break_at: c.break_at, count: c.count };
  const online = await verifyOnline(fx.dir);
  const pick = (o: Outcome) => ({ valid: o.valid, break_at: o.break_at, ...(o.openError === undefined && cold.count !== undefined ? { count: o.count } : {}) });
  expect(pick(online), `online vs cold (cold reason: ${c.reason ?? '-'}; online: ${online.openError ?? ''})`).to.deep.equal(
    online.openError === undefined ? pick(cold) : { valid: cold.valid, break_at: cold.break_at },
  );
  return { cold, online };
}


describe('tamper detection on a directory store file (cold verifyFile and online verifyChain agree)', function () {
  let fx: Fixture;
  before(async () => {
    fx = await writeLedger();
  });
  after(() => fx.remove());
  afterEach(() => writeFileSync(fx.file, fx.original));

  it('the untampered ledger verifies, cold and online, with the same count', async () => {
    const { cold, online } = await tamperAndVerify(fx, fx.original);
    expect(cold).to.deep.equal({ valid: true, break_at: null, count: N });
    expect(online).to.deep.equal({ valid: true, break_at: null, count: N });
    expect((await verifyFile(fx.file, { expectTip: fx.tip })).valid).to.equal(true);
  });

  const byteChanges: Array<[string, string, number, number?]> = [
    ['in the payload (session id / node id digit)', '"payload":{', 0],
    ['in the stored hash', '"hash":"sha256:', 0],
    ['in previous_hash', '"previous_hash":"sha256:', 10],
    ['in the sequence', '"sequence":', 0],
    ['in the timestamp', '"timestamp":"', 3],
    ['in the event_id', '"event_id":"', 0],
    ['in provenance', '"provenance":{"actor":"', 0, 0x53 /* 'S' */],
    ['to an invalid UTF-8 byte (in the payload)', '"payload":{', 2, 0xff],
    ['that breaks the JSON (a structural quote)', '"payload":', 0, 0x5b /* '[' */],
  ];
  for (const k of [0, 4, N - 1]) {
    for (const [where, marker, offset, to] of byteChanges) {
      it(`a byte changed ${where} of event ${k} -> break_at ${k}`, async () => {
        // The payload's first string value holds a digit or a letter; a digit or letter swap keeps the JSON valid.
        const m = marker === '"payload":{' && offset === 0 ? firstDigitMarker(fx.lines[k]!) : marker;
        const { cold } = await tamperAndVerify(fx, changeByte(fx.original, k, m, offset, to));
        expect(cold).to.include({ valid: false, break_at: k });
      });
    }
  }

  it('a structural byte broken in each event in turn -> break_at that event, cold and online', async () => {
    // (The last event is covered above: the store checks it at open.)
    for (let k = 0; k < N - 1; k++) {
      const { cold } = await tamperAndVerify(fx, changeByte(fx.original, k, '"sequence":', -1, 0x20 /* ':' -> ' ' */));
      expect(cold, `event ${k}`).to.include({ valid: false, break_at: k });
      writeFileSync(fx.file, fx.original);
    }
  });

  for (const k of [0, 4, N - 1]) {
    it(`line ${k} deleted -> break_at ${k}`, async () => {
      const lines = fx.lines.filter((_, i) => i !== k);
      const { cold } = await tamperAndVerify(fx, joinLines(lines));
      if (k === N - 1) {
        // Deleting the last line is indistinguishable from a shorter ledger, except against a known tip.
        expect(cold).to.deep.equal({ valid: true, break_at: null, count: N - 1 });
        expect(await verifyFile(fx.file, { expectTip: fx.tip })).to.include({ valid: false, break_at: N - 1 });
      } else {
        expect(cold).to.include({ valid: false, break_at: k });
      }
    });
  }

  for (const k of [0, 4, N - 1]) {
    it(`line ${k} duplicated -> break_at ${k + 1}`, async () => {
      const lines = [...fx.lines.slice(0, k + 1), fx.lines[k]!, ...fx.lines.slice(k + 1)];
      const { cold } = await tamperAndVerify(fx, joinLines(lines));
      expect(cold).to.include({ valid: false, break_at: k + 1 });
    });
  }

  for (const k of [0, 4, N - 2]) {
    it(`lines ${k} and ${k + 1} swapped -> break_at ${k}`, async () => {
      const lines = [...fx.lines];
      [lines[k], lines[k + 1]] = [lines[k + 1]!, lines[k]!];
      const { cold } = await tamperAndVerify(fx, joinLines(lines));
      expect(cold).to.include({ valid: false, break_at: k });
    });
  }

  // A torn last line (bytes after the last newline) is an unfinished write for the store's
  // readers and for verifyFile alike: not an event, so both stop before it.
  it('truncated in the middle of a line (events 0, 4, last): cold and online agree, never count the partial line, expectTip catches it', async () => {
    for (const k of [0, 4, N - 1]) {
      const span = spans(fx.original)[k]!;
      const bytes = fx.original.subarray(0, span.start + Math.floor((span.end - span.start) / 2));
      writeFileSync(fx.file, bytes);
      expect(await verifyFile(fx.file, { expectTip: fx.tip }), `line ${k}`).to.include({ valid: false });
      const cold = await verifyFile(fx.file);
      const online = await verifyOnline(fx.dir);
      expect(cold.count, `line ${k}`).to.be.at.most(k);
      expect(online.count ?? 0, `line ${k}`).to.be.at.most(k);
      expect({ valid: online.valid, break_at: online.break_at }, `truncated in line ${k}: online vs cold (${cold.reason ?? ''})`).to.deep.equal({ valid: cold.valid, break_at: cold.break_at });
    }
  });

  it('truncated by whole last lines: a valid but shorter chain, caught only against the expected tip', async () => {
    const { cold, online } = await tamperAndVerify(fx, joinLines(fx.lines.slice(0, N - 3)));
    expect(cold).to.deep.equal({ valid: true, break_at: null, count: N - 3 });
    expect(online).to.deep.equal({ valid: true, break_at: null, count: N - 3 });
    expect(await verifyFile(fx.file, { expectTip: fx.tip })).to.include({ valid: false, break_at: N - 3 });
  });

  it('truncated to nothing: an empty ledger, valid; expectTip catches it', async () => {
    const { cold } = await tamperAndVerify(fx, Buffer.alloc(0));
    expect(cold).to.deep.equal({ valid: true, break_at: null, count: 0 });
    expect(await verifyFile(fx.file, { expectTip: fx.tip })).to.include({ valid: false, break_at: 0 });
  });

  for (const k of [1, 4, 5, 8]) {
    it(`a blank line inserted before event ${k} -> break_at ${k}`, async () => {
      const lines = [...fx.lines.slice(0, k), '', ...fx.lines.slice(k)];
      const { cold } = await tamperAndVerify(fx, joinLines(lines));
      expect(cold).to.include({ valid: false, break_at: k });
    });
  }

  it('a self-consistent forgery of event k (own hash recomputed) -> break_at k+1, where the link fails', async () => {
    const k = 4;
    const lines = [...fx.lines];
    lines[k] = forge(lines[k]!, { session_id: 'forged' }).line;
    const { cold } = await tamperAndVerify(fx, joinLines(lines));
    expect(cold).to.include({ valid: false, break_at: k + 1 });
  });

  it('history rewritten consistently from event k to the tip: valid, caught only against the expected tip', async () => {
    const k = 4;
    const lines = [...fx.lines];
    let prev = (JSON.parse(lines[k - 1]!) as { hash: string }).hash;
    for (let i = k; i < N; i++) {
      const f = forge(lines[i]!, { session_id: `rewritten-${i}` }, prev);
      lines[i] = f.line;
      prev = f.hash;
    }
    const { cold } = await tamperAndVerify(fx, joinLines(lines));
    expect(cold).to.deep.equal({ valid: true, break_at: null, count: N });
    expect(await verifyFile(fx.file, { expectTip: fx.tip })).to.include({ valid: false, break_at: N - 1 });
  });

  describe('range verification checks the link into start', function () {
    it('an untampered range verifies with its own count', async () => {
      expect(await verifyOnline(fx.dir, 3, 6)).to.deep.equal({ valid: true, break_at: null, count: 4 });
      expect(await verifyOnline(fx.dir, 0, 0)).to.deep.equal({ valid: true, break_at: null, count: 1 });
      expect(await verifyOnline(fx.dir, N - 1)).to.deep.equal({ valid: true, break_at: null, count: 1 });
    });

    it('a forged event k is invisible to verifyChain(k, k) but breaks verifyChain(k+1, ...) at k+1', async () => {
      const k = 4;
      const lines = [...fx.lines];
      lines[k] = forge(lines[k]!, { session_id: 'forged' }).line;
      writeFileSync(fx.file, joinLines(lines));
      // Event k alone is self-consistent and links to k-1: a range does not look past its end.
      expect(await verifyOnline(fx.dir, k, k)).to.deep.equal({ valid: true, break_at: null, count: 1 });
      // Starting right after it, only the link into start can see the forgery.
      expect(await verifyOnline(fx.dir, k + 1, N - 1)).to.include({ valid: false, break_at: k + 1 });
      expect(await verifyOnline(fx.dir, k + 1, k + 1)).to.include({ valid: false, break_at: k + 1 });
      expect(await verifyOnline(fx.dir, k, N - 1)).to.include({ valid: false, break_at: k + 1 });
      // The same check cold, over the lines from k+1 with the stored hash of k as the link.
      const previousHash = (JSON.parse(lines[k]!) as { hash: string }).hash;
      const r = await verifyLines((async function* () { yield* lines.slice(k + 1); })(), { start: k + 1, previousHash });
      expect(r).to.include({ valid: false, break_at: k + 1 });
    });

    it('a changed stored hash of event start-1 breaks a range starting at start', async () => {
      writeFileSync(fx.file, changeByte(fx.original, 2, '"hash":"sha256:', 5));
      expect(await verifyOnline(fx.dir, 3, 6)).to.include({ valid: false, break_at: 3 });
      expect(await verifyOnline(fx.dir, 4, 6)).to.deep.equal({ valid: true, break_at: null, count: 3 });
    });

    it('an unreadable event start-1 -> break_at start-1', async () => {
      writeFileSync(fx.file, changeByte(fx.original, 2, '"sequence":', -1, 0x20));
      expect(await verifyOnline(fx.dir, 3, 6)).to.include({ valid: false, break_at: 2 });
    });
  });
});

/** A marker that ends just before a digit inside the payload's first string value. */
function firstDigitMarker(line: string): string {
  const at = line.indexOf('"payload":{');
  const digit = line.slice(at).search(/\d/);
  return line.slice(at, at + digit);
}
