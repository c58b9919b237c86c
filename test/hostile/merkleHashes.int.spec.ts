// Hostile Merkle hashes (issue 21): the owner of a store's files or database changes the stored
// tree hashes, and `prove` (and the MerkleLog calls behind it) must answer with the true proof
// and roots, or refuse naming the hashes, never print a proof that does not hold. Every hash of
// merkle/hashes flipped (one byte, seeded), pairs of hashes flipped, the file cut and extended,
// and in immudb a hash key rewritten. The truth is an in-memory tree over the ledger's lines.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { LedgerProofError } from '../../src/errors/errors.js';
import type { MerkleLog } from '../../src/ledger/ledgerStore.js';
import { consistencyProof, inclusionProof, leafHash, MemoryHashStore, storedCount, storedIndex } from '../../src/proofs/merkle.js';
import { CHECKPOINT_FILE, HASHES_FILE, MERKLE_DIR, openDirectoryMerkleLog, takeCheckpoint } from '../../src/stores/merkleLog.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../src/proofs/note.js';
import { ImmudbSession } from '../../src/stores/immudb/immudbRpc.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { Secret } from '../../src/stores/immudb/secret.js';
import { sessionStart } from '../support/fixtures.js';
import { freshImmudbConfig, TEST_DATABASE } from '../support/immudbTestStores.js';
import { sharedImmudb } from '../support/sharedImmudb.js';
import { ledgerWith, type LedgerFixture } from '../proofs/ledgerFixture.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const SEED = 20_261_208;
const N = 13; // root pieces [0,8) [8,12) [12,13): hash 21 is [8,12), in the root and in many proofs

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s % n;
  };
}

function flip(bytes: Buffer, at: number, mask: number): Buffer {
  bytes[at] = bytes[at]! ^ mask;
  return bytes;
}

interface Truth {
  inclusion(i: number, n: number): Promise<{ leafHash: Buffer; root: Buffer; proof: Buffer[] }>;
  consistency(m: number, n: number): Promise<{ oldRoot: Buffer; newRoot: Buffer; proof: Buffer[] }>;
}

async function truthOf(lines: readonly string[]): Promise<Truth> {
  const tree = new MemoryHashStore();
  for (const l of lines) await tree.append(l);
  return {
    inclusion: async (i, n) => ({ leafHash: leafHash(lines[i]!), root: await tree.root(n), proof: await inclusionProof(tree, i, n) }),
    consistency: async (m, n) => ({ oldRoot: await tree.root(m), newRoot: await tree.root(n), proof: await consistencyProof(tree, m, n) }),
  };
}

/** Every inclusion and consistency answer of sizes 1..n: true, or refused naming `where`. Returns the refusals. */
async function judgeAll(log: MerkleLog, truth: Truth, n: number, where: string | RegExp): Promise<number> {
  let refused = 0;
  const judge = async <T>(what: string, got: () => Promise<T>, want: () => Promise<T>): Promise<void> => {
    let answer: T;
    try {
      answer = await got();
    } catch (e) {
      expect(e, `${what}: ${String(e)}`).to.be.instanceOf(LedgerProofError);
      expect((e as LedgerProofError).kind, `${what}: ${String(e)}`).to.equal('inconsistent');
      if (typeof where === 'string') expect((e as LedgerProofError).field).to.equal(where);
      else expect((e as LedgerProofError).field).to.match(where);
      expect((e as Error).message).to.match(/the Merkle hashes are corrupted; .*rebuild/);
      refused++;
      return;
    }
    expect(answer, `${what} answered wrongly`).to.deep.equal(await want());
  };
  for (let size = 1; size <= n; size++) {
    for (let i = 0; i < size; i++) await judge(`inclusion ${i} in ${size}`, () => log.inclusion(i, size), () => truth.inclusion(i, size));
    for (let m = 1; m <= size; m++) await judge(`consistency ${m} → ${size}`, () => log.consistency(m, size), () => truth.consistency(m, size));
  }
  return refused;
}

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hostile: corrupted Merkle hashes never give a wrong proof', function () {
  let fx: LedgerFixture;
  let truth: Truth;
  let file: string;
  let good: Buffer;
  before(async function () {
    fx = await ledgerWith(N);
    truth = await truthOf(fx.lines());
    file = join(fx.dir, MERKLE_DIR, HASHES_FILE);
    const store = await DirectoryStore.open(fx.dir, { readOnly: true });
    await (await openDirectoryMerkleLog(fx.dir, store)).close();
    await store.close();
    good = readFileSync(file);
    expect(good.length).to.equal(storedCount(N) * 32);
  });
  after(() => fx.remove());
  afterEach(() => writeFileSync(file, good));

  /** Opens the tree over the mutated file, judges every answer, restores the file. */
  async function underMutation(mutate: (bytes: Buffer) => Buffer): Promise<{ refused: number; rebuilt: string[] }> {
    writeFileSync(file, mutate(Buffer.from(good)));
    const store = await DirectoryStore.open(fx.dir, { readOnly: true });
    const rebuilt: string[] = [];
    try {
      const log = await openDirectoryMerkleLog(fx.dir, store, { onRebuild: (w) => rebuilt.push(w) });
      try {
        return { refused: await judgeAll(log, truth, N, file), rebuilt };
      } finally {
        await log.close();
      }
    } finally {
      await store.close();
      writeFileSync(file, good);
    }
  }

  it('one byte of each stored hash flipped (library): every answer is true or refused naming the file', async function () {
    const r = rng(SEED);
    let refusals = 0;
    let caughtFlips = 0;
    for (let h = 0; h < storedCount(N); h++) {
      const at = h * 32 + r(32);
      const mask = 1 + r(255);
      const { refused, rebuilt } = await underMutation((b) => flip(b, at, mask));
      refusals += refused;
      // The last leaf's hash is checked at open: that file is rebuilt, every answer then true.
      if (h === storedIndex(0, N - 1)) expect(rebuilt[0]).to.match(/stored leaf hash of event 12/);
      else if (refused > 0) caughtFlips++;
    }
    // Every hash but the rebuilt one is read by some answer (a root or a proof) and caught there.
    expect(caughtFlips).to.equal(storedCount(N) - 1);
    expect(refusals).to.be.greaterThan(0);
  });

  it('two stored hashes flipped at once (seeded pairs): every answer is true or refused', async function () {
    const r = rng(SEED + 1);
    for (let k = 0; k < 40; k++) {
      const a = r(storedCount(N));
      const b = r(storedCount(N));
      await underMutation((bytes) => {
        flip(bytes, a * 32 + r(32), 1 + r(255));
        flip(bytes, b * 32 + r(32), 1 + r(255));
        return bytes;
      });
    }
  });

  it('the file cut at any hash boundary or inside a hash, or extended by whole or partial hashes: caught up or rebuilt, every answer true', async function () {
    for (let len = 0; len < good.length; len += 16) {
      const { refused } = await underMutation((b) => b.subarray(0, len));
      expect(refused, `cut to ${len} bytes`).to.equal(0);
    }
    for (const extra of [1, 31, 32, 64, 96, 200]) {
      const { refused } = await underMutation((b) => Buffer.concat([b, Buffer.alloc(extra, 0xa5)]));
      expect(refused, `extended by ${extra} bytes`).to.equal(0);
    }
  });

  it('CLI: prove on a flipped edge hash exits 2 naming the file and --rebuild; prove --rebuild prints the true proof', async function () {
    const bytes = Buffer.from(good);
    flip(bytes, 21 * 32 + 5, 0x40); // the subtree [8,12): in the root of size 13 and in the path of event 2
    writeFileSync(file, bytes);
    const inc = cli('prove', 'inclusion', '--store', fx.dir, '--seq', '2');
    expect(inc.code, inc.stderr).to.equal(2);
    expect(inc.stdout).to.equal('');
    expect(inc.stderr).to.contain(file).and.to.contain('corrupted').and.to.contain('--rebuild');
    const con = cli('prove', 'consistency', '--store', fx.dir, '--from', '5', '--to', String(N));
    expect(con.code, con.stderr).to.equal(2);
    expect(con.stdout).to.equal('');
    expect(con.stderr).to.contain(file);
    const fixed = cli('prove', 'inclusion', '--store', fx.dir, '--seq', '2', '--rebuild');
    expect(fixed.code, fixed.stderr).to.equal(0);
    expect(fixed.stderr).to.match(/rebuilding the Merkle hashes from the ledger: asked for/);
    const want = await truth.inclusion(2, N);
    const b64 = (x: Buffer) => x.toString('base64');
    expect(JSON.parse(fixed.stdout)).to.deep.equal({ seq: 2, size: N, leaf_hash: b64(want.leafHash), root: b64(want.root), proof: want.proof.map(b64) });
    expect(readFileSync(file).equals(good)).to.equal(true);
  });

  it('merkle/checkpoint replaced by a FIFO, a symbolic link or a huge file: checkpoint refuses naming it, without blocking', async function () {
    const kept = join(fx.dir, MERKLE_DIR, CHECKPOINT_FILE);
    const key = generateKey('ledger.example/hostile-merkle');
    const sign = async (): Promise<unknown> => {
      const store = await DirectoryStore.open(fx.dir, { readOnly: true });
      const log = await openDirectoryMerkleLog(fx.dir, store);
      try {
        return await takeCheckpoint(fx.dir, store, log, parseSignerKey(key.signerKey), parseVerifierKey(key.verifierKey)).then(() => undefined, (e: unknown) => e);
      } finally {
        await log.close();
        await store.close();
      }
    };
    const plant: Array<[string, () => void, RegExp]> = [
      ['FIFO', () => expect(spawnSync('mkfifo', [kept]).status).to.equal(0), /is not a regular file \(a FIFO/],
      ['symbolic link', () => symlinkSync(file, kept), /is a symbolic link/],
      ['huge file', () => writeFileSync(kept, Buffer.alloc(1 << 20, 0x41)), /over the 65536-byte limit/],
    ];
    for (const [what, make, why] of plant) {
      make();
      try {
        const e = await sign();
        expect(e, what).to.be.instanceOf(LedgerProofError);
        expect((e as LedgerProofError).kind).to.equal('malformed_checkpoint');
        expect((e as LedgerProofError).field).to.equal(kept);
        expect((e as Error).message).to.match(why);
      } finally {
        rmSync(kept);
      }
    }
    expect(await sign()).to.equal(undefined); // with the file gone, a checkpoint is taken
    rmSync(kept);
  });

  it('immudb: a hash key rewritten by the database owner is refused by inclusion, consistency and the CLI, naming the keys; --rebuild repairs', async function () {
    const config = await freshImmudbConfig();
    const ledger = await Ledger.open(await ImmudbStore.open(config), { merkle: true });
    for (let i = 0; i < N; i++) await ledger.append(sessionStart(`h-${i}`));
    await ledger.close();
    const server = sharedImmudb();
    const owner = await ImmudbSession.open({ host: server.host, port: server.port, database: TEST_DATABASE, user: 'immudb', password: new Secret('immudb') });
    try {
      const store = await ImmudbStore.open(config);
      const lines: string[] = [];
      for await (const { line } of store.scanLines(0)) lines.push(line);
      const immudbTruth = await truthOf(lines);
      const key = `merkle/${config.keyPrefix}h${String(21).padStart(20, '0')}`;
      await owner.execAll({ Operations: [{ kv: { key: Buffer.from(key, 'utf8'), value: Buffer.alloc(32, 9) } }], noWait: false, preconditions: [] });
      const log = await store.openMerkleLog();
      try {
        const refused = await judgeAll(log, immudbTruth, N, `the immudb keys merkle/${config.keyPrefix}h…`);
        expect(refused).to.be.greaterThan(0);
        const e = await log.inclusion(2, N).then(() => undefined, (x: unknown) => x);
        expect((e as Error).message).to.match(/stored hash 21 \(the subtree hash of events 8\.\.11\) is not the hash of its two children/);
      } finally {
        await log.close();
        await store.close();
      }
      const env = { ...process.env, IMMUDB_USER: 'immudb', IMMUDB_PASSWORD: 'immudb', IMMUDB_KEY_PREFIX: config.keyPrefix };
      const address = `immudb://${server.host}:${server.port}/${TEST_DATABASE}`;
      const run = (...a: string[]) => spawnSync(process.execPath, [MAIN, ...a], { encoding: 'utf8', env });
      const bad = run('prove', 'inclusion', '--store', address, '--seq', '2');
      expect(bad.status, bad.stderr).to.equal(2);
      expect(bad.stdout).to.equal('');
      expect(bad.stderr).to.contain(`merkle/${config.keyPrefix}h`).and.to.contain('--rebuild');
      const fixed = run('prove', 'consistency', '--store', address, '--from', '5', '--rebuild');
      expect(fixed.status, fixed.stderr).to.equal(0);
      const want = await immudbTruth.consistency(5, N);
      expect(JSON.parse(fixed.stdout)).to.deep.equal({ from: 5, to: N, old_root: want.oldRoot.toString('base64'), new_root: want.newRoot.toString('base64'), proof: want.proof.map((x) => x.toString('base64')) });
    } finally {
      await owner.close();
    }
  });
});
