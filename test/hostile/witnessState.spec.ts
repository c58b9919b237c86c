// The state directory of a witness and of a client's trusted checkpoints (issue 21 section 1):
// every spelling of the path (relative, ./, trailing slash, .., absolute, a symlinked directory)
// keeps the state at one name, so a second root for a size is refused every time, through the
// library and through the CLI (docs/proofs.md's example run as written); state that cannot be
// read is an error naming the file, never a first visit; two check-and-records never interleave.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LedgerLockedError, LedgerProofError } from '../../src/errors/errors.js';
import { cosignerVerifierKey, parseCosignerKey } from '../../src/proofs/cosignature.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../src/proofs/note.js';
import { ORIGINS_FILE, OriginStates, STATE_LOCK_FILE, TrustedCheckpoints, Witness } from '../../src/stores/witnessState.js';
import { WriterLock } from '../../src/stores/writerLock.js';
import { tempDir } from '../support/tempDir.js';
import { ledgerWith, rehashFrom, type LedgerFixture } from '../proofs/ledgerFixture.js';
import { DirectoryStore } from '../../src/index.js';
import { openDirectoryMerkleLog, takeCheckpoint } from '../../src/stores/merkleLog.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ORIGIN = 'ledger.example/witness-state';
const STATE_NAME = `${createHash('sha256').update(ORIGIN, 'utf8').digest('hex')}.json`;

function cli(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function signedCheckpoint(fx: LedgerFixture, key: { signerKey: string; verifierKey: string }): Promise<string> {
  const store = await DirectoryStore.open(fx.dir, { readOnly: true });
  const log = await openDirectoryMerkleLog(fx.dir, store);
  try {
    return (await takeCheckpoint(fx.dir, store, log, parseSignerKey(key.signerKey), parseVerifierKey(key.verifierKey))).signed;
  } finally {
    await log.close();
    await store.close();
  }
}

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

function expectBadState(e: unknown, file: string, why: RegExp): void {
  expect(e, 'expected a LedgerProofError').to.be.instanceOf(LedgerProofError);
  expect((e as LedgerProofError).kind, (e as Error).message).to.equal('bad_state');
  expect((e as LedgerProofError).field).to.equal(file);
  expect((e as Error).message).to.match(why);
}

describe('stores/witnessState: state paths and state that cannot be read', function () {
  const key = generateKey(ORIGIN);
  const wkey = generateKey('witness.example/paths');
  const logV = parseVerifierKey(key.verifierKey);
  let fx: LedgerFixture;
  let cp10: string; // size 10
  let fork10: string; // size 10, another root (event 3 rewritten)
  let fork7: string; // size 7, another history: older than 10 and not its prefix
  let work: { dir: string; remove: () => void };
  before(async function () {
    fx = await ledgerWith(10);
    cp10 = await signedCheckpoint(fx, key);
    const fork = await ledgerWith(0);
    try {
      writeFileSync(fork.file, rehashFrom(fx.lines(), 3).map((l) => `${l}\n`).join(''));
      fork10 = await signedCheckpoint(fork, key);
      writeFileSync(fork.file, rehashFrom(fx.lines().slice(0, 7), 3).map((l) => `${l}\n`).join(''));
      rmSync(join(fork.dir, 'merkle'), { recursive: true });
      fork7 = await signedCheckpoint(fork, key);
    } finally {
      fork.remove();
    }
    expect(cp10.split('\n')[1]).to.equal('10');
    expect(fork10.split('\n')[1]).to.equal('10');
    expect(fork10.split('\n')[2]).not.to.equal(cp10.split('\n')[2]);
    expect(fork7.split('\n')[1]).to.equal('7');
  });
  after(() => fx.remove());
  beforeEach(() => (work = tempDir('fmwk-ledger-wstate-')));
  afterEach(() => work.remove());

  // Each spelling, relative to a working directory `cwd`, and where the state must land.
  const spellings = (cwd: string): Array<{ name: string; arg: string; lands: string }> => {
    mkdirSync(join(cwd, 'a'), { recursive: true });
    mkdirSync(join(cwd, 'real'), { recursive: true });
    symlinkSync(join(cwd, 'real'), join(cwd, 'linked'));
    return [
      { name: 'relative', arg: 'wstate', lands: join(cwd, 'wstate') },
      { name: './-prefixed', arg: './wstate', lands: join(cwd, 'wstate') },
      { name: 'trailing slash', arg: 'wstate/', lands: join(cwd, 'wstate') },
      { name: '..-containing', arg: 'a/../wstate', lands: join(cwd, 'wstate') },
      { name: 'absolute', arg: join(cwd, 'abs', 'wstate'), lands: join(cwd, 'abs', 'wstate') },
      { name: 'symlinked directory', arg: 'linked', lands: join(cwd, 'real') },
    ];
  };

  function expectStateAt(dir: string, size: number): void {
    expect(readdirSync(dir).filter((n) => n.endsWith('.json')).sort()).to.deep.equal([STATE_NAME, ORIGINS_FILE].sort());
    expect(JSON.parse(readFileSync(join(dir, STATE_NAME), 'utf8'))).to.deep.include({ origin: ORIGIN, size });
    expect(JSON.parse(readFileSync(join(dir, ORIGINS_FILE), 'utf8'))).to.deep.equal({ origins: [ORIGIN] });
  }

  it('library: Witness and TrustedCheckpoints refuse a second root and a smaller size under every spelling of the directory', async function () {
    const cwd = process.cwd();
    process.chdir(work.dir); // relative paths are relative to the process's directory
    try {
      for (const s of spellings(work.dir)) {
        for (const kind of ['witness', 'client'] as const) {
          rmSync(s.lands, { recursive: true, force: true });
          if (s.name === 'symlinked directory') mkdirSync(s.lands);
          const accept =
            kind === 'witness'
              ? (note: string) => new Witness({ cosigner: parseCosignerKey(wkey.signerKey), stateDir: s.arg }).cosign(note, logV, [])
              : (note: string) => new TrustedCheckpoints(s.arg).accept(note, logV, []);
          await accept(cp10);
          expectStateAt(s.lands, 10);
          const e1 = await rejection(accept(fork10)); // a new object each time: the state comes from disk
          expect((e1 as LedgerProofError).kind, `${kind} ${s.name}: ${String(e1)}`).to.equal('split_view');
          const e2 = await rejection(accept(fork7));
          expect((e2 as LedgerProofError).kind, `${kind} ${s.name}: ${String(e2)}`).to.equal('split_view');
          await accept(cp10); // the same checkpoint again is fine
          expectStateAt(s.lands, 10);
        }
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it('CLI: fmwk-ledger witness --state in every spelling refuses a second root for the size and a smaller size (exit 1)', function () {
    const wkeyFile = join(work.dir, 'w.key');
    writeFileSync(wkeyFile, wkey.signerKey, { mode: 0o600 });
    for (const [name, text] of [['cp', cp10], ['fork10', fork10], ['fork7', fork7]] as const) writeFileSync(join(work.dir, name), text);
    for (const s of spellings(work.dir)) {
      const witness = (cp: string) => cli(work.dir, 'witness', '--checkpoint', cp, '--log-key', key.verifierKey, '--key', 'w.key', '--state', s.arg, '--store', fx.dir);
      const first = witness('cp');
      expect(first.code, `${s.name}: ${first.stderr}`).to.equal(0);
      expect(first.stdout).to.contain(`\u2014 witness.example/paths `);
      expectStateAt(s.lands, 10);
      for (const cp of ['fork10', 'fork7']) {
        const r = witness(cp);
        expect(r.code, `${s.name} ${cp}: ${r.stderr}`).to.equal(1);
        expect(r.stderr).to.match(/split_view|a second root|older than/);
        expect(r.stdout).to.equal('');
      }
      expectStateAt(s.lands, 10);
      rmSync(s.lands, { recursive: true, force: true });
      if (s.name === 'symlinked directory') mkdirSync(s.lands);
    }
  });

  it("docs/proofs.md's witness example, run as written (--state ./wstate), refuses the fork on the next call", async function () {
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/proofs.md', import.meta.url)), 'utf8');
    const line = docs.split('\n').find((l) => l.startsWith('fmwk-ledger witness '));
    expect(line).to.equal('fmwk-ledger witness --checkpoint cp --log-key log.vkey --key w.key --state ./wstate --store ./data');
    const args = line!.split(' ').slice(1);
    cpSync(fx.dir, join(work.dir, 'data'), { recursive: true });
    writeFileSync(join(work.dir, 'log.vkey'), `${key.verifierKey}\n`);
    writeFileSync(join(work.dir, 'w.key'), wkey.signerKey, { mode: 0o600 });
    writeFileSync(join(work.dir, 'cp'), cp10);
    const first = cli(work.dir, ...args);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout.startsWith(cp10)).to.equal(true);
    expect(first.stdout).to.contain(`\u2014 witness.example/paths `);
    expectStateAt(join(work.dir, 'wstate'), 10);
    writeFileSync(join(work.dir, 'cp'), fork10); // the owner shows another root for size 10
    const second = cli(work.dir, ...args);
    expect(second.code, second.stderr).to.equal(1);
    expect(second.stderr).to.match(/a second root for size 10/);
    expect(second.stdout).to.equal('');
    expect(cosignerVerifierKey(wkey.signerKey)).to.match(/^witness\.example\/paths\+/);
  });

  describe('state that cannot be read is an error naming the file, never a first visit', function () {
    let dir: string;
    let file: string;
    const witness = (): Witness => new Witness({ cosigner: parseCosignerKey(wkey.signerKey), stateDir: dir });
    beforeEach(async () => {
      dir = join(work.dir, 'w');
      file = join(dir, STATE_NAME);
      await witness().cosign(cp10, logV, []);
      writeFileSync(join(work.dir, 'fork10'), fork10);
      writeFileSync(join(work.dir, 'w.key'), wkey.signerKey, { mode: 0o600 });
    });

    async function refusedEverywhere(why: RegExp): Promise<void> {
      expectBadState(await rejection(witness().cosign(fork10, logV, [])), file, why);
      expectBadState(await rejection(witness().cosign(cp10, logV, [])), file, why);
      expectBadState(await rejection(new TrustedCheckpoints(dir).accept(fork10, logV, [])), file, why);
      expectBadState(await rejection(witness().state(ORIGIN)), file, why);
      const r = cli(work.dir, 'witness', '--checkpoint', join(work.dir, 'fork10'), '--log-key', key.verifierKey, '--key', join(work.dir, 'w.key'), '--state', dir, '--store', fx.dir);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain(file);
      expect(r.stdout).to.equal('');
    }


    it('a state file recorded in origins.json but missing', async function () {
      rmSync(file);
      await refusedEverywhere(/is missing, but .*origins\.json records that state was kept/);
    });

    it('a state file that is not JSON, not UTF-8, of the wrong shape, or with a malformed size or root', async function () {
      const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const cases: Array<[string | Buffer, RegExp]> = [
        ['{"origin":', /is not JSON/],
        [Buffer.from([0x7b, 0xff, 0x7d]), /is not UTF-8/],
        ['[]', /is not \{"origin","size","root"\}/],
        [JSON.stringify({ ...good, extra: 1 }), /is not \{"origin","size","root"\}/],
        [JSON.stringify({ ...good, size: -1 }), /size -1 is not/],
        [JSON.stringify({ ...good, size: 1.5 }), /size 1\.5 is not/],
        [JSON.stringify({ ...good, root: 'AAAA' }), /root "AAAA" is not the base64 of 32 bytes/],
      ];
      for (const [bytes, why] of cases) {
        writeFileSync(file, bytes);
        expectBadState(await rejection(witness().cosign(fork10, logV, [])), file, why);
      }
      writeFileSync(file, '{"origin":');
      await refusedEverywhere(/is not JSON/);
    });

    it("another origin's state file under this origin's name", async function () {
      const other = generateKey('ledger.example/other');
      writeFileSync(file, `${JSON.stringify({ origin: other.verifierKey.split('+')[0], size: 99, root: Buffer.alloc(32).toString('base64') })}\n`);
      await refusedEverywhere(/holds the state of "ledger\.example\/other", not of "ledger\.example\/witness-state"/);
    });

    it('a state file that is a symbolic link (even to a valid state), a FIFO, a directory or over the size limit', async function () {
      const copy = join(work.dir, 'copy.json');
      cpSync(file, copy);
      rmSync(file);
      symlinkSync(copy, file);
      await refusedEverywhere(/is a symbolic link/);
      rmSync(file);
      const mkfifo = spawnSync('mkfifo', [file]);
      expect(mkfifo.status, String(mkfifo.stderr)).to.equal(0);
      await refusedEverywhere(/is not a regular file \(a FIFO/); // and does not block on open
      rmSync(file);
      mkdirSync(file);
      expectBadState(await rejection(witness().cosign(fork10, logV, [])), file, /is not a regular file \(a directory\)/);
      rmSync(file, { recursive: true });
      writeFileSync(file, Buffer.alloc(1 << 20, 0x20));
      await refusedEverywhere(/is 1048576 bytes, over the 65536-byte limit/);
    });

    it('origins.json that is not the list of origins', async function () {
      const list = join(dir, ORIGINS_FILE);
      writeFileSync(list, '{"origins":[1]}');
      rmSync(file); // only the list can say whether state was kept
      expectBadState(await rejection(witness().cosign(fork10, logV, [])), list, /is not \{"origins":\[strings\]\}/);
    });

    it('a state file written but not yet listed (a crash between the two writes) is still read', async function () {
      writeFileSync(join(dir, ORIGINS_FILE), '{"origins":[]}');
      const e = await rejection(witness().cosign(fork10, logV, []));
      expect((e as LedgerProofError).kind).to.equal('split_view');
      await witness().cosign(cp10, logV, []);
    });

    it('a missing origins list and state file for an origin never seen is a first visit', async function () {
      const other = new OriginStates(join(work.dir, 'fresh'));
      expect(await other.get(ORIGIN)).to.equal(undefined);
      expect(existsSync(join(work.dir, 'fresh'))).to.equal(false); // reading writes nothing
    });
  });

  it('two cosigns of different roots at once take turns: exactly one root is taken, every call for the other refused', async function () {
    const dir = join(work.dir, 'race');
    const rootOf = (note: string): string => note.split('\n')[2]!;
    for (let round = 0; round < 6; round++) {
      rmSync(dir, { recursive: true, force: true });
      const w = () => new Witness({ cosigner: parseCosignerKey(wkey.signerKey), stateDir: round % 2 === 0 ? dir : `${dir}/` });
      // A witness and a client share the directory here on purpose: one lock per directory.
      const calls: Array<[string, Promise<unknown>]> = [[cp10, w().cosign(cp10, logV, [])], [fork10, w().cosign(fork10, logV, [])], [fork10, new TrustedCheckpoints(dir).accept(fork10, logV, [])]];
      if (round >= 3) calls.reverse();
      const results = await Promise.allSettled(calls.map(([, p]) => p));
      const kept = (JSON.parse(readFileSync(join(dir, STATE_NAME), 'utf8')) as { root: string }).root;
      results.forEach((r, i) => {
        const note = calls[i]![0];
        if (r.status === 'fulfilled') expect(rootOf(note), `call ${i} round ${round}`).to.equal(kept);
        else {
          expect((r.reason as LedgerProofError).kind, String(r.reason)).to.equal('split_view');
          expect(rootOf(note)).not.to.equal(kept);
        }
      });
    }
  });

  it('a state directory whose lock another process holds is refused (LedgerLockedError naming it), nothing recorded', async function () {
    const dir = join(work.dir, 'locked');
    mkdirSync(dir);
    // This process holding it stands for another one: a live holder is never taken over.
    const lock = WriterLock.acquire(join(dir, STATE_LOCK_FILE));
    try {
      const e = await rejection(new Witness({ cosigner: parseCosignerKey(wkey.signerKey), stateDir: dir }).cosign(cp10, logV, []));
      expect(e).to.be.instanceOf(LedgerLockedError);
      expect((e as Error).message).to.contain(`the state directory ${dir} is in use by another process`);
      expect(existsSync(join(dir, STATE_NAME))).to.equal(false);
    } finally {
      lock.releaseSync();
    }
    await new Witness({ cosigner: parseCosignerKey(wkey.signerKey), stateDir: dir }).cosign(cp10, logV, []);
    expect(existsSync(join(dir, STATE_LOCK_FILE))).to.equal(false);
  });
});
