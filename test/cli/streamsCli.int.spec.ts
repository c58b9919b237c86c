// Issue 13 §5 through the real CLI (a child process per command, a real directory store):
// append with streams, expected versions, event ids and metadata; read by stream, hash and
// event id; query; reindex.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provenance, sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}
const jsonLines = (r: { lines: string[] }) => r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const line = (x: unknown) => `${JSON.stringify(x)}\n`;
const ID = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('fmwk-ledger CLI: streams, idempotent appends, reads by index, query, reindex', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  let results: Array<Record<string, unknown>>;
  before(() => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
    const input = [
      { ...sessionStart('a0'), stream_id: 'order-1', expected_version: -1, metadata: { correlation_id: 'c-1' } },
      { ...sessionStart('b0'), stream_id: 'user-1' },
      { ...sessionStart('a1'), stream_id: 'order-1', expected_version: 0, event_id: ID },
      { event_type: 'session_end', schema_version: '1.0.0', provenance: { ...provenance, actor: 'operator', framework_id: 'FMWK-002' }, payload: {} },
      { ...sessionStart('a2'), stream_id: 'order-1' },
    ];
    const r = cli(['append', '--store', store, '-'], input.map(line).join(''));
    expect(r.code, r.stderr).to.equal(0);
    results = jsonLines(r);
  });
  after(() => remove());

  it('append prints the AppendResult per event: stream versions 0, 1, 2 and the caller event_id', () => {
    expect(results.map((x) => [x.sequence, x.stream_id, x.stream_version])).to.deep.equal([[0, 'order-1', 0], [1, 'user-1', 0], [2, 'order-1', 1], [3, undefined, undefined], [4, 'order-1', 2]]);
    expect(results[2]!.event_id).to.equal(ID);
    expect(Object.keys(results[0]!)).to.deep.equal(['event_id', 'hash', 'sequence', 'stream_id', 'stream_version']);
    expect(Object.keys(results[3]!)).to.deep.equal(['event_id', 'hash', 'sequence']);
  });

  it('a retried event_id prints the original result and writes nothing; other content is refused (exit 1)', () => {
    const retry = cli(['append', '--store', store, '-'], line({ ...sessionStart('a1'), stream_id: 'order-1', expected_version: 0, event_id: ID }));
    expect(retry.code, retry.stderr).to.equal(0);
    expect(jsonLines(retry)).to.deep.equal([results[2]]);
    const other = cli(['append', '--store', store, '-'], line({ ...sessionStart('changed'), stream_id: 'order-1', event_id: ID }));
    expect(other.code).to.equal(1);
    expect(other.stderr).to.match(/line 1: event_id 01890a5d-ac96-774b-bcce-b302099a8057 \(sequence 2\): .*payload differ/);
    expect(JSON.parse(cli(['tip', '--store', store]).stdout).sequence_number).to.equal(4);
  });

  it('a stale expected_version, stream_version given, or expected_version without stream_id is refused naming it; nothing is written', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...sessionStart('x'), stream_id: 'order-1', expected_version: 1 }, /line 1: stream "order-1": expected version 1, but its last version is 2/],
      [{ ...sessionStart('x'), stream_id: 'order-1', stream_version: 3 }, /line 1: stream_version: is assigned by the ledger/],
      [{ ...sessionStart('x'), expected_version: -1 }, /line 1: expected_version: needs stream_id/],
      [{ ...sessionStart('x'), metadata: [1] }, /line 1: metadata: /],
    ];
    for (const [input, message] of cases) {
      const r = cli(['append', '--store', store, '-'], line(input));
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(message);
    }
    expect(JSON.parse(cli(['tip', '--store', store]).stdout).sequence_number).to.equal(4);
  });

  it('read --stream: version order, --backward, --from/--to, --limit; an unknown stream prints nothing', () => {
    const versions = (args: string[]) => {
      const r = cli(['read', '--store', store, ...args]);
      expect(r.code, r.stderr).to.equal(0);
      return jsonLines(r).map((e) => e.stream_version);
    };
    expect(versions(['--stream', 'order-1'])).to.deep.equal([0, 1, 2]);
    expect(versions(['--stream', 'order-1', '--backward'])).to.deep.equal([2, 1, 0]);
    expect(versions(['--stream', 'order-1', '--from', '1'])).to.deep.equal([1, 2]);
    expect(versions(['--stream', 'order-1', '--backward', '--limit', '2'])).to.deep.equal([2, 1]);
    expect(versions(['--stream', 'order-1', '--to', '1'])).to.deep.equal([0, 1]);
    expect(versions(['--stream', 'nobody'])).to.deep.equal([]);
    const first = jsonLines(cli(['read', '--store', store, '--stream', 'order-1', '--limit', '1']))[0]!;
    expect(first.metadata).to.deep.equal({ correlation_id: 'c-1' });
    expect(cli(['read', '--store', store, '--stream', 'order-1', '--limit', '1']).stdout).to.equal(cli(['read', '--store', store, '0']).stdout);
  });

  it('read --hash and --event-id print the event; an unknown one is exit 1; bad combinations are usage errors', () => {
    expect(jsonLines(cli(['read', '--store', store, '--hash', results[3]!.hash as string]))[0]!.sequence).to.equal(3);
    expect(jsonLines(cli(['read', '--store', store, '--event-id', ID]))[0]!.sequence).to.equal(2);
    const missing = cli(['read', '--store', store, '--hash', `sha256:${'0'.repeat(64)}`]);
    expect([missing.code, missing.stdout]).to.deep.equal([1, '']);
    expect(missing.stderr).to.match(/no event has hash sha256:0{64}/);
    expect(cli(['read', '--store', store, '--event-id', '01890a5d-ac96-774b-bcce-b302099a8000']).code).to.equal(1);
    const badHash = cli(['read', '--store', store, '--hash', 'abc']);
    expect(badHash.code).to.equal(2);
    expect(badHash.stderr).to.match(/hash: expected sha256:<64 lowercase hex>/);
    expect(cli(['read', '--store', store, '--hash', results[0]!.hash as string, '--stream', 'x']).code).to.equal(2);
    expect(cli(['read', '--store', store, '--from', '1', '0']).stderr).to.match(/--from needs --stream/);
  });

  it('query: by type, actor, framework, stream prefix, time, with --limit and --backward', () => {
    const seqs = (args: string[]) => {
      const r = cli(['query', '--store', store, ...args]);
      expect(r.code, r.stderr).to.equal(0);
      return jsonLines(r).map((e) => e.sequence);
    };
    expect(seqs(['--type', 'session_end'])).to.deep.equal([3]);
    expect(seqs(['--actor', 'system'])).to.deep.equal([0, 1, 2, 4]);
    expect(seqs(['--framework', 'FMWK-002'])).to.deep.equal([3]);
    expect(seqs(['--stream-prefix', 'order-'])).to.deep.equal([0, 2, 4]);
    expect(seqs(['--stream-prefix', 'order-', '--backward', '--limit', '2'])).to.deep.equal([4, 2]);
    expect(seqs([])).to.deep.equal([0, 1, 2, 3, 4]);
    const t = jsonLines(cli(['read', '--store', store, '0']))[0]!.timestamp as string;
    expect(seqs(['--since', t, '--limit', '1'])).to.deep.equal([0]);
    expect(seqs(['--until', '2000-01-01'])).to.deep.equal([]);
    expect(seqs(['--since', '2000-01-01T00:00:00Z'])).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('query with a bad filter is a usage error naming it', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--since', 'yesterday'], /--since: expected an ISO-8601 time/],
      [['--actor', 'robot'], /actor: expected "system" \| "operator" \| "agent"/],
      [['--type', 'Not A Type'], /event_type: expected an event type/],
      [['--limit', '-1'], /--limit/],
      [['--until', '2000-01-01', '--since', '2001-01-01'], /until: is before since/],
    ];
    for (const [args, message] of cases) {
      const r = cli(['query', '--store', store, ...args]);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(message);
    }
  });

  it('reindex prints the number of events indexed and the answers stay the same; a missing store is refused, not created', () => {
    const before = cli(['query', '--store', store, '--stream-prefix', 'order-']).stdout;
    const r = cli(['reindex', '--store', store]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ events: 5 });
    expect(cli(['query', '--store', store, '--stream-prefix', 'order-']).stdout).to.equal(before);
    const missing = join(dir, 'nothing-here');
    expect(cli(['reindex', '--store', missing]).code).to.equal(2);
    expect(existsSync(missing)).to.equal(false);
  });

  it('--help names every new option', () => {
    expect(cli(['read', '--help']).stdout).to.include('--stream <ID>').and.include('--hash <HASH>').and.include('--event-id <ID>').and.include('--backward');
    expect(cli(['query', '--help']).stdout).to.include('--stream-prefix <P>').and.include('--since <ISO>').and.include('--framework <F>');
    expect(cli(['append', '--help']).stdout).to.include('expected_version').and.include('"stream_version"');
    expect(cli(['--help']).stdout).to.match(/reindex/);
  });
});
