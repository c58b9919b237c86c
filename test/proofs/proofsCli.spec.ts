// The proof commands through the real CLI in child processes: keygen, checkpoint, prove,
// verify --checkpoint and witness, with the attacks each is for.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/proofs/merkle.js';
import { CHECKPOINT_FILE, MERKLE_DIR } from '../../src/stores/merkleLog.js';
import { tempDir } from '../support/tempDir.js';
import { runGo } from './goChecker.js';
import { ledgerWith, rehashFrom, type LedgerFixture } from './ledgerFixture.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ORIGIN = 'ledger.example/cli';
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

describe('fmwk-ledger keygen, checkpoint, prove, verify --checkpoint, witness', function () {
  let fx: LedgerFixture;
  let tmp: { dir: string; remove: () => void };
  let logKey: string;
  let logVkey: string;
  before(async function () {
    fx = await ledgerWith(19);
    tmp = tempDir('fmwk-ledger-proofs-cli-');
    logKey = join(tmp.dir, 'log.key');
    const r = cli('keygen', '--name', ORIGIN, '--out', logKey);
    expect(r.code, r.stderr).to.equal(0);
    logVkey = r.stdout.trim();
  });
  after(() => (fx.remove(), tmp.remove()));

  it('keygen writes a 0600 signer key exclusively and prints only the verifier key', function () {
    expect(statSync(logKey).mode & 0o777).to.equal(0o600);
    const secret = readFileSync(logKey, 'utf8');
    expect(secret).to.match(/^PRIVATE\+KEY\+ledger\.example\/cli\+[0-9a-f]{8}\+/);
    expect(logVkey).to.match(/^ledger\.example\/cli\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(runGo({ keys: [{ signer: secret.trim(), verifier: logVkey }] }).keys[0]).to.deep.equal({ ok: true });
    const again = cli('keygen', '--name', ORIGIN, '--out', logKey);
    expect(again.code).to.equal(2);
    expect(readFileSync(logKey, 'utf8')).to.equal(secret);
    expect(again.stdout + again.stderr).not.to.contain(secret.split('+')[4]!.trim());
  });

  it('a signer key readable by others is refused', function () {
    const loose = join(tmp.dir, 'loose.key');
    writeFileSync(loose, readFileSync(logKey));
    chmodSync(loose, 0o644);
    const r = cli('checkpoint', '--store', fx.dir, '--key', loose);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/readable by others/);
  });

  it('checkpoint prints the signed note and keeps it; Go verifies it; prove gives proofs Go accepts', function () {
    const r = cli('checkpoint', '--store', fx.dir, '--key', logKey);
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(fx.dir, MERKLE_DIR, CHECKPOINT_FILE), 'utf8')).to.equal(r.stdout);
    const [origin, size, root] = r.stdout.split('\n');
    expect([origin, size]).to.deep.equal([ORIGIN, '19']);
    const lines = fx.lines();
    const inc = JSON.parse(cli('prove', 'inclusion', '--store', fx.dir, '--seq', '11').stdout) as { seq: number; size: number; leaf_hash: string; root: string; proof: string[] };
    expect(inc).to.deep.include({ seq: 11, size: 19, root, leaf_hash: leafHash(lines[11]!).toString('base64') });
    verifyInclusion(leafHash(lines[11]!), 11, 19, inc.proof.map(unb64), unb64(root!));
    const inc7 = JSON.parse(cli('prove', 'inclusion', '--store', fx.dir, '--seq', '3', '--size', '7').stdout) as typeof inc;
    const con = JSON.parse(cli('prove', 'consistency', '--store', fx.dir, '--from', '7', '--to', '19').stdout) as { old_root: string; new_root: string; proof: string[] };
    verifyConsistency(7, 19, con.proof.map(unb64), unb64(con.old_root), unb64(con.new_root));
    expect(inc7.root).to.equal(con.old_root);
    const go = runGo({
      notes: [{ note: r.stdout, verifierKeys: [logVkey] }],
      inclusion: [{ index: 11, size: 19, leaf: inc.leaf_hash, proof: inc.proof, root: inc.root }, { index: 3, size: 7, leaf: inc7.leaf_hash, proof: inc7.proof, root: inc7.root }],
      consistency: [{ old: 7, new: 19, proof: con.proof, oldRoot: con.old_root, newRoot: con.new_root }],
    });
    expect(go.notes[0]!.ok).to.equal(true);
    expect(go.inclusion).to.deep.equal([true, true]);
    expect(go.consistency).to.deep.equal([true]);
    expect(cli('prove', 'inclusion', '--store', fx.dir, '--seq', '19').code).to.equal(2);
    expect(cli('prove', 'consistency', '--store', fx.dir, '--from', '0', '--to', '5').code).to.equal(2);
  });

  it('verify FILE --checkpoint: valid; a rewritten history, a cut tail and a forged checkpoint are invalid (exit 1)', function () {
    const cp = join(tmp.dir, 'cp');
    const r = cli('checkpoint', '--store', fx.dir, '--key', logKey);
    writeFileSync(cp, r.stdout);
    const ok = cli('verify', fx.file, '--checkpoint', cp, '--key', logVkey);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout.trim().split('\n').pop()!)).to.deep.equal({ valid: true, break_at: null, count: 19 });

    const lines = fx.lines();
    const rewritten = join(tmp.dir, 'rewritten.jsonl');
    writeFileSync(rewritten, rehashFrom(lines, 4).map((l) => `${l}\n`).join(''));
    expect(cli('verify', rewritten).code, 'a re-hashed chain alone verifies').to.equal(0);
    const bad = cli('verify', rewritten, '--checkpoint', cp, '--key', logVkey);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/do not give the root/);

    const cut = join(tmp.dir, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, 15).map((l) => `${l}\n`).join(''));
    expect(cli('verify', cut).code, 'a cut chain alone verifies').to.equal(0);
    const cutR = cli('verify', cut, '--checkpoint', cp, '--key', logVkey);
    expect(cutR.code).to.equal(1);
    expect(JSON.parse(cutR.stdout.trim())).to.deep.equal({ valid: false, break_at: 15, count: 15 });

    const forged = join(tmp.dir, 'forged-cp');
    writeFileSync(forged, r.stdout.replace('\n19\n', '\n15\n'));
    const f = cli('verify', cut, '--checkpoint', forged, '--key', logVkey);
    expect(f.code).to.equal(1);
    expect(f.stderr).to.match(/does not verify/);
  });

  it('witness: cosigns, then cosigns an extension (from the store or a proof file), refuses a split view', async function () {
    const wkey = join(tmp.dir, 'w.key');
    const wv = cli('keygen', '--name', 'witness.example/w1', '--out', wkey, '--witness');
    const state = join(tmp.dir, 'wstate');
    const cp1 = join(tmp.dir, 'cp1');
    writeFileSync(cp1, cli('checkpoint', '--store', fx.dir, '--key', logKey).stdout);
    const w1 = cli('witness', '--checkpoint', cp1, '--log-key', logVkey, '--key', wkey, '--state', state, '--store', fx.dir);
    expect(w1.code, w1.stderr).to.equal(0);
    const go = runGo({ notes: [{ note: w1.stdout, verifierKeys: [logVkey], cosignerKeys: [wv.stdout.trim()] }] });
    expect(go.notes[0], JSON.stringify(go.notes[0])).to.deep.include({ ok: true });
    expect(go.notes[0]!.verified).to.have.length(2);

    await fx.append(5);
    const cp2 = join(tmp.dir, 'cp2');
    writeFileSync(cp2, cli('checkpoint', '--store', fx.dir, '--key', logKey).stdout);
    const proofFile = join(tmp.dir, 'proof.json');
    const from = Number(readFileSync(cp1, 'utf8').split('\n')[1]);
    writeFileSync(proofFile, cli('prove', 'consistency', '--store', fx.dir, '--from', String(from), '--to', '24').stdout);
    const w2 = cli('witness', '--checkpoint', cp2, '--log-key', logVkey, '--key', wkey, '--state', state, '--proof', proofFile);
    expect(w2.code, w2.stderr).to.equal(0);

    // The operator forks: rewrites event 2 onwards, re-signs with the same key, shows the witness.
    const fork = await ledgerWith(0);
    try {
      writeFileSync(fork.file, rehashFrom(fx.lines(), 2).map((l) => `${l}\n`).join(''));
      await fork.append(2);
      const cp3 = join(tmp.dir, 'cp3');
      writeFileSync(cp3, cli('checkpoint', '--store', fork.dir, '--key', logKey).stdout);
      const w3 = cli('witness', '--checkpoint', cp3, '--log-key', logVkey, '--key', wkey, '--state', state, '--store', fork.dir);
      expect(w3.code).to.equal(1);
      expect(w3.stderr).to.match(/split_view|not an extension/);
      expect(w3.stdout).to.equal('');
    } finally {
      fork.remove();
    }
  });
});
