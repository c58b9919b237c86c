// Attacks on the atomic-batch member of issue 22 (`batch: {index, size}`) and its rule (a batch
// is indexes 0..size-1 on consecutive lines; cut anywhere but at the file's end it is invalid at
// its first line; cut at the end it is an unfinished write, not counted), judged by every
// verifier: verifyFile (1 thread, and 2 worker ranges), test/hostile/oracle.py and the README's
// Python verifier. All must give one verdict; the named attacks must also give the expected one.
// Who: the file owner forging or cutting batches so that a reader folds half of an atomic
// decision, or hides the cut in the middle of the file; a mutated batch member.
import { expect } from 'chai';
import fc from 'fast-check';
import { GENESIS, sha256Hex } from '../support/hostileLedgers.js';
import { everyVerifier } from '../support/everyVerifier.js';

const SEED = 20_261_208;
const PROVENANCE = '{"actor":"system","framework_id":"FMWK-001","pack_id":"PC-001-ledger"}';

/** Event `seq` as canonical text without hash, with `batch` (its JSON text) when given. */
function body(seq: number, prev: string, batch?: string): string {
  return `{${batch === undefined ? '' : `"batch":${batch},`}"event_id":"01936b2e-5a00-7000-8000-${String(seq).padStart(12, '0')}","event_type":"session_start",` +
    `"payload":{"n":${seq}},"previous_hash":"${prev}","provenance":${PROVENANCE},"schema_version":"1.0.0","sequence":${seq},"timestamp":"2026-01-01T00:00:00.000Z"}`;
}

/** The stored line: `hash` in its canonical place (after event_type). */
const stored = (text: string, hash: string): string => text.replace('"event_type":"session_start",', `"event_type":"session_start","hash":"${hash}",`);

/** A chain whose lines carry the given batch members (undefined: none), every hash honest. */
function ledger(batches: ReadonlyArray<string | undefined>): string[] {
  let prev = GENESIS;
  return batches.map((b, seq) => {
    const text = body(seq, prev, b);
    prev = sha256Hex(text);
    return stored(text, prev);
  });
}

const B = (index: number, size: number): string => `{"index":${index},"size":${size}}`;
/** The members of a whole batch of `size`. */
const whole = (size: number): string[] => Array.from({ length: size }, (_, i) => B(i, size));

describe('hostile: atomic batch members and the batch rule, every verifier agrees', function () {
  this.timeout(600_000);
  const judge = everyVerifier('b');

  const bad = (at: number) => ({ valid: false, break_at: at, count: at });
  const ok = (count: number) => ({ valid: true, break_at: null, count });

  it('whole batches among single events are valid; the README verifier, the oracle and verifyFile agree', async () => {
    expect(await judge(ledger([undefined, ...whole(3), undefined, ...whole(2), ...whole(4)]), 'valid')).to.deep.equal(ok(11));
  });

  it('a file that ends inside a batch: valid up to the batch, its lines not counted (an unfinished write)', async () => {
    expect(await judge(ledger([undefined, ...whole(5).slice(0, 3)]), '3 of 5 at the end')).to.deep.equal(ok(1));
    expect(await judge(ledger([...whole(5).slice(0, 1)]), '1 of 5, the whole file')).to.deep.equal(ok(0));
    expect(await judge(ledger([...whole(2), ...whole(5).slice(0, 4)]), '4 of 5 after a whole batch')).to.deep.equal(ok(2));
  });

  it('a batch cut in the middle of the file is invalid at its first line, however the cut is hidden', async () => {
    const [b0, b1, b2] = whole(5);
    expect(await judge(ledger([undefined, b0, b1, b2, undefined]), 'a single event after 3 of 5')).to.deep.equal(bad(1));
    expect(await judge(ledger([undefined, b0, b1, b2, ...whole(2)]), 'a new batch after 3 of 5')).to.deep.equal(bad(1));
    expect(await judge(ledger([undefined, b0, b1, B(3, 5).replace('3', '4'), undefined]), 'an index skipped')).to.deep.equal(bad(1));
    expect(await judge(ledger([undefined, b0, b1, B(2, 3)]), 'the size changes to end it early')).to.deep.equal(bad(1));
    expect(await judge(ledger([undefined, b0, b0, b1, b2, B(3, 5), B(4, 5)]), 'an index repeated')).to.deep.equal(bad(1));
  });

  it('an event of a batch with no batch open (its first lines removed and the chain re-hashed) is invalid where it stands', async () => {
    expect(await judge(ledger([undefined, B(2, 5), B(3, 5), B(4, 5)]), 'the tail of a batch')).to.deep.equal(bad(1));
    expect(await judge(ledger([B(1, 2)]), 'event 1 of 2 alone')).to.deep.equal(bad(0));
  });

  it('mutated batch members: a size below 2, an index out of range, non-integers, extra or missing keys, not an object', async () => {
    for (const m of ['{"index":0,"size":1}', '{"index":0,"size":0}', '{"index":2,"size":2}', '{"index":-1,"size":2}', '{"index":0,"size":"2"}',
      '{"index":true,"size":2}', '{"index":0,"size":2.0}', '{"index":0,"size":2,"x":1}', '{"size":2}', '{"index":0}', '[0,2]', 'null', '0', '"0/2"',
      '{"index":0,"size":9007199254740992}']) {
      expect(await judge(ledger([undefined, m, B(1, 2)]), `batch ${m}`), m).to.deep.equal(bad(1));
    }
  });

  it('a batch member hashed canonically but written out of its canonical place (last) verifies on the exact path; hashed as shown it breaks', async () => {
    const text = body(0, GENESIS, B(0, 2));
    const hash = sha256Hex(text);
    const moved = stored(text.replace(`"batch":${B(0, 2)},`, ''), hash).replace(/}$/, `,"batch":${B(0, 2)}}`);
    const next = body(1, hash, B(1, 2));
    const lines = [moved, stored(next, sha256Hex(next))];
    expect(await judge(lines, 'moved, hashed canonically')).to.deep.equal(ok(2));
    const shownHash = sha256Hex(moved.replace(`"hash":"${hash}",`, ''));
    expect(await judge([moved.replace(hash, shownHash)], 'moved, hashed as shown')).to.deep.equal(bad(0));
  });

  it('property: random batch marks (whole, cut, skipped, resized, none) get one verdict from every verifier', async () => {
    const mark = fc.oneof(
      fc.constant(undefined),
      fc.record({ index: fc.integer({ min: 0, max: 4 }), size: fc.integer({ min: 1, max: 5 }) }).map((b) => B(b.index, b.size)),
      fc.integer({ min: 2, max: 4 }).map((size) => whole(size).join('|')),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mark, { minLength: 1, maxLength: 10 }), async (marks) => {
        const flat = marks.flatMap((m) => (m === undefined ? [undefined] : m.split('|')));
        await judge(ledger(flat), JSON.stringify(flat), runs++ % 4 === 0);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
