// The Python verifier printed in the README, extracted from README.md and run as written: valid
// on the committed vectors, and exactly as strict as the contract on each thing issue 8 found it
// accepting (floats, `"sequence": true`, duplicate keys, torn tails), agreeing with oracle.py.
// fuzzLedgerFiles.spec.ts runs it, with verifyFile, over the same thousands of mutated files.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chain, eventBody, forgedChain, GENESIS, sha256Hex, toFile, withHash } from '../support/hostileLedgers.js';
import { Oracle, readmePythonVerifier, ReadmeVerifier, type Verdict } from '../support/pythonOracle.js';
import { tempDir } from '../support/tempDir.js';

interface Vectors {
  events: Array<{ line: string }>;
  lines: Array<{ name: string; line: string }>;
  rejected: Array<{ name: string; json: string }>;
}
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/canonical-vectors.json', import.meta.url), 'utf8')) as Vectors;
const SIMPLE = (i: number) => `{"session_id":"s-${i}"}`;
interface StreamVectors {
  ledgers: Array<{ name: string; lines: string[]; valid: boolean; break_at: number | null; count: number }>;
}
const streamVectors = JSON.parse(readFileSync(new URL('../../../test/vectors/stream-vectors.json', import.meta.url), 'utf8')) as StreamVectors;

describe('hostile: the README Python verifier', function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => void;
  let oracle: Oracle;
  let readme: ReadmeVerifier;
  before(() => {
    ({ dir, remove } = tempDir('fmwk-hostile-readme-'));
    oracle = Oracle.start();
    readme = ReadmeVerifier.start(dir);
  });
  after(async () => {
    await oracle?.close();
    await readme?.close();
    remove?.();
  });

  let n = 0;
  /** The verdict of the README verifier and oracle.py on `bytes`, which must agree. */
  async function verdict(bytes: Buffer, what: string): Promise<Verdict> {
    const file = join(dir, `f${n++}.jsonl`);
    writeFileSync(file, bytes);
    const pick = (v: Verdict): Verdict => ({ valid: v.valid, break_at: v.break_at, count: v.count });
    const r = pick(await readme.verify(file));
    expect(pick(await oracle.verify(file)), `oracle.py vs README on ${what}`).to.deep.equal(r);
    return r;
  }

  it('is short, stdlib only, and has no assert (python -O would strip it)', () => {
    const code = readmePythonVerifier();
    expect(code.trim().split("\n").length).to.be.at.most(32);
    expect(code).to.not.match(/\bassert\b/);
    for (const m of code.matchAll(/^import (.*)$/gm)) for (const mod of m[1]!.split(',')) expect(['hashlib', 'json', 'sys', 'threading']).to.include(mod.trim());
  });

  it('accepts the committed vectors: the two linked events, and each foreign-writer line', async () => {
    expect(await verdict(toFile(vectors.events.map((e) => e.line)), 'vector events')).to.deep.equal({ valid: true, break_at: null, count: 2 });
    for (const v of vectors.lines) expect(await verdict(toFile([v.line]), v.name), v.name).to.deep.equal({ valid: true, break_at: null, count: 1 });
    expect(await verdict(Buffer.alloc(0), 'empty file')).to.deep.equal({ valid: true, break_at: null, count: 0 });
  });

  it('gives the committed verdict on every stream vector (issue 13: streams, metadata, unique event ids)', async () => {
    for (const v of streamVectors.ledgers) {
      expect(await verdict(toFile(v.lines), v.name), v.name).to.deep.equal({ valid: v.valid, break_at: v.break_at, count: v.count });
    }
  });

  it("refuses each of the vectors' rejected values as a payload, hashed as a lax reader would read it", async () => {
    for (const v of vectors.rejected) {
      const lax = JSON.stringify(JSON.parse(v.json)); // what JavaScript would hash: floats rounded, surrogates kept
      const lines = forgedChain([SIMPLE(0), SIMPLE(1)], 1, lax, v.json);
      expect(await verdict(toFile(lines), v.name), v.name).to.deep.equal({ valid: false, break_at: 1, count: 1 });
    }
  });

  it('refuses what the old ten-line verifier accepted: floats, "sequence": true, duplicate keys; ignores torn tails', async () => {
    const float = forgedChain([SIMPLE(0), SIMPLE(1)], 1, '{"amount":5}', '{"amount":5.0}');
    expect(await verdict(toFile(float), 'float')).to.deep.equal({ valid: false, break_at: 1, count: 1 });

    const prev = sha256Hex(eventBody(0, GENESIS, SIMPLE(0)));
    const body = eventBody('true', prev, SIMPLE(1)); // Python: True == 1
    expect(await verdict(toFile([chain([SIMPLE(0)]).lines[0]!, withHash(body, sha256Hex(body))]), 'sequence true')).to.deep.equal({ valid: false, break_at: 1, count: 1 });

    const dup = forgedChain([SIMPLE(0), SIMPLE(1)], 1, '{"amount":5}', '{"amount":1000000,"amount":5}');
    expect(await verdict(toFile(dup), 'duplicate key')).to.deep.equal({ valid: false, break_at: 1, count: 1 });

    const good = toFile(chain([SIMPLE(0), SIMPLE(1)]).lines);
    const torn = Buffer.concat([good, Buffer.from('{"event_id":"01936b2e')]);
    expect(await verdict(torn, 'torn tail')).to.deep.equal({ valid: true, break_at: null, count: 2 });
  });
});
