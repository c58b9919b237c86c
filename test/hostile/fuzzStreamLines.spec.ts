// Attacks on the optional fields of issue 13 (metadata, stream_id, stream_version) and on the
// ledger-wide rules (per-stream versions 0, 1, 2...; unique event ids), judged by every
// verifier: verifyFile (1 thread, and 2 worker ranges), test/hostile/oracle.py and the README's
// Python verifier. All must give one verdict; the named attacks must also give the expected one.
// Who: the file owner (or a foreign writer) forging lines that a lax reader would accept, or
// re-using an event id / skipping a version to make a projection fold a history that never was.
import { expect } from 'chai';
import fc from 'fast-check';
import { GENESIS, sha256Hex } from '../support/hostileLedgers.js';
import { everyVerifier } from '../support/everyVerifier.js';

const SEED = 20_261_127;
const PROVENANCE = '{"actor":"system","framework_id":"FMWK-001","pack_id":"PC-001-ledger"}';

/** Members of one event as text (values verbatim), in the order given: the caller decides the rendering. */
type Members = Array<[string, string]>;

/** The members of event `seq` without hash, canonical order, with optional metadata and stream. */
function members(seq: number, prev: string, o: { id?: number; stream?: [string, string]; metadata?: string } = {}): Members {
  const m: Members = [
    ['event_id', `"01936b2e-5a00-7000-8000-${String(o.id ?? seq).padStart(12, '0')}"`],
    ['event_type', '"session_start"'],
  ];
  if (o.metadata !== undefined) m.push(['metadata', o.metadata]);
  m.push(['payload', `{"n":${seq}}`], ['previous_hash', `"${prev}"`], ['provenance', PROVENANCE], ['schema_version', '"1.0.0"'], ['sequence', String(seq)]);
  if (o.stream) m.push(['stream_id', o.stream[0]], ['stream_version', o.stream[1]]);
  m.push(['timestamp', '"2026-01-01T00:00:00.000Z"']);
  return m;
}

const render = (m: Members): string => `{${m.map(([k, v]) => `"${k}":${v}`).join(',')}}`;

/** The stored line: `hash` inserted in its canonical place (after event_type). */
function withHash(m: Members, hash: string): string {
  const i = m.findIndex(([k]) => k === 'event_type') + 1;
  return render([...m.slice(0, i), ['hash', `"${hash}"`], ...m.slice(i)]);
}

/** A chain whose line `at` shows `shown` members but was hashed over `hashed` (texts), linked honestly after. */
function ledger(spec: Array<{ id?: number; stream?: [string, string]; metadata?: string }>, forge?: { at: number; hashed: (m: Members) => string; shown: (m: Members, hash: string) => string }): string[] {
  const lines: string[] = [];
  let prev = GENESIS;
  spec.forEach((o, seq) => {
    const m = members(seq, prev, o);
    const hashedText = forge?.at === seq ? forge.hashed(m) : render(m);
    const hash = sha256Hex(hashedText);
    lines.push(forge?.at === seq ? forge.shown(m, hash) : withHash(m, hash));
    prev = hash;
  });
  return lines;
}

const set = (m: Members, key: string, value: string): Members => m.map(([k, v]) => [k, k === key ? value : v]);

describe('hostile: stream fields and ledger-wide rules, every verifier agrees', function () {
  this.timeout(600_000);
  const judge = everyVerifier('s');

  const S = (v: number | string, id = '"order-1"'): [string, string] => [id, String(v)];
  const bad = (at: number) => ({ valid: false, break_at: at, count: at });
  const ok = (count: number) => ({ valid: true, break_at: null, count });

  it('a valid ledger with streams and metadata', async () => {
    expect(await judge(ledger([{ stream: S(0) }, {}, { stream: S(1), metadata: '{"correlation_id":"c"}' }, { stream: S(0, '"b"') }, { stream: S(2) }]), 'valid')).to.deep.equal(ok(5));
  });

  it('a stream member inserted out of its canonical place: hashed over the canonical form it verifies (exact path), hashed as shown it breaks', async () => {
    const moved = (m: Members) => render([...m.filter(([k]) => k !== 'stream_id'), ...m.filter(([k]) => k === 'stream_id')]);
    const shown = (m: Members, hash: string) => {
      const line = withHash(m.filter(([k]) => k !== 'stream_id'), hash);
      return `${line.slice(0, -1)},"stream_id":${m.find(([k]) => k === 'stream_id')![1]}}`;
    };
    const spec = [{ stream: S(0) }, { stream: S(1) }, {}];
    expect(await judge(ledger(spec, { at: 1, hashed: render, shown }), 'moved, hashed canonically')).to.deep.equal(ok(3));
    expect(await judge(ledger(spec, { at: 1, hashed: moved, shown }), 'moved, hashed as shown')).to.deep.equal(bad(1));
  });

  it('a duplicate stream_id key, hashed as a last-wins reader reads it: refused by all', async () => {
    const shown = (m: Members, hash: string) => withHash(m, hash).replace('"stream_id":"order-1"', '"stream_id":"order-2","stream_id":"order-1"');
    expect(await judge(ledger([{ stream: S(0) }, { stream: S(1) }], { at: 1, hashed: render, shown }), 'duplicate stream_id')).to.deep.equal(bad(1));
    const first = (m: Members, hash: string) => withHash(m, hash).replace('"stream_id":"order-1"', '"stream_id":"order-1","stream_id":"order-2"');
    expect(await judge(ledger([{ stream: S(0) }, { stream: S(1) }], { at: 1, hashed: render, shown: first }), 'duplicate stream_id, first wins')).to.deep.equal(bad(1));
  });

  it('stream_version as 1.0, 1e0, "1", true, -0, -1, 2^53 and 2^53 - 1', async () => {
    const shownAs = (text: string) => (m: Members, hash: string) => withHash(set(m, 'stream_version', text), hash);
    const spec = [{ stream: S(0) }, { stream: S(1) }];
    for (const text of ['1.0', '1e0', '"1"', 'true', '1.5']) {
      expect(await judge(ledger(spec, { at: 1, hashed: render, shown: shownAs(text) }), `stream_version ${text}`), text).to.deep.equal(bad(1));
    }
    // "-0" is the integer 0 to every JSON reader: hashed over canonical 0 it verifies (exact path).
    expect(await judge(ledger([{ stream: S(0) }], { at: 0, hashed: render, shown: shownAs('-0') }), 'stream_version -0')).to.deep.equal(ok(1));
    expect(await judge(ledger([{}, { stream: S(-1) }]), 'stream_version -1')).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { stream: S(2 ** 53) }]), 'stream_version 2^53')).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { stream: S('9007199254740993') }]), 'stream_version 2^53 + 1')).to.deep.equal(bad(1));
    // 2^53 - 1 is a well-formed version, but a stream starts at 0.
    expect(await judge(ledger([{}, { stream: S(2 ** 53 - 1) }]), 'stream_version 2^53 - 1')).to.deep.equal(bad(1));
  });

  it('half a stream, an empty or non-string stream_id, metadata that is not an object', async () => {
    const drop = (key: string) => (m: Members, hash: string) => withHash(m.filter(([k]) => k !== key), hash);
    const dropHashed = (key: string) => (m: Members) => render(m.filter(([k]) => k !== key));
    expect(await judge(ledger([{}, { stream: S(0) }], { at: 1, hashed: dropHashed('stream_version'), shown: drop('stream_version') }), 'no stream_version')).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { stream: S(0) }], { at: 1, hashed: dropHashed('stream_id'), shown: drop('stream_id') }), 'no stream_id')).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { stream: S(0, '""') }]), 'empty stream_id')).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { stream: S(0, '7') }]), 'numeric stream_id')).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { stream: S(0, 'null') }]), 'null stream_id')).to.deep.equal(bad(1));
    for (const meta of ['[]', 'null', '"m"', '1']) expect(await judge(ledger([{}, { metadata: meta }]), `metadata ${meta}`), meta).to.deep.equal(bad(1));
    expect(await judge(ledger([{}, { metadata: '{"f":1.5}' }]), 'metadata float')).to.deep.equal(bad(1));
  });

  it('a reused event_id (the same id twice, the same id spelled with an escape)', async () => {
    expect(await judge(ledger([{ id: 5 }, {}, { id: 5 }]), 'reused id')).to.deep.equal(bad(2));
    // "\u0030" is "0": the ids are equal once unescaped. Hashed over the canonical text, the line verifies on its own.
    const escaped = (m: Members, hash: string) => withHash(m, hash).replace('"event_id":"01936b2e', '"event_id":"\\u0030\\u00311936b2e'.replace('\\u0030\\u0031', '0\\u0031'));
    expect(await judge(ledger([{ id: 5 }, { id: 5 }], { at: 1, hashed: render, shown: escaped }), 'reused id, escaped')).to.deep.equal(bad(1));
  });

  it('property: random streams with random gaps, repeats and reused ids get one verdict from every verifier', async () => {
    const step = fc.record({
      stream: fc.option(fc.constantFrom('"a"', '"b"', '"c/é"'), { nil: undefined }),
      delta: fc.constantFrom(1, 1, 1, 1, 1, 1, 0, 2, -1),
      reuse: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const last = new Map<string, number>();
        const spec = steps.map((s, i) => {
          const o: { id?: number; stream?: [string, string] } = {};
          if (s.reuse && i > 0) o.id = i - 1;
          if (s.stream) {
            const v = (last.get(s.stream) ?? -1) + s.delta;
            last.set(s.stream, v);
            o.stream = [s.stream, String(v)];
          }
          return o;
        });
        await judge(ledger(spec), JSON.stringify(spec), runs++ % 5 === 0);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
