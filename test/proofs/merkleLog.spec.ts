// The Merkle log kept beside a directory store, checkpoints taken from it, cold verification of
// an export against a checkpoint, and the witness: each attack of the threat model tried on real
// files.
import { expect } from 'chai';
import { readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore } from '../../src/index.js';
import { LedgerCorruptionError, LedgerProofError } from '../../src/errors/errors.js';
import { openCheckpoint, signCheckpoint } from '../../src/proofs/checkpoint.js';
import { cosignerVerifierKey, parseCosignerKey, parseCosignerVerifierKey, verifyCosignedCheckpoint } from '../../src/proofs/cosignature.js';
import { TrustedCheckpoints, Witness } from '../../src/stores/witnessState.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/proofs/merkle.js';
import { HASHES_FILE, MERKLE_DIR, openDirectoryMerkleLog, readLatestCheckpoint, takeCheckpoint } from '../../src/stores/merkleLog.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../src/proofs/note.js';
import { verifyFileAgainstCheckpoint } from '../../src/verify/verifyCheckpoint.js';
import { tempDir } from '../support/tempDir.js';
import { b64, runGo } from './goChecker.js';
import { ledgerWith, rehashFrom, type LedgerFixture } from './ledgerFixture.js';

const ORIGIN = 'ledger.example/merklelog';

async function withLog<T>(fx: LedgerFixture, f: (log: Awaited<ReturnType<typeof openDirectoryMerkleLog>>, store: DirectoryStore) => Promise<T>, onRebuild?: (why: string) => void): Promise<T> {
  const store = await DirectoryStore.open(fx.dir, { readOnly: true });
  const log = await openDirectoryMerkleLog(fx.dir, store, onRebuild ? { onRebuild } : {});
  try {
    return await f(log, store);
  } finally {
    await log.close();
    await store.close();
  }
}

async function checkpoint(fx: LedgerFixture, key: { signerKey: string; verifierKey: string }): Promise<string> {
  return withLog(fx, async (log, store) => (await takeCheckpoint(fx.dir, store, log, parseSignerKey(key.signerKey), parseVerifierKey(key.verifierKey))).signed);
}

describe('proofs/merkleLog: the tree beside a directory store, checkpoints, witnesses', function () {
  const key = generateKey(ORIGIN);
  let fx: LedgerFixture;
  beforeEach(async () => (fx = await ledgerWith(21)));
  afterEach(() => fx.remove());

  it('keeps merkle/hashes current (2n - popcount(n) hashes), roots and proofs agree with Go', async function () {
    await withLog(fx, async (log) => expect(log.size).to.equal(21));
    await fx.append(12);
    const lines = fx.lines();
    const go = runGo({ leaves: lines.map((l) => b64(Buffer.from(l))) });
    await withLog(fx, async (log) => {
      expect(log.size).to.equal(33);
      expect(statSync(join(fx.dir, MERKLE_DIR, HASHES_FILE)).size).to.equal((2 * 33 - 2) * 32);
      for (let n = 1; n <= 33; n++) expect(b64(await log.root(n))).to.equal(go.roots[n - 1]);
      const root = await log.root();
      verifyInclusion(leafHash(lines[30]!), 30, 33, await log.inclusionProof(30), root);
      verifyConsistency(21, 33, await log.consistencyProof(21), await log.root(21), root);
    });
  });

  it('rebuilds a missing, torn, longer or foreign hashes file from the ledger', async function () {
    const file = join(fx.dir, MERKLE_DIR, HASHES_FILE);
    const good = await withLog(fx, async (log) => log.root());
    const rebuilt: string[] = [];
    rmSync(file);
    expect((await withLog(fx, async (log) => log.root())).equals(good)).to.equal(true);
    truncateSync(file, statSync(file).size - 40); // a torn write: derived data is re-derived
    expect((await withLog(fx, async (log) => log.root(), (w) => rebuilt.push(w))).equals(good)).to.equal(true);
    const other = await ledgerWith(30); // the hashes of another ledger, longer than this one
    try {
      await withLog(other, async () => undefined);
      writeFileSync(file, readFileSync(join(other.dir, MERKLE_DIR, HASHES_FILE)));
    } finally {
      other.remove();
    }
    expect((await withLog(fx, async (log) => log.root(), (w) => rebuilt.push(w))).equals(good)).to.equal(true);
    expect(rebuilt.some((w) => /cover 30 events but the ledger holds 21/.test(w))).to.equal(true);
  });

  it('refuses to sign when a stored hash does not match the ledger (checked before signing)', async function () {
    await checkpoint(fx, key);
    await fx.append(5);
    await withLog(fx, async () => undefined);
    // Change an interior hash covering new events only: the last leaf still matches, so open keeps the file.
    const file = join(fx.dir, MERKLE_DIR, HASHES_FILE);
    const bytes = readFileSync(file);
    const at = (2 * 21 - 3 + 2) * 32; // a hash of the events added after the first checkpoint
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
    const e = await checkpoint(fx, key).then(() => undefined, (x: unknown) => x);
    expect(e).to.be.instanceOf(LedgerProofError);
    expect((e as LedgerProofError).kind).to.equal('inconsistent');
    expect(openCheckpoint((await readLatestCheckpoint(fx.dir))!, parseVerifierKey(key.verifierKey)).checkpoint.size).to.equal(21);
  });

  it('refuses to sign after events were cut below the last signed checkpoint', async function () {
    await checkpoint(fx, key);
    const lines = fx.lines();
    writeFileSync(fx.file, lines.slice(0, 18).map((l) => `${l}\n`).join(''));
    const e = await checkpoint(fx, key).then(() => undefined, (x: unknown) => x);
    expect(e).to.be.instanceOf(LedgerCorruptionError);
    expect((e as Error).message).to.match(/last signed checkpoint covers 21/);
  });

  it('verifyFileAgainstCheckpoint: valid file; rewritten history; cut tail; forged checkpoint', async function () {
    const signed = await checkpoint(fx, key);
    expect(await readLatestCheckpoint(fx.dir)).to.equal(signed);
    await fx.append(4); // events after the checkpoint are allowed
    const ok = await verifyFileAgainstCheckpoint(fx.file, signed, key.verifierKey);
    expect(ok).to.deep.include({ valid: true, count: 25 });

    const { dir, remove } = tempDir('fmwk-ledger-proofs-attack-');
    try {
      const lines = fx.lines();
      const rewritten = join(dir, 'rewritten.jsonl');
      writeFileSync(rewritten, rehashFrom(lines, 7).map((l) => `${l}\n`).join(''));
      const r1 = await verifyFileAgainstCheckpoint(rewritten, signed, key.verifierKey);
      expect(r1.valid).to.equal(false);
      expect(r1.reason).to.match(/do not give the root/);

      const cut = join(dir, 'cut.jsonl');
      writeFileSync(cut, lines.slice(0, 20).map((l) => `${l}\n`).join(''));
      const r2 = await verifyFileAgainstCheckpoint(cut, signed, key.verifierKey);
      expect(r2).to.deep.include({ valid: false, break_at: 20, count: 20 });

      const forged = signed.replace(/\n21\n/, '\n20\n');
      const e = await verifyFileAgainstCheckpoint(fx.file, forged, key.verifierKey).then(() => undefined, (x: unknown) => x);
      expect(e).to.be.instanceOf(LedgerProofError);
      expect((e as LedgerProofError).kind).to.equal('bad_signature');
      // A checkpoint of the rewritten file signed by another key with the same name is not trusted.
      const impostor = signCheckpoint(openCheckpoint(signed, parseVerifierKey(key.verifierKey)).checkpoint, parseSignerKey(generateKey(ORIGIN).signerKey));
      const e2 = await verifyFileAgainstCheckpoint(fx.file, impostor, key.verifierKey).then(() => undefined, (x: unknown) => x);
      expect((e2 as LedgerProofError).kind).to.equal('unverified');
    } finally {
      remove();
    }
  });

  it('witness: cosigns consistent checkpoints, refuses a split view and a rollback, state survives restarts', async function () {
    const { dir: stateDir, remove } = tempDir('fmwk-ledger-witness-');
    const wkey = generateKey('witness.example/w');
    const logV = parseVerifierKey(key.verifierKey);
    const witness = (): Witness => new Witness({ cosigner: parseCosignerKey(wkey.signerKey), stateDir, clock: () => 1_760_000_000 });
    try {
      const cp1 = await checkpoint(fx, key);
      const c1 = await witness().cosign(cp1, logV, []);
      expect(verifyCosignedCheckpoint(c1, logV, [parseCosignerVerifierKey(cosignerVerifierKey(wkey.signerKey))], 1).witnesses).to.have.length(1);
      expect(runGo({ notes: [{ note: c1, verifierKeys: [key.verifierKey], cosignerKeys: [cosignerVerifierKey(wkey.signerKey)] }] }).notes[0]!.ok).to.equal(true);

      await fx.append(6);
      const cp2 = await checkpoint(fx, key);
      const proof = await withLog(fx, (log) => log.consistencyProof(21, 27));
      await witness().cosign(cp2, logV, proof); // a new Witness object: state read from disk
      expect((await witness().state(ORIGIN))!.size).to.equal(27);

      // Split view: the operator rewrites event 3 and re-signs a checkpoint of the same log.
      const fork = await ledgerWith(0);
      try {
        writeFileSync(fork.file, rehashFrom(fx.lines(), 3).map((l) => `${l}\n`).join(''));
        await fork.append(3);
        const forkCp = await checkpoint(fork, key);
        const forkProof = await withLog(fork, (log) => log.consistencyProof(27, 30));
        const e = await witness().cosign(forkCp, logV, forkProof).then(() => undefined, (x: unknown) => x);
        expect(e).to.be.instanceOf(LedgerProofError);
        expect((e as LedgerProofError).kind).to.equal('split_view');
        // Same size, other root.
        writeFileSync(fork.file, rehashFrom(fx.lines(), 3).map((l) => `${l}\n`).join(''));
        rmSync(join(fork.dir, MERKLE_DIR), { recursive: true });
        const sameSize = await checkpoint(fork, key);
        const e2 = await witness().cosign(sameSize, logV, []).then(() => undefined, (x: unknown) => x);
        expect((e2 as LedgerProofError).kind).to.equal('split_view');
      } finally {
        fork.remove();
      }
      // Rollback to the older checkpoint.
      const e3 = await witness().cosign(cp1, logV, []).then(() => undefined, (x: unknown) => x);
      expect((e3 as LedgerProofError).kind).to.equal('split_view');
      expect((await witness().state(ORIGIN))!.size).to.equal(27);
      // A checkpoint not signed by the log key is refused before any state is touched.
      const stranger = signCheckpoint({ origin: ORIGIN, size: 40, root: leafHash('x') }, parseSignerKey(generateKey(ORIGIN).signerKey));
      const e4 = await witness().cosign(stranger, logV, []).then(() => undefined, (x: unknown) => x);
      expect((e4 as LedgerProofError).kind).to.equal('unverified');
      expect((await witness().state(ORIGIN))!.size).to.equal(27);
    } finally {
      remove();
    }
  });

  it('a client keeps its last trusted checkpoint and refuses a rewritten history on the next visit', async function () {
    const { dir: stateDir, remove } = tempDir('fmwk-ledger-client-');
    const logV = parseVerifierKey(key.verifierKey);
    const client = new TrustedCheckpoints(stateDir);
    try {
      const cp1 = await checkpoint(fx, key);
      await client.accept(cp1, logV, []);
      await fx.append(3);
      const cp2 = await checkpoint(fx, key);
      await client.accept(cp2, logV, await withLog(fx, (log) => log.consistencyProof(21, 24)));
      expect((await client.last(ORIGIN))!.size).to.equal(24);
      // Between two visits the operator rewrites event 10 onwards and appends: same key, new root.
      const fork = await ledgerWith(0);
      try {
        writeFileSync(fork.file, rehashFrom(fx.lines(), 10).map((l) => `${l}\n`).join(''));
        await fork.append(2);
        const cp3 = await checkpoint(fork, key);
        const e = await client.accept(cp3, logV, await withLog(fork, (log) => log.consistencyProof(24, 26))).then(() => undefined, (x: unknown) => x);
        expect((e as LedgerProofError).kind).to.equal('split_view');
      } finally {
        fork.remove();
      }
      // Requiring one witness: an uncosigned checkpoint is refused.
      const w = parseCosignerVerifierKey(cosignerVerifierKey(generateKey('witness.example/q').signerKey));
      const e2 = await client.accept(cp2, logV, [], { witnesses: [w], k: 1 }).then(() => undefined, (x: unknown) => x);
      expect((e2 as LedgerProofError).kind).to.equal('quorum');
      expect((await client.last(ORIGIN))!.size).to.equal(24);
    } finally {
      remove();
    }
  });
});
