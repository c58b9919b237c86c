// Files written aside and renamed (export --out, snapshots) are created exclusively under an
// unpredictable name: a symlink planted at any name an attacker can predict overwrites nothing.
import { expect } from 'chai';
import { lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DirectoryStore, Ledger, ReplayEngine } from '../../src/index.js';
import { silentLogger } from '../../replay/replayLogger.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import type { CliIO } from '../../src/cli/command.js';
import { createAtomicFile } from '../../src/stores/atomicWrite.js';
import { delta, totals } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

function capture(): CliIO & { err: () => string } {
  const stderr = new PassThrough();
  let e = '';
  stderr.on('data', (d) => (e += d));
  return { stdin: new PassThrough(), stdout: new PassThrough(), stderr, err: () => e };
}

describe('temporary files never follow a planted symlink', () => {
  let dir: string;
  let remove: () => void;
  let store: string;
  let victim: string;
  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    store = join(dir, 'store');
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    for (let i = 1; i <= 5; i++) await ledger.append(delta('a', i));
    await ledger.close();
    victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
  });
  afterEach(() => remove());

  it('export --out: symlinks at the old FILE.partial-<pid> name and at FILE itself leave their target untouched', async () => {
    const out = join(dir, 'export.jsonl');
    // The name the export used to write through, for this process (the command runs in it).
    symlinkSync(victim, `${out}.partial-${process.pid}`);
    symlinkSync(victim, out);
    const io = capture();
    expect(await exportCommand.run(['--store', store, '--out', out], io), io.err()).to.equal(0);
    expect(readFileSync(victim, 'utf8')).to.equal('precious\n');
    expect(lstatSync(out).isFile(), 'FILE is a regular file now, not the link').to.equal(true);
    expect(readFileSync(out)).to.deep.equal(readFileSync(join(store, 'ledger.jsonl')));
    // No temporary file left behind; the planted link is still there, unused.
    expect(readdirSync(dir).sort()).to.deep.equal(['export.jsonl', `export.jsonl.partial-${process.pid}`, 'store', 'victim']);
  });

  it('snapshot: a symlink at the snapshot name is replaced, not written through', async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    try {
      const engine = new ReplayEngine(ledger, { projections: [totals], logger: silentLogger });
      await engine.takeSnapshot();
      const path = join(store, 'snapshots', '5.snapshot');
      await ledger.append(delta('a', 6));
      symlinkSync(victim, path);
      const record = await engine.takeSnapshot({ at: 5 });
      expect(record.path).to.equal(path);
      expect(readFileSync(victim, 'utf8')).to.equal('precious\n');
      expect(lstatSync(path).isFile()).to.equal(true);
    } finally {
      await ledger.close();
    }
  });

  it('the temporary name is unpredictable (host tag, pid, start ticks and 128 random bits), and abort leaves nothing', async () => {
    const target = join(dir, 'target');
    const a = await createAtomicFile(target);
    const b = await createAtomicFile(target);
    expect(a.tempPath).to.match(new RegExp(`/\\.target\\.[0-9a-f]{8}\\.${process.pid}\\.(\\d+|x)\\.[0-9a-f]{32}\\.tmp$`));
    expect(a.tempPath).to.not.equal(b.tempPath);
    await a.abort();
    await b.abort();
    expect(readdirSync(dir).filter((n) => n.startsWith('.target'))).to.deep.equal([]);
  });
});
