// The paired harness the benchmarks' ratios come from (bench/paired.ts): the block-interleaved
// form used where cost drifts within seconds (fsync on a shared disk).
import { expect } from 'chai';
import { paired, pairedBlocks } from '../../bench/paired.js';

describe('bench/paired', () => {
  it('pairedBlocks interleaves the sides block by block, rotating the order, and rates each round as total work over total time', async () => {
    const calls: string[] = [];
    const result = await pairedBlocks(5, 3, {
      a: (r, b) => (calls.push(`a${r}.${b}`), { work: 10, seconds: 1 + r }),
      b: (r, b) => (calls.push(`b${r}.${b}`), { work: 10, seconds: 2 * (1 + r) }),
    });
    // Round 0: blocks alternate, the first side rotating from block to block.
    expect(calls.slice(0, 6)).to.deep.equal(['a0.0', 'b0.0', 'b0.1', 'a0.1', 'a0.2', 'b0.2']);
    expect(calls).to.have.length(5 * 3 * 2);
    expect(result.values.a).to.deep.equal([10, 5, 10 / 3, 2.5, 2]);
    // b is half as fast in every round, whatever the round's own speed: the paired ratio is exact.
    expect(result.ratio('b', 'a')).to.include({ median: 0.5, min: 0.5, max: 0.5 });
  });

  it('refuses fewer than 5 rounds or no block', async () => {
    let error: unknown;
    await pairedBlocks(5, 0, { a: () => ({ work: 1, seconds: 1 }) }).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain('at least 1 block');
    error = undefined;
    await paired(4, { a: () => 1 }).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain('at least 5 rounds');
  });
});
