// `fmwk-ledger append` under hostile input, as a user runs it: real child processes, real
// files, a real pseudo-terminal. Every refusal is exit 1 (or 2 for an unreadable FILE) with one
// line naming line, path and value, and writes nothing of the refused line.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSnapshot, sha256 } from '../../src/index.js';
import { provenance, sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

const line = (x: unknown) => `${JSON.stringify(x)}\n`;
const tipOf = (store: string) => JSON.parse(cli(['tip', '--store', store]).stdout).sequence_number as number;

describe('CLI append: hostile input', function () {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('a FILE that cannot be read is exit 2, one line, and creates nothing: no store directory, no lock', () => {
    const store = join(dir, 'store');
    for (const file of [join(dir, 'missing.jsonl'), dir]) {
      const r = cli(['append', '--store', store, file]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.contain(JSON.stringify(file));
      expect(r.stderr).to.not.match(/\n\s+at /);
      expect(existsSync(store), 'store created').to.equal(false);
    }
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('numbers are read as written: any non-integer lexeme or unsafe integer is refused, naming line, path and lexeme', () => {
    const lexemes = ['1.0', '1e2', '1E2', '-0.0', '-0', '1e-400', '2.0000000000000001', '9007199254740990.6', '9007199254740992', '-9007199254740993', '1' + '0'.repeat(400)];
    const store = join(dir, 'store');
    for (const lexeme of lexemes) {
      const bad = `{"event_type":"session_start","schema_version":"1.0.0","provenance":${JSON.stringify(provenance)},"payload":{"session_id":"x","list":[0,{"v":${lexeme}}]}}\n`;
      const r = cli(['append', '--store', store], line(sessionStart('ok')) + bad + line(sessionStart('after')));
      expect(r.code, `${lexeme}: ${r.stderr}`).to.equal(1);
      expect(r.stderr.trim().split('\n'), lexeme).to.have.length(1);
      expect(r.stderr, lexeme).to.contain(`line 2: payload.list[1].v: `);
      expect(r.stderr, lexeme).to.contain(lexeme === '-0' ? 'number -0' : ` ${lexeme} `);
    }
    // Only the good first line of each run was written, never a changed number.
    expect(tipOf(store)).to.equal(lexemes.length - 1);
    expect(readFileSync(join(store, 'ledger.jsonl'), 'utf8')).to.not.contain('"list"');
    // Integers as written are kept exactly, at the edges of the safe range too.
    const ok = `{"event_type":"session_start","schema_version":"1.0.0","provenance":${JSON.stringify(provenance)},"payload":{"session_id":"y","n":[0,-1,9007199254740991,-9007199254740991]}}\n`;
    expect(cli(['append', '--store', store], ok).code).to.equal(0);
    expect(readFileSync(join(store, 'ledger.jsonl'), 'utf8')).to.contain('"n":[0,-1,9007199254740991,-9007199254740991]');
  });

  it('a line that is not valid UTF-8 is refused, never decoded with replacement characters', () => {
    const store = join(dir, 'store');
    const prefix = `{"event_type":"session_start","schema_version":"1.0.0","provenance":${JSON.stringify(provenance)},"payload":{"session_id":"`;
    const bads = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xef, 0xbb, 0xbf]];
    for (const bytes of bads) {
      const input = Buffer.concat([Buffer.from(line(sessionStart('ok'))), Buffer.from(prefix), Buffer.from(bytes), Buffer.from('"}}\n')]);
      const r = cli(['append', '--store', store], input);
      if (bytes[0] === 0xef) {
        // U+FEFF is valid UTF-8 inside a string: kept exactly.
        expect(r.code, r.stderr).to.equal(0);
        continue;
      }
      expect(r.code, `${bytes}: ${r.stderr}`).to.equal(1);
      expect(r.stderr.trim()).to.equal('fmwk-ledger append: line 2: not valid UTF-8');
    }
    const stored = readFileSync(join(store, 'ledger.jsonl'));
    expect(stored.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'a replacement character was stored').to.equal(false);
    expect(stored.includes(Buffer.from([0xef, 0xbb, 0xbf]))).to.equal(true);
    // A byte order mark before the JSON is not silently dropped either.
    const r = cli(['append', '--store', store], Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(line(sessionStart('bom')))]));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('line 1: not valid JSON');
  });

  it('provenance with a field the contract does not have is refused, naming it (nothing is dropped)', () => {
    const store = join(dir, 'store');
    const r = cli(['append', '--store', store], line({ ...sessionStart('a'), provenance: { ...provenance, correlation_id: 'c-1' } }));
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/line 1: provenance\.correlation_id: unknown field \(expected framework_id, pack_id, actor\), got "c-1"/);
    expect(tipOf(store)).to.equal(-1);
  });

  it('attack: a forged snapshot file plus a CLI append of its snapshot_created record is refused; replay returns the true state', () => {
    const store = join(dir, 'store');
    const deltas = Array.from({ length: 6 }, (_, i) => line({ event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id: 'a', signal: 's', delta: i + 1 } }));
    expect(cli(['append', '--store', store], deltas.join('')).code).to.equal(0);
    const anchor = JSON.parse(cli(['read', '--store', store, '5']).stdout).hash as string;
    const bytes = encodeSnapshot({ kind: 'snapshot', sequence: 5, anchor_hash: anchor, projections: [{ name: 'total', version: 1, state: 1_000_000 }] });
    mkdirSync(join(store, 'snapshots'));
    writeFileSync(join(store, 'snapshots', '5.snapshot'), bytes);
    const record = { sequence: 5, file: '5.snapshot', file_hash: sha256(bytes), anchor_hash: anchor, format_version: 1, projections: [{ name: 'total', version: 1 }] };
    const r = cli(['append', '--store', store], line({ event_type: 'snapshot_created', schema_version: '1.0.0', provenance, payload: record }));
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr.trim()).to.equal('fmwk-ledger append: line 1: event_type: "snapshot_created" is reserved: only the framework that owns it appends it (not Ledger.append, not the CLI)');
    expect(tipOf(store)).to.equal(5);
    writeFileSync(join(dir, 'p.mjs'), `export default [{ name: 'total', version: 1, initial: 0, apply: (n, e) => e.event_type === 'signal_delta' ? n + e.payload.delta : n }];\n`);
    const replayed = cli(['replay', '--store', store, '--projections', join(dir, 'p.mjs')]);
    expect(replayed.code, replayed.stderr).to.equal(0);
    expect(JSON.parse(replayed.lines.at(-1)!)).to.deep.equal({ sequence: 5, states: { total: 21 } });
    expect(replayed.stderr).to.contain('5.snapshot skipped: no snapshot_created record');
  });

  it('interactive: with a terminal on stdin, the first bad line stops reading, releases the lock and exits 1', function () {
    const store = join(dir, 'store');
    // A pseudo-terminal that stays open (no end of input): the process must end on its own.
    const driver = `
import json, os, pty, subprocess, sys
node, main, store, good = sys.argv[1:5]
master, slave = pty.openpty()
p = subprocess.Popen([node, main, 'append', '--store', store, '-'], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(slave)
os.write(master, (good + '\\n').encode())
first = p.stdout.readline().decode()
os.write(master, b'{"not json\\n')
try:
    code = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    code = None
lock_while_running = None if code is not None else os.path.exists(os.path.join(store, 'ledger.lock'))
if code is None:
    p.kill(); p.wait()
print(json.dumps({"code": code, "first": first, "stderr": p.stderr.read().decode(), "lock_after": os.path.exists(os.path.join(store, 'ledger.lock')), "lock_while_running": lock_while_running}))
os.close(master)
`;
    const r = spawnSync('python3', ['-c', driver, process.execPath, MAIN, store, JSON.stringify(sessionStart('tty'))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { code: number | null; first: string; stderr: string; lock_after: boolean; lock_while_running: boolean | null };
    expect(JSON.parse(out.first)).to.include({ sequence: 0 });
    expect(out.code, `still running after the bad line (lock held: ${out.lock_while_running})`).to.equal(1);
    expect(out.stderr.trim()).to.match(/^fmwk-ledger append: line 2: not valid JSON/);
    expect(out.lock_after).to.equal(false);
    expect(tipOf(store)).to.equal(0);
  });
});
