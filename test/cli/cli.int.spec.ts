// The CLI as a user runs it: a real child process per command, real files.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCommands } from '../../src/cli/main.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

// Loaded as the CLI loads them, one module each (main.ts imports none statically).
const COMMANDS = await loadCommands();

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

const line = (x: unknown) => `${JSON.stringify(x)}\n`;

describe('fmwk-ledger CLI', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  beforeEach(() => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
  });
  afterEach(() => remove());

  it('append prints {event_id, hash, sequence} per durable event; tip and read agree', () => {
    const r = cli(['append', '--store', store, '-'], line(sessionStart('a')) + '\n' + line(sessionStart('b')));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.lines).to.have.length(2);
    const [a, b] = r.lines.map((l) => JSON.parse(l));
    expect(a).to.have.keys(['event_id', 'hash', 'sequence']);
    expect([a.sequence, b.sequence]).to.deep.equal([0, 1]);
    expect(JSON.parse(cli(['tip', '--store', store]).stdout)).to.deep.equal({ sequence_number: 1, hash: b.hash });
    const ev = JSON.parse(cli(['read', '--store', store, '1']).stdout);
    expect(ev).to.include({ sequence: 1, hash: b.hash, previous_hash: a.hash });
  });

  it('append stops at the first bad line, names line and field, exits 1, writes nothing of it', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"event_type": "session_start",', /line 2: not valid JSON/],
      [line({ ...sessionStart('x'), payload: { session_id: 'x', f: 0.1 } }), /line 2: payload\.f: non-integer number 0\.1/],
      [line({ ...sessionStart('x'), payload: {} }), /line 2: payload\.session_id: expected a non-empty string, got nothing/],
      [line({ ...sessionStart('x'), sequence: 9 }), /line 2: sequence: is assigned by the ledger/],
      [line({ event_type: 'session_start', provenance: {} }), /line 2: schema_version: expected/],
      [line({ ...sessionStart('x'), schema_version: 1 }), /line 2: schema_version: expected a semantic version/],
      [line({ ...sessionStart('x'), payload: { session_id: 'x', big: 'y'.repeat(1024) , n: 2 ** 53 } }), /line 2: payload\.n: integer 9007199254740992 is outside the safe range/],
    ];
    for (const [bad, message] of cases) {
      const s = join(dir, `s${cases.indexOf(cases.find((c) => c[0] === bad)!)}`);
      const r = cli(['append', '--store', s], line(sessionStart('ok')) + bad + '\n' + line(sessionStart('after')));
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(message);
      expect(r.lines).to.have.length(1);
      expect(JSON.parse(cli(['tip', '--store', s]).stdout).sequence_number).to.equal(0);
    }
  });

  it('export then cold verify gives the same answer as online verify, valid and tampered', () => {
    cli(['append', '--store', store], Array.from({ length: 10 }, (_, i) => line(sessionStart(`s${i}`))).join(''));
    const out = join(dir, 'export.jsonl');
    expect(cli(['export', '--store', store, '--out', out]).code).to.equal(0);
    expect(readFileSync(out, 'utf8')).to.equal(readFileSync(join(store, 'ledger.jsonl'), 'utf8'));
    const valid = { valid: true, break_at: null, count: 10 };
    for (const args of [['verify', out], ['verify', '--store', store]]) {
      const r = cli(args);
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.lines.at(-1)!)).to.deep.equal(valid);
    }
    // Tamper with the store itself, then compare online and cold once more.
    const file = join(store, 'ledger.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[6] = lines[6]!.replace('"session_id":"s6"', '"session_id":"S6"');
    writeFileSync(file, lines.join('\n'));
    const online = cli(['verify', '--store', store]);
    expect(cli(['export', '--store', store, '--out', out]).code).to.equal(0);
    const cold = cli(['verify', out]);
    for (const r of [online, cold]) {
      expect(r.code).to.equal(1);
      expect(JSON.parse(r.lines.at(-1)!)).to.deep.equal({ valid: false, break_at: 6, count: 6 });
      expect(r.stderr).to.match(/invalid at sequence 6: stored hash/);
    }
  });

  it('verify --expect-tip catches whole lines cut from the end', () => {
    const acks = cli(['append', '--store', store], Array.from({ length: 5 }, (_, i) => line(sessionStart(`s${i}`))).join('')).lines.map((l) => JSON.parse(l));
    const file = join(dir, 'cut.jsonl');
    writeFileSync(file, readFileSync(join(store, 'ledger.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    expect(cli(['verify', file]).code).to.equal(0);
    const r = cli(['verify', file, '--expect-tip', `4:${acks[4].hash}`]);
    expect(r.code).to.equal(1);
    expect(JSON.parse(r.lines.at(-1)!)).to.include({ valid: false, break_at: 3 });
  });

  it('usage and I/O errors exit 2 with one line; --help is everywhere and exits 0', () => {
    for (const args of [['verify'], ['read', '--store', store], ['read', '--store', store, 'x'], ['nope'], ['tip'], ['verify', join(dir, 'missing.jsonl')], ['tip', '--store', join(dir, 'missing')], ['append', '--store', store, '--bogus']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
    for (const c of COMMANDS) {
      const r = cli([c.name, '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain(`Usage: fmwk-ledger ${c.name}`);
    }
    expect(cli(['--help']).stdout).to.contain('Commands:');
  });
});
