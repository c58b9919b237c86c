// Attacks on a stored line's bytes (issue 8 §2, §5): invalid UTF-8, duplicate keys, deep
// nesting, foreign big integers, non-regular files and over-long lines. Every verifier (cold,
// cold with workers, online, the CLI) must answer the same, and a reader must never get a
// value other than the stored one. Real files, real child processes.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../../src/contract/canonicalJson.js';
import { LedgerCorruptionError, LedgerLineTooLongError, LedgerUnreadableValueError } from '../../src/errors/errors.js';
import { buildEventLine, checkLine, checkLineBytes, readEventLine } from '../../src/contract/eventLine.js';
import { GENESIS_HASH } from '../../src/contract/hash.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { readLineBatches } from '../../src/contract/lineReader.js';
import { parseRawJson, RawJsonSyntaxError } from '../../src/contract/rawJson.js';
import { DirectoryStore, LEDGER_FILE } from '../../src/stores/directoryStore.js';
import { verifyFile } from '../../src/verify/verifyFile.js';
import { defineProjection, ReplayEngine } from '../../src/index.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PROVENANCE = canonicalJson({ actor: 'agent', framework_id: 'FMWK-005', pack_id: 'PC-005-graph' });

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, verdict: last.startsWith('{') ? (JSON.parse(last) as { valid: boolean; break_at: number | null; count: number }) : undefined };
}

/** A chain of events whose payloads are given as JSON text (hashed exactly as given). */
function chain(payloads: readonly string[]): { lines: string[]; hashes: string[] } {
  const lines: string[] = [];
  const hashes: string[] = [];
  let previous = GENESIS_HASH;
  payloads.forEach((payloadJson, sequence) => {
    const { hash, line } = buildEventLine({
      event_id: `01936b2e-0000-7000-8000-${String(sequence).padStart(12, '0')}`, sequence, event_type: 'session_start', schema_version: '1.0.0',
      timestamp: '2026-01-01T00:00:00.000Z', provenanceJson: PROVENANCE, previous_hash: previous, payloadJson,
    });
    lines.push(line);
    hashes.push(hash);
    previous = hash;
  });
  return { lines, hashes };
}

/** Padding events so that the file passes the 1 MiB below which --workers verifies on one thread. */
const padding = (n: number): string[] => Array.from({ length: n }, (_, i) => canonicalJson({ session_id: `s${i}`, pad: 'x'.repeat(400) }));

function writeStore(dir: string, lines: readonly (string | Buffer)[]): string {
  const file = join(dir, LEDGER_FILE);
  writeFileSync(file, Buffer.concat(lines.map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l, 'utf8'), Buffer.from('\n')]))));
  return file;
}

async function online(dir: string) {
  const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
  try {
    return await ledger.verifyChain();
  } finally {
    await ledger.close();
  }
}

async function withLedger<T>(dir: string, f: (l: Ledger) => Promise<T>): Promise<T> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
  try {
    return await f(ledger);
  } finally {
    await ledger.close();
  }
}

/** Every cold and online verdict on the store in `dir`: all must agree. */
async function verdicts(dir: string, expectTip?: { sequence_number: number; hash: string }, withCli = true) {
  const file = join(dir, LEDGER_FILE);
  const pick = (r: { valid: boolean; break_at: number | null }) => ({ valid: r.valid, break_at: r.break_at });
  const tipArg = expectTip ? ['--expect-tip', `${expectTip.sequence_number}:${expectTip.hash}`] : [];
  // The CLI children cost seconds on a loaded machine: some cases check only the in-process verdicts.
  const c1 = withCli ? cli(['verify', file, ...tipArg]) : undefined;
  const c2 = withCli ? cli(['verify', file, '--workers', '2', ...tipArg]) : undefined;
  return {
    inProcess: pick(await verifyFile(file, { expectTip })),
    inProcess2: pick(await verifyFile(file, { workers: 2, expectTip })),
    ...(c1 && c2 ? { cli: c1.verdict && pick(c1.verdict), cli2: c2.verdict && pick(c2.verdict) } : {}),
    online: pick(await online(dir)),
  };
}

describe('verification on bytes: hostile lines', function () {
  this.timeout(300_000);
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  describe('invalid UTF-8', () => {
    // A stored U+FFFD (EF BF BD) replaced by the single byte FF: a lenient decoder turns FF back
    // into U+FFFD, so the line "still verifies" although its bytes changed.
    const N = 3000;
    const AT = 2500; // in the second half: the second worker's range
    function tampered(): { file: string; tip: { sequence_number: number; hash: string } } {
      const payloads = padding(N);
      payloads[AT] = canonicalJson({ session_id: 'replacement \ufffd char' });
      const { lines, hashes } = chain(payloads);
      const bytes = lines.map((l) => Buffer.from(l, 'utf8'));
      const b = bytes[AT]!;
      const i = b.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
      bytes[AT] = Buffer.concat([b.subarray(0, i), Buffer.from([0xff]), b.subarray(i + 3)]);
      return { file: writeStore(dir, bytes), tip: { sequence_number: N - 1, hash: hashes[N - 1]! } };
    }

    it('is invalid at its sequence: cold, cold --workers 2, CLI, CLI --workers 2, online, with --expect-tip', async () => {
      const { tip } = tampered();
      const want = { valid: false, break_at: AT };
      expect(await verdicts(dir)).to.deep.equal({ inProcess: want, inProcess2: want, cli: want, cli2: want, online: want });
      expect(await verdicts(dir, tip)).to.deep.equal({ inProcess: want, inProcess2: want, cli: want, cli2: want, online: want });
    });

    it('a read is LedgerCorruptionError at that sequence and readRange fails; export copies the stored bytes unchanged (as a repeated key is copied: issue 21) and verify on the copy names the sequence', async () => {
      tampered();
      await withLedger(dir, async (ledger) => {
        const e = await ledger.read(AT).then(() => undefined, (x: unknown) => x);
        expect(e).to.be.instanceOf(LedgerCorruptionError);
        expect((e as LedgerCorruptionError).sequence).to.equal(AT);
        const it = ledger.readRange(AT - 1, AT + 1);
        await it.next();
        const e2 = await it.next().then(() => undefined, (x: unknown) => x);
        expect((e2 as LedgerCorruptionError).sequence).to.equal(AT);
      });
      const out = join(dir, 'export.jsonl');
      const r = cli(['export', '--store', dir, '--out', out]);
      expect(r.code, r.stderr).to.equal(0);
      // Never rewritten (no U+FFFD put back in place of the invalid byte): the evidence stays.
      expect(readFileSync(out).equals(readFileSync(join(dir, 'ledger.jsonl')))).to.equal(true);
      const v = cli(['verify', out]);
      expect(v.code, v.stderr).to.equal(1);
      expect(v.stdout).to.contain('"break_at":2500');
    });

    it('as the last line, opening the store fails at its sequence (the tail check reads bytes too)', async () => {
      const { lines } = chain([canonicalJson({ session_id: 'a' }), canonicalJson({ session_id: 'b \ufffd' })]);
      const last = Buffer.from(lines[1]!, 'utf8');
      const i = last.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
      writeStore(dir, [lines[0]!, Buffer.concat([last.subarray(0, i), Buffer.from([0xff]), last.subarray(i + 3)])]);
      const e = await DirectoryStore.open(dir, { readOnly: true }).then(() => undefined, (x: unknown) => x);
      expect(e).to.be.instanceOf(LedgerCorruptionError);
      expect((e as LedgerCorruptionError).sequence).to.equal(1);
    });

    it('checkLineBytes refuses overlong encodings, encoded surrogates, code points past U+10FFFF; checkLine lone surrogates', () => {
      const { lines } = chain([canonicalJson({ session_id: 'a' })]);
      const line = Buffer.from(lines[0]!, 'utf8');
      expect(checkLineBytes(line)).to.deep.include({ ok: true });
      const i = line.indexOf('"a"') + 1;
      for (const bad of [[0xc0, 0xa2], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xe2, 0x82]]) {
        const b = Buffer.concat([line.subarray(0, i), Buffer.from(bad), line.subarray(i + 1)]);
        expect(checkLineBytes(b), bad.join(' ')).to.deep.equal({ ok: false, reason: `the line is not valid UTF-8 (byte ${i} of the line)` });
      }
      expect(checkLine(lines[0]!.replace('"a"', '"\ud800"'))).to.deep.include({ ok: false });
    });
  });

  describe('duplicate keys (after unescaping) make a line invalid at its sequence', () => {
    // Each forgery keeps, as the LAST value, what the hash was computed over: a reader keeping
    // the first value sees other data in a line a last-wins verifier accepts.
    const forgeries: Array<[string, (l: string) => string]> = [
      ['a duplicated payload member', (l) => l.replace('"payload":{"amount":5', '"payload":{"amount":1000000,"amount":5')],
      ['a duplicate spelled with an escape', (l) => l.replace('"payload":{"amount":5', '"payload":{"amount":1000000,"\\u0061mount":5')],
      ['a duplicated top-level payload', (l) => l.replace('"payload":{"amount":5}', '"payload":{"amount":1000000},"payload":{"amount":5}')],
      ['a duplicated top-level hash', (l) => l.replace('"hash":', `"hash":"${GENESIS_HASH}","hash":`)],
      ['a duplicated top-level sequence', (l) => l.replace('"sequence":1', '"sequence":7,"sequence":1')],
      ['a duplicate in a nested object', (l) => l.replace('"n":{"k":2}', '"n":{"k":1,"k":2}')],
    ];
    for (const [name, edit] of forgeries) {
      it(name, async () => {
        const payloads = [canonicalJson({ a: 0 }), canonicalJson({ amount: 5, ...(name.includes('nested') ? { n: { k: 2 } } : {}) }), canonicalJson({ a: 2 })];
        const { lines } = chain(payloads);
        const forged = edit(lines[1]!);
        expect(forged).to.not.equal(lines[1]);
        expect(checkLine(forged)).to.deep.include({ ok: false });
        writeStore(dir, [lines[0]!, forged, lines[2]!]);
        const want = { valid: false, break_at: 1 };
        if (name.includes('escape')) expect(await verdicts(dir)).to.deep.equal({ inProcess: want, inProcess2: want, cli: want, cli2: want, online: want });
        else expect(await verdicts(dir, undefined, false)).to.deep.equal({ inProcess: want, inProcess2: want, online: want });
      });
    }

    it('parseRawJson refuses duplicates and lone-surrogate escapes, naming offset and path', () => {
      const fails = (text: string): RawJsonSyntaxError => {
        try {
          parseRawJson(text);
        } catch (e) {
          expect(e).to.be.instanceOf(RawJsonSyntaxError);
          return e as RawJsonSyntaxError;
        }
        throw new Error(`parsed: ${text}`);
      };
      const d = fails('{"payload":{"items":[{"amount":1,"\\u0061mount":2}]}}');
      expect(d.message).to.match(/duplicate key "amount"/);
      expect(d.path).to.equal('payload.items[0].amount');
      expect(d.offset).to.equal(33);
      expect(fails('{"s":"\\ud800"}').path).to.equal('s');
      expect(fails('{"s":"\\udc00\\ud800"}').message).to.match(/lone surrogate/);
      expect(fails('{"\\ud800":1}').message).to.match(/lone surrogate/);
      // A pair of escapes is one astral character: fine.
      expect(parseRawJson('{"s":"\\ud83d\\ude00"}')).to.deep.equal(Object.assign(Object.create(null), { s: '\u{1F600}' }));
    });
  });

  describe('deep nesting: the same exact verdict at any depth, in every mode', () => {
    for (const depth of [10_000, 100_000]) {
      it(`${depth} levels: valid canonical, valid non-canonical (exact path), and a tampered one invalid`, async () => {
        const deep = `{"d":${'['.repeat(depth)}${']'.repeat(depth)},"session_id":"deep"}`;
        const payloads = padding(2600);
        payloads[2000] = deep;
        payloads[2300] = deep;
        payloads[2400] = deep;
        const { lines } = chain(payloads);
        // 2300: a space inside (not canonical, same canonical form and hash): the exact path.
        lines[2300] = lines[2300]!.replace('"d":[[', '"d": [ [');
        writeStore(dir, lines);
        const valid = { valid: true, break_at: null };
        expect(await verdicts(dir)).to.deep.equal({ inProcess: valid, inProcess2: valid, cli: valid, cli2: valid, online: valid });
        // Reading returns it (JSON.parse for the canonical line, the strict reader for the other).
        await withLedger(dir, async (ledger) => {
          expect((await ledger.read(2000)).payload).to.have.property('session_id', 'deep');
          expect((await ledger.read(2300)).payload).to.have.property('session_id', 'deep');
        });
        // 2400: one bracket pair fewer: the content changed, the hash did not.
        lines[2400] = lines[2400]!.replace('[]', '');
        writeStore(dir, lines);
        const broken = { valid: false, break_at: 2400 };
        expect(await verdicts(dir)).to.deep.equal({ inProcess: broken, inProcess2: broken, cli: broken, cli2: broken, online: broken });
      });
    }
  });

  describe('foreign big integers: verified as written, never read rounded', () => {
    const big = (2n ** 70n + 1n).toString();
    function store(): string[] {
      const { lines } = chain([
        canonicalJson({ a: 1 }),
        `{"amounts":[1,{"n":${big}}],"session_id":"big"}`,
        `{"max":9007199254740991,"min":-9007199254740991,"session_id":"edge"}`,
        `{"f":1.5,"session_id":"float"}`,
        canonicalJson({ a: 4 }),
      ]);
      // A foreign writer's rendering of event 2: not canonical (spaces), same hash.
      lines[2] = lines[2]!.replace('"max":', '"max": ');
      writeStore(dir, lines);
      return lines;
    }

    it('verify hashes them as written (the float line is invalid: the contract has no floats)', async () => {
      store();
      const want = { valid: false, break_at: 3 };
      expect(await verdicts(dir)).to.deep.equal({ inProcess: want, inProcess2: want, cli: want, cli2: want, online: want });
      const r = await verifyFile(join(dir, LEDGER_FILE));
      expect(r.count).to.equal(3);
    });

    it('read, readRange and replay fail with LedgerUnreadableValueError naming sequence and path', async () => {
      const lines = store();
      await withLedger(dir, async (ledger) => {
        const e = await ledger.read(1).then(() => undefined, (x: unknown) => x);
        expect(e).to.be.instanceOf(LedgerUnreadableValueError);
        expect(e).to.include({ code: 'LEDGER_UNREADABLE_VALUE', sequence: 1, path: 'payload.amounts[1].n' });
        expect((e as Error).message).to.contain(big);
        // Safe extremes read exactly, also from a non-canonical line (the strict reader).
        expect((await ledger.read(2)).payload).to.deep.equal({ max: 9007199254740991, min: -9007199254740991, session_id: 'edge' });
        const f = await ledger.read(3).then(() => undefined, (x: unknown) => x);
        expect(f).to.include({ code: 'LEDGER_UNREADABLE_VALUE', sequence: 3, path: 'payload.f' });
        const seen: number[] = [];
        const e2 = await (async () => {
          for await (const ev of ledger.readRange(0, 2)) seen.push(ev.sequence);
        })().then(() => undefined, (x: unknown) => x);
        expect(seen).to.deep.equal([0]);
        expect(e2).to.include({ code: 'LEDGER_UNREADABLE_VALUE', sequence: 1 });
        const count = defineProjection({ name: 'count', version: 1, initial: 0, apply: (n: number) => n + 1 });
        const e3 = await new ReplayEngine(ledger, { projections: [count] }).stateAt(2).then(() => undefined, (x: unknown) => x);
        expect(e3).to.include({ code: 'LEDGER_UNREADABLE_VALUE', sequence: 1, path: 'payload.amounts[1].n' });
      });
      expect(() => readEventLine(lines[1]!, 1)).to.throw(LedgerUnreadableValueError);
    });

    it('a non-canonical line with a duplicate key is LedgerCorruptionError when read, not the first or last value', async () => {
      const { lines } = chain([canonicalJson({ a: 1 })]);
      const dup = lines[0]!.replace('"payload":{"a":1}', '"payload":{"a":2,"a":1}');
      expect(() => readEventLine(dup, 0)).to.throw(LedgerCorruptionError, /duplicate key "a"/);
    });
  });

  describe('non-regular files and over-long lines', () => {
    it('verify /dev/zero and verify of a FIFO: one line on stderr, exit 2, promptly', () => {
      const z = cli(['verify', '/dev/zero']);
      expect(z.code, z.stderr).to.equal(2);
      expect(z.stderr.trim().split('\n')).to.have.length(1);
      expect(z.stderr).to.match(/not a regular file/);
      const z2 = cli(['verify', '/dev/zero', '--workers', '2']);
      expect(z2.code, z2.stderr).to.equal(2);
      const fifo = join(dir, 'fifo');
      expect(spawnSync('mkfifo', [fifo]).status).to.equal(0);
      const f = cli(['verify', fifo]);
      expect(f.code, f.stderr).to.equal(2);
      expect(f.stderr).to.match(/not a regular file/);
    });

    it('a line longer than MAX_LINE_BYTES (64 MiB) is refused with LedgerLineTooLongError, exit 2', async () => {
      const file = join(dir, 'zeros');
      writeFileSync(file, '');
      truncateSync(file, 64 * 1024 * 1024 + 10); // sparse: zeros without a newline
      const r = cli(['verify', file]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/LedgerLineTooLongError: .* longer than 67108864 bytes/);
    });

    it('readLineBatches enforces its limit on complete and unfinished lines, naming the offset', async () => {
      const file = join(dir, 'lines');
      writeFileSync(file, `ab\n${'x'.repeat(20)}\nc\n`);
      const read = async (max: number) => {
        const out: string[] = [];
        for await (const batch of readLineBatches(file, 0, Infinity, undefined, 8, max)) out.push(...batch.map((b) => b.toString()));
        return out;
      };
      expect(await read(20)).to.deep.equal(['ab', 'x'.repeat(20), 'c']);
      const e = await read(19).then(() => undefined, (x: unknown) => x);
      expect(e).to.be.instanceOf(LedgerLineTooLongError);
      expect(e).to.include({ offset: 3, limit: 19 });
      writeFileSync(file, `ab\n${'x'.repeat(30)}`);
      expect(await read(19).then(() => undefined, (x: unknown) => x)).to.be.instanceOf(LedgerLineTooLongError);
    });
  });

  it('readLines-style batches keep the bytes: a file read back line by line equals the file', async () => {
    const { lines } = chain(padding(50));
    const file = writeStore(dir, lines);
    const parts: Buffer[] = [];
    for await (const batch of readLineBatches(file, 0, Infinity, undefined, 1000)) for (const b of batch) parts.push(Buffer.concat([b, Buffer.from('\n')]));
    expect(Buffer.concat(parts).equals(readFileSync(file))).to.equal(true);
  });
});
