// The progress bar's ETA as pure functions: the smoothed rate follows the real rate without
// swinging on bursts and stalls, and the formatting; plus the summary lines' counted nouns.
import { expect } from 'chai';
import { formatEta, MIN_SAMPLE_MS, SmoothedRate } from '../../src/cli/progressEta.js';
import { countOf } from '../../src/cli/progress.js';

describe('progress ETA', () => {
  it('has no rate or ETA before two samples far enough apart', () => {
    const r = new SmoothedRate();
    expect(r.etaSeconds(100)).to.equal(undefined);
    r.sample(0, 0);
    r.sample(10, MIN_SAMPLE_MS - 1); // a burst: merged into the next sample
    expect(r.rate).to.equal(undefined);
    r.sample(20, 2000);
    expect(r.rate).to.equal(10);
    expect(r.etaSeconds(100)).to.equal(8);
    // Between samples it counts down with the clock.
    expect(r.etaSeconds(100, 2500)).to.equal(7.5);
    expect(r.etaSeconds(100, 60_000)).to.equal(0);
  });

  it('a steady rate gives a steady ETA that counts down', () => {
    const r = new SmoothedRate();
    const etas: number[] = [];
    for (let t = 0; t <= 20_000; t += 500) {
      r.sample(t / 10, t); // 100 units/s
      if (t >= 1000) etas.push(r.etaSeconds(3000, t)!);
    }
    expect(r.rate).to.be.closeTo(100, 1e-9);
    for (let i = 1; i < etas.length; i++) expect(etas[i]).to.be.closeTo(etas[i - 1]! - 0.5, 1e-9);
  });

  it('bursts and stalls within a second barely move it (the 1 m 15 s / 4 m 10 s swing of the issue)', () => {
    // 100 units/s on average, arriving as 250 units every 2.5 s with nothing in between.
    const r = new SmoothedRate();
    const total = 30_000;
    let done = 0;
    const etas: number[] = [];
    for (let t = 0; t <= 60_000; t += 250) {
      if (t % 2500 === 0 && t > 0) done += 250;
      r.sample(done, t);
      if (t >= 20_000) etas.push(r.etaSeconds(total, t)!);
    }
    // Naive ETAs from the last interval alone jump between 'never' and 12x too soon; this one
    // stays within a factor of two of the true remaining time at the average rate.
    for (let i = 0; i < etas.length; i++) {
      const t = 20_000 + i * 250;
      const truth = (total - Math.floor(t / 2500) * 250) / 100;
      expect(etas[i]!, `at ${t} ms`).to.be.within(truth / 2, truth * 2);
    }
    // Within any one second it moves by less than a quarter.
    for (let i = 4; i < etas.length; i++) expect(Math.abs(etas[i]! - etas[i - 4]!) / etas[i - 4]!, `at ${20_000 + i * 250} ms`).to.be.below(0.25);
  });

  it('follows a real change of rate within a few time constants', () => {
    const r = new SmoothedRate();
    let done = 0;
    for (let t = 0; t <= 60_000; t += 1000) r.sample((done += 100), t); // 100/s
    expect(r.rate).to.be.closeTo(100, 1);
    for (let t = 61_000; t <= 120_000; t += 1000) r.sample((done += 20), t); // 20/s, for 6 time constants
    expect(r.rate).to.be.closeTo(20, 1);
  });

  it('a stall with nothing done gives no ETA rather than infinity; done past the total gives 0', () => {
    const r = new SmoothedRate();
    r.sample(5, 0);
    r.sample(5, 1000);
    expect(r.etaSeconds(10)).to.equal(undefined);
    r.sample(20, 2000);
    expect(r.etaSeconds(10)).to.equal(0);
  });

  it('formats seconds, minutes and hours; unknown as an ellipsis', () => {
    expect(formatEta(undefined)).to.equal('…');
    expect(formatEta(Infinity)).to.equal('…');
    expect(formatEta(0)).to.equal('0 s');
    expect(formatEta(3.2)).to.equal('4 s');
    expect(formatEta(75)).to.equal('1 m 15 s');
    expect(formatEta(250)).to.equal('4 m 10 s');
    expect(formatEta(3599.5)).to.equal('1 h 00 m');
    expect(formatEta(7500)).to.equal('2 h 05 m');
  });

  it('counts nouns: one is singular, zero and many are plural', () => {
    expect(countOf(1, 'event')).to.equal('1 event');
    expect(countOf(0, 'event')).to.equal('0 events');
    expect(countOf(3, 'byte')).to.equal('3 bytes');
  });
});
