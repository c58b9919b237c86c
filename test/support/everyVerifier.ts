// One verdict from every verifier of a ledger file: verifyFile (one thread, two worker ranges cut
// in the middle, and the ranges verifyFile would plan), test/hostile/oracle.py and the README's
// Python verifier. The hostile suite's field specs judge each forged file with it.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyFile } from '../../src/verify.js';
import { planRanges, verifyRanges } from '../../src/verify/verifyFileParallel.js';
import { toFile } from './hostileLedgers.js';
import { Oracle, ReadmeVerifier, type Verdict } from './pythonOracle.js';
import { tempDir } from './tempDir.js';

/** The part of a verdict every verifier must agree on. */
export const pick = (v: Verdict): Verdict => ({ valid: v.valid, break_at: v.break_at, count: v.count });

/** Judges `lines` as a file; `workers` false skips the worker ranges. Resolves with the common verdict. */
export type Judge = (lines: string[], what: string, workers?: boolean) => Promise<Verdict>;

/**
 * Registers before/after hooks in the calling `describe` (the Python verifiers started once, a
 * temporary directory of files named `prefix`N.jsonl) and returns the judge.
 */
export function everyVerifier(prefix: string): Judge {
  let oracle: Oracle;
  let readme: ReadmeVerifier;
  let dir: string;
  let remove: () => void;
  let n = 0;
  before(() => {
    ({ dir, remove } = tempDir(`fmwk-hostile-${prefix}-`));
    oracle = Oracle.start();
    readme = ReadmeVerifier.start(dir);
  });
  after(async () => {
    await oracle?.close();
    await readme?.close();
    remove?.();
  });
  return async (lines, what, workers = true) => {
    const file = join(dir, `${prefix}${n++}.jsonl`);
    writeFileSync(file, toFile(lines));
    const py = pick(await oracle.verify(file));
    expect(pick(await readme.verify(file)), `README verifier vs oracle.py on ${what}`).to.deep.equal(py);
    expect(pick(await verifyFile(file)), `verifyFile vs oracle.py on ${what}`).to.deep.equal(py);
    if (workers && lines.length > 1) {
      const starts = [0];
      for (const l of lines.slice(0, -1)) starts.push(starts.at(-1)! + Buffer.byteLength(l) + 1);
      const cut = Math.max(1, lines.length >> 1);
      const ranges = [{ start: 0, end: starts[cut]! }, { start: starts[cut]!, end: Infinity }];
      expect(pick(await verifyRanges(file, ranges)), `2 worker ranges vs oracle.py on ${what}`).to.deep.equal(py);
      expect(pick(await verifyRanges(file, await planRanges(file, 2, 0))), `planned ranges vs oracle.py on ${what}`).to.deep.equal(py);
    }
    return py;
  };
}
