// The replay and snapshot commands, run in process with captured output.
import { expect } from 'chai';
import { chmodSync, mkdirSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { replay } from '../../src/cli/commands/replay.js';
import { snapshot } from '../../src/cli/commands/snapshot.js';
import { delta } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';
import { capture } from '../support/cliCapture.js';


const lastLine = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);

const PROJECTIONS_JS = `export default [
  { name: 'totals', version: 1, initial: {}, apply: (s, e) => e.event_type === 'signal_delta' ? { ...s, [e.payload.node_id]: (s[e.payload.node_id] ?? 0) + e.payload.delta } : s },
  { name: 'count', version: 1, initial: 0, apply: (n) => n + 1 },
];\n`;

const PROJECTIONS_TS = `interface E { event_type: string; payload: Record<string, unknown> }
const count = { name: 'count', version: 1, initial: 0 as number, apply: (n: number, _e: E): number => n + 1 };
export default [count];\n`;

describe('CLI: replay and snapshot', () => {
  let dir: string;
  let remove: () => void;
  let store: string;

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    for (let i = 0; i < 8; i++) await ledger.append(delta(i % 2 ? 'a' : 'b', i));
    await ledger.close();
    writeFileSync(join(dir, 'projections.mjs'), PROJECTIONS_JS);
    writeFileSync(join(dir, 'projections.ts'), PROJECTIONS_TS);
  });
  afterEach(() => remove());

  it('replay prints {"sequence":N,"states":{...}} as its last line; --to stops early', async () => {
    let io = capture();
    expect(await replay.run(['--store', store, '--projections', join(dir, 'projections.mjs')], io), io.err()).to.equal(0);
    expect(lastLine(io.out())).to.deep.equal({ sequence: 7, states: { totals: { a: 16, b: 12 }, count: 8 } });
    io = capture();
    expect(await replay.run(['--store', store, '--projections', join(dir, 'projections.mjs'), '--to', '2'], io)).to.equal(0);
    expect(io.out()).to.equal('{"sequence":2,"states":{"count":3,"totals":{"a":1,"b":2}}}\n');
  });

  it('snapshot writes and records a snapshot that replay then starts from', async () => {
    let io = capture();
    expect(await snapshot.run(['--store', store, '--projections', join(dir, 'projections.mjs')], io), io.err()).to.equal(0);
    const r = lastLine(io.out());
    expect(r).to.include({ sequence: 7, file: '7.snapshot', record_sequence: 8, path: join(store, 'snapshots', '7.snapshot') });
    expect(r.file_hash).to.match(/^sha256:[0-9a-f]{64}$/);
    io = capture();
    expect(await replay.run(['--store', store, '--projections', join(dir, 'projections.mjs')], io)).to.equal(0);
    // The snapshot's own record (event 8) is the framework's: the user's count does not see it.
    expect(lastLine(io.out())).to.deep.equal({ sequence: 8, states: { totals: { a: 16, b: 12 }, count: 8 } });
    expect(io.err()).to.equal('');
  });

  it('loads a TypeScript projections module', async () => {
    const io = capture();
    expect(await replay.run(['--store', store, '--projections', join(dir, 'projections.ts')], io), io.err()).to.equal(0);
    expect(lastLine(io.out())).to.deep.equal({ sequence: 7, states: { count: 8 } });
  });

  it('loads a TypeScript module without writing anything beside it (read-only directory)', async () => {
    const moduleDir = join(dir, 'readonly');
    mkdirSync(moduleDir);
    writeFileSync(join(moduleDir, 'helper.mjs'), 'export const one = 1;\n');
    writeFileSync(join(moduleDir, 'projections.ts'), `import { one } from './helper.mjs';\n${PROJECTIONS_TS.replace('n + 1', 'n + one')}`);
    chmodSync(moduleDir, 0o555);
    // chmod does not stop root: watch the directory for any file appearing, even briefly.
    const seen: string[] = [];
    const watcher = watch(moduleDir, (event, name) => seen.push(`${event} ${name}`));
    try {
      const io = capture();
      expect(await replay.run(['--store', store, '--projections', join(moduleDir, 'projections.ts')], io), io.err()).to.equal(0);
      expect(lastLine(io.out())).to.deep.equal({ sequence: 7, states: { count: 8 } });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      watcher.close();
      chmodSync(moduleDir, 0o755);
    }
    expect(seen).to.deep.equal([]);
    expect(readdirSync(moduleDir).sort()).to.deep.equal(['helper.mjs', 'projections.ts']);
  });

  it('refuses a module whose default export is not an array of projections, naming the problem', async () => {
    writeFileSync(join(dir, 'bad.mjs'), `export default [{ name: 'x', version: 0, initial: 0, apply: (n) => n }];\n`);
    let error: unknown;
    await replay.run(['--store', store, '--projections', join(dir, 'bad.mjs')], capture()).catch((e) => (error = e));
    expect((error as Error).message).to.contain('version: projection "x": expected a positive integer');
  });
});
