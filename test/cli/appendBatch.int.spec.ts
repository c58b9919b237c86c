// `fmwk-ledger append --batch` (issue 22), as a user runs it: each input line is a JSON array of
// events written as one atomic batch; a bad event refuses its whole line, naming the line and
// events[i], and nothing of that line is written; single-event input is unchanged, and
// read/export show batch events as they show any other.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provenance, sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}
const line = (x: unknown) => `${JSON.stringify(x)}\n`;

describe('CLI append --batch', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  beforeEach(() => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
  });
  afterEach(() => remove());
  const stored = () => readFileSync(join(store, 'ledger.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('each line is one batch: one result line per event, consecutive sequences, each event with its place in the batch', () => {
    const input = line([{ ...sessionStart('a'), stream_id: 'cart-1', expected_version: -1 }, { ...sessionStart('b'), stream_id: 'cart-1' }, sessionStart('c')]) +
      '\n' + line([sessionStart('single')]);
    const r = cli(['append', '--store', store, '--batch', '-q'], input);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((x) => [x.sequence, x.stream_version])).to.deep.equal([[0, 0], [1, 1], [2, undefined], [3, undefined]]);
    expect(stored().map((e) => e.batch)).to.deep.equal([{ index: 0, size: 3 }, { index: 1, size: 3 }, { index: 2, size: 3 }, undefined]);
    // read and export show them as any event: the stored line, batch field included.
    expect(JSON.parse(cli(['read', '--store', store, '1']).stdout)).to.deep.include({ batch: { index: 1, size: 3 }, stream_version: 1 });
    const out = join(dir, 'export.jsonl');
    expect(cli(['export', '--store', store, '--out', out, '-q']).code).to.equal(0);
    expect(readFileSync(out, 'utf8')).to.equal(readFileSync(join(store, 'ledger.jsonl'), 'utf8'));
    expect(cli(['verify', out]).code).to.equal(0);
  });

  it('a bad event refuses its whole line, naming the line and events[i]; earlier lines stay, nothing of it is written', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[sessionStart('x'), { ...sessionStart('y'), schema_version: 1 }], /^fmwk-ledger append: line 2: events\[1\]\.schema_version: /],
      [[sessionStart('x'), { ...sessionStart('y'), sequence: 5 }], /^fmwk-ledger append: line 2: events\[1\]\.sequence: is assigned by the ledger/],
      [[sessionStart('x'), { ...sessionStart('y'), event_type: 'no_such_type' }], /^fmwk-ledger append: line 2: events\[1\]\.event_type: unknown event type "no_such_type": register it with --types/],
      [[{ ...sessionStart('x'), stream_id: 's', expected_version: 3 }], /^fmwk-ledger append: line 2: .*stream "s": expected version 3/],
      [[{ ...sessionStart('x'), event_id: '01890a5d-ac96-774b-bcce-b302099a8057' }, { ...sessionStart('y'), event_id: '01890a5d-ac96-774b-bcce-b302099a8057' }], /^fmwk-ledger append: line 2: events\[1\]\.event_id: repeats the event_id of events\[0\]/],
      [[], /^fmwk-ledger append: line 2: events: expected at least one event/],
      [sessionStart('object'), /^fmwk-ledger append: line 2: expected a JSON array of events \(--batch: one batch a line\)/],
    ];
    const raw: Array<[string, RegExp]> = [
      [`[${JSON.stringify(sessionStart('x'))},{"event_type":"session_start","schema_version":"1.0.0","provenance":${JSON.stringify(provenance)},"payload":{"session_id":"y","n":1.5}}]`, /^fmwk-ledger append: line 2: events\[1\]\.payload\.n: non-integer number 1\.5/],
    ];
    const cases: Array<[string, RegExp]> = [...bad.map(([b, m]) => [line(b).trimEnd(), m] as [string, RegExp]), ...raw];
    let held = 0;
    for (const [text, message] of cases) {
      const r = cli(['append', '--store', store, '--batch', '-q'], line([sessionStart(`ok-${held}`), sessionStart(`ok2-${held}`)]) + `${text}\n` + line([sessionStart('after')]));
      held += 2;
      expect(r.code, `${text}: ${r.stderr}`).to.equal(1);
      expect(r.stderr.trim().split('\n'), text).to.have.length(1);
      expect(r.stderr, text).to.match(message);
      expect(r.lines, text).to.have.length(2);
      expect(stored().length, text).to.equal(held); // the good first line only
    }
    expect(readFileSync(join(store, 'ledger.jsonl'), 'utf8')).to.not.match(/"session_id":"(x|y|after|object)"/);
  });

  it('without --batch a line holding an array is refused with the hint; single-event input is unchanged', () => {
    const r = cli(['append', '--store', store, '-q'], line(sessionStart('one')) + line([sessionStart('a'), sessionStart('b')]));
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal('fmwk-ledger append: line 2: a JSON array of events is a batch: append it with --batch');
    expect(stored().map((e) => [e.sequence, 'batch' in e])).to.deep.equal([[0, false]]);
  });

  it('--help says what --batch does', () => {
    const help = cli(['append', '--help']).stdout;
    expect(help).to.include('--batch').and.include('one atomic batch').and.include('events[I]');
  });
});
