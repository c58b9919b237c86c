// The Merkle tree of an immudb ledger, kept beside its events on the real server: kept current
// by appends, roots agreeing with Go's tlog, checkpoints kept in the database, and the database
// owner's edits of the stored hashes refused before signing.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, LedgerProofError, LedgerValidationError, generateKey, leafHash, openCheckpoint, parseSignerKey, parseVerifierKey, takeCheckpoint, verifyFileAgainstCheckpoint, verifyInclusion } from '../../src/index.js';
import { resolveImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbSession } from '../../src/stores/immudb/immudbRpc.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { Secret } from '../../src/stores/immudb/secret.js';
import { freshImmudbConfig, TEST_DATABASE } from '../support/immudbTestStores.js';
import { sharedImmudb } from '../support/sharedImmudb.js';
import { sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { verifyConsistency } from '../../src/index.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
import { b64, runGo } from './goChecker.js';

const key = generateKey('ledger.example/immudb');
const signer = parseSignerKey(key.signerKey);
const verifier = parseVerifierKey(key.verifierKey);

async function lines(store: ImmudbStore): Promise<string[]> {
  const out: string[] = [];
  for await (const { line } of store.scanLines(0)) out.push(line);
  return out;
}

describe('proofs/immudbMerkle: the tree beside the events in immudb', function () {
  it('kept current by appends, caught up at open; roots agree with Go; a checkpoint kept in the database verifies the export', async function () {
    const config = await freshImmudbConfig();
    const plain = await Ledger.open(await ImmudbStore.open(config));
    for (let i = 0; i < 5; i++) await plain.append(sessionStart(`before-${i}`));
    await plain.close();
    const ledger = await Ledger.open(await ImmudbStore.open(config), { merkle: true });
    expect(ledger.merkle!.size).to.equal(5);
    for (let i = 0; i < 32; i++) await ledger.append(sessionStart(`with-${i}`));
    expect(ledger.merkle!.size).to.equal(37);
    expect((await ledger.verifyChain()).valid).to.equal(true); // the tree's keys are not among the events'
    await ledger.close();

    const store = await ImmudbStore.open(config);
    const rebuilt: string[] = [];
    const log = await store.openMerkleLog({ onRebuild: (why) => rebuilt.push(why) });
    try {
      expect(rebuilt).to.deep.equal([]);
      const ls = await lines(store);
      const go = runGo({ leaves: ls.map((l) => b64(Buffer.from(l))) });
      for (let n = 1; n <= 37; n++) expect(b64(await log.root(n)), `root ${n}`).to.equal(go.roots[n - 1]);
      verifyInclusion(leafHash(ls[20]!), 20, 37, await log.inclusionProof(20), await log.root());
      const keeper = store.checkpointKeeper();
      const { signed } = await takeCheckpoint(keeper, store, log, signer, verifier);
      expect(await keeper.readCheckpoint()).to.equal(signed);
      expect(openCheckpoint(signed, verifier).checkpoint.size).to.equal(37);
      const tmp = tempDir('fmwk-ledger-immudb-merkle-');
      try {
        const file = join(tmp.dir, 'export.jsonl');
        writeFileSync(file, ls.map((l) => `${l}\n`).join(''));
        expect(await verifyFileAgainstCheckpoint(file, signed, key.verifierKey)).to.include({ valid: true, count: 37 });
      } finally {
        tmp.remove();
      }
    } finally {
      await log.close();
      await store.close();
    }
  });

  it('a stored hash rewritten by the database owner is refused before signing; a count past the tip is rebuilt', async function () {
    const config = await freshImmudbConfig();
    const ledger = await Ledger.open(await ImmudbStore.open(config), { merkle: true });
    for (let i = 0; i < 12; i++) await ledger.append(sessionStart(`s-${i}`));
    const store = ledger.store as ImmudbStore;
    await takeCheckpoint(store.checkpointKeeper(), store, ledger.merkle!, signer, verifier);
    await ledger.close();

    const server = sharedImmudb();
    const owner = await ImmudbSession.open({ host: server.host, port: server.port, database: TEST_DATABASE, user: 'immudb', password: new Secret('immudb') });
    const set = (k: string, v: Buffer) => owner.execAll({ Operations: [{ kv: { key: Buffer.from(`merkle/${config.keyPrefix}${k}`, 'utf8'), value: v } }], noWait: false, preconditions: [] });
    try {
      // Stored hash 14 is the subtree of events 0..7: the signed root of size 12 is built from it.
      await set(`h${'14'.padStart(20, '0')}`, Buffer.alloc(32, 7));
      const again = await Ledger.open(await ImmudbStore.open(config), { merkle: true });
      try {
        await again.append(sessionStart('after'));
        const s = again.store as ImmudbStore;
        const err = await takeCheckpoint(s.checkpointKeeper(), s, again.merkle!, signer, verifier).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(LedgerProofError);
        expect((err as LedgerProofError).kind).to.equal('inconsistent');
      } finally {
        await again.close();
      }
      await set('leaves', Buffer.from('999', 'latin1'));
      const store2 = await ImmudbStore.open(config);
      const why: string[] = [];
      const log = await store2.openMerkleLog({ onRebuild: (w) => why.push(w) });
      try {
        expect(why[0]).to.match(/cover 999 events but the ledger holds 13/);
        expect(log.size).to.equal(13);
        const go = runGo({ leaves: (await lines(store2)).map((l) => b64(Buffer.from(l))) });
        expect(b64(await log.root())).to.equal(go.roots[12]); // the rewritten hash 14 is rewritten back
      } finally {
        await log.close();
        await store2.close();
      }
    } finally {
      await owner.close();
    }
  });

  it('refuses a key prefix under which the tree would sit among the events', async function () {
    const base = await freshImmudbConfig();
    const store = await ImmudbStore.open(resolveImmudbConfig({ env: sharedImmudb().env(TEST_DATABASE), overrides: { keyPrefix: 'm' } }));
    try {
      const err = await store.openMerkleLog().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(LedgerValidationError);
      expect((err as LedgerValidationError).path).to.equal('keyPrefix');
    } finally {
      await store.close();
    }
    expect(base.keyPrefix).to.match(/^test\//);
  });

  it('fmwk-ledger checkpoint and prove on an immudb:// store (credentials from the environment)', async function () {
    const config = await freshImmudbConfig();
    const ledger = await Ledger.open(await ImmudbStore.open(config));
    for (let i = 0; i < 9; i++) await ledger.append(sessionStart(`c-${i}`));
    await ledger.close();
    const server = sharedImmudb();
    const env = { ...process.env, IMMUDB_USER: 'immudb', IMMUDB_PASSWORD: 'immudb', IMMUDB_KEY_PREFIX: config.keyPrefix };
    const address = `immudb://${server.host}:${server.port}/${TEST_DATABASE}`;
    const tmp = tempDir('fmwk-ledger-immudb-cli-');
    try {
      const keyFile = join(tmp.dir, 'log.key');
      writeFileSync(keyFile, key.signerKey, { mode: 0o600 });
      const cli = (...a: string[]) => spawnSync(process.execPath, [MAIN, ...a], { encoding: 'utf8', env });
      const cp = cli('checkpoint', '--store', address, '--key', keyFile);
      expect(cp.status, cp.stderr).to.equal(0);
      expect(openCheckpoint(cp.stdout, verifier).checkpoint.size).to.equal(9);
      const store = await ImmudbStore.open(config);
      try {
        expect(await store.checkpointKeeper().readCheckpoint()).to.equal(cp.stdout);
      } finally {
        await store.close();
      }
      const r = cli('prove', 'consistency', '--store', address, '--from', '4', '--to', '9');
      expect(r.status, r.stderr).to.equal(0);
      const p = JSON.parse(r.stdout) as { old_root: string; new_root: string; proof: string[] };
      verifyConsistency(4, 9, p.proof.map((x) => Buffer.from(x, 'base64')), Buffer.from(p.old_root, 'base64'), Buffer.from(p.new_root, 'base64'));
      expect(p.new_root).to.equal(b64(openCheckpoint(cp.stdout, verifier).checkpoint.root));
    } finally {
      tmp.remove();
    }
  });
});
