// The explorer's checkpoint views over HTTP (a real `fmwk-ledger serve` process): the latest
// checkpoint's witness cosignatures, each checked with --witnesses; the earlier checkpoints of
// --checkpoints DIR and the consistency of the latest with each, checked again by Go's
// sumdb/tlog and sumdb/note; and what tampered, forged or hostile checkpoint files get out of it.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CheckpointEntry, CheckpointsResponse, ConsistencyResponse } from '../../src/explorer/apiTypes.js';
import { MAX_NOTE_BYTES } from '../../src/explorer/explorerProofs.js';
import { signCheckpoint } from '../../src/proofs/checkpoint.js';
import { parseCosignerKey, addCosignature } from '../../src/proofs/cosignature.js';
import { generateKey, parseSignerKey } from '../../src/proofs/note.js';
import { runGo } from '../proofs/goChecker.js';
import { tempDir } from '../support/tempDir.js';
import { cli, fingerprint, proofSetup, serve, tamper, writeLedger, type ProofSetup, type Served } from './explorerFixture.js';

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

type Parsed = Extract<CheckpointEntry, { error?: undefined }>;
const parsed = (e: CheckpointEntry | null | undefined): Parsed => {
  if (!e || e.error !== undefined) throw new Error(`not a parsed checkpoint: ${JSON.stringify(e)}`);
  return e;
};

describe('explorer checkpoints, cosignatures and consistency (fmwk-ledger serve over HTTP)', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  let setup: ProofSetup;
  let served: Served | undefined;
  const consistency = (file: string) => get<ConsistencyResponse & { error?: { code: string; field?: string; message: string } }>(`${served!.url}/api/consistency?${new URLSearchParams({ file }).toString()}`);
  const logSigner = () => parseSignerKey(readFileSync(join(dir, 'example_com_explorer_log.key'), 'utf8').trim());

  // The keys, checkpoints and cosignatures are made once (a dozen CLI runs); each test gets a copy.
  let template: { dir: string; remove: () => void };
  let made: ProofSetup;
  before(async () => {
    template = tempDir();
    await writeLedger(join(template.dir, 'store'), 10);
    made = await proofSetup(template.dir, join(template.dir, 'store'));
  });
  after(() => template?.remove());
  beforeEach(() => {
    ({ dir, remove } = tempDir());
    cpSync(template.dir, dir, { recursive: true });
    store = join(dir, 'store');
    const moved = (p: string) => join(dir, relative(template.dir, p));
    setup = { ...made, witnesses: moved(made.witnesses), checkpoints: moved(made.checkpoints) };
  });
  afterEach(async () => {
    if (served) expect(await served.stop()).to.equal(0);
    served = undefined;
    remove();
  });

  it("lists the latest checkpoint's cosignatures, each verified with --witnesses or said unchecked, and the earlier checkpoints", async () => {
    const before = fingerprint(store);
    served = await serve(['--store', store, '--key', setup.logKey, '--witnesses', setup.witnesses, '--checkpoints', setup.checkpoints]);
    const r = await get<CheckpointsResponse>(`${served.url}/api/checkpoints`);
    expect(r.status).to.equal(200);
    const [early, mid, latest] = setup.sizes;
    const l = parsed(r.body.latest);
    expect(l).to.include({ file: 'merkle/checkpoint', origin: 'example.com/explorer-log', size: latest, signature_verified: true });
    expect(l.cosignatures.map((c) => [c.name, c.verified])).to.deep.equal([['witness.example/w1', true], ['witness.example/w2', true], ['witness.example/w3', null]]);
    expect(l.cosignatures.every((c) => typeof c.time === 'number' && Math.abs(c.time - Date.now() / 1000) < 3600)).to.equal(true);
    expect(l.cosignatures[2]!.reason).to.include('--witnesses');
    expect(r.body.witness_keys).to.equal(2);
    expect(r.body.earlier.map((e) => [e.file, parsed(e).size, parsed(e).signature_verified, parsed(e).cosignatures.map((c) => c.verified)])).to.deep.equal([
      ['early.cp', early, true, [true]],
      ['mid.cp', mid, true, []],
    ]);
    // Go's sumdb/note agrees on every signature the explorer called verified.
    const wkeys = readFileSync(setup.witnesses, 'utf8').split('\n').filter((x) => x && !x.startsWith('#'));
    const go = runGo({ notes: [{ note: l.note, verifierKeys: [setup.logKey], cosignerKeys: wkeys }] });
    expect(go.notes[0], JSON.stringify(go.notes[0])).to.deep.include({ ok: true });
    expect(go.notes[0]!.verified).to.have.length(3);
    // /api/checkpoint answers the latest alone, as before.
    expect((await get<{ cosignatures: unknown[] }>(`${served.url}/api/checkpoint`)).body.cosignatures).to.have.length(3);
    expect(fingerprint(store), 'the explorer wrote nothing').to.deep.equal(before);
    expect(await served.stop()).to.equal(0);

    // Without keys nothing is claimed: no signature is called verified.
    served = await serve(['--store', store, '--checkpoints', setup.checkpoints]);
    const bare = await get<CheckpointsResponse>(`${served.url}/api/checkpoints`);
    const bl = parsed(bare.body.latest);
    expect(bl.signature_verified).to.equal(null);
    expect(bl.cosignatures.map((c) => c.verified)).to.deep.equal([null, null, null]);
    expect(bare.body.witness_keys).to.equal(0);
  });

  it('shows the latest checkpoint consistent with each earlier one; Go verifies the same proof against the signed roots', async () => {
    served = await serve(['--store', store, '--key', setup.logKey, '--witnesses', setup.witnesses, '--checkpoints', setup.checkpoints]);
    const [early, mid, latest] = setup.sizes;
    for (const [file, size] of [['early.cp', early], ['mid.cp', mid]] as const) {
      const r = await consistency(file);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect(r.body).to.deep.include({ consistent: true, ledger_matches_latest: true });
      expect(r.body.from).to.include({ file, size, signature_verified: true });
      expect(r.body.to).to.include({ size: latest, signature_verified: true });
      const go = runGo({ consistency: [{ old: size, new: latest, proof: [...r.body.proof], oldRoot: r.body.from.root, newRoot: r.body.to.root }] });
      expect(go.consistency, file).to.deep.equal([true]);
    }
    // The roots are those of the signed notes, not recomputed ones.
    const cps = (await get<CheckpointsResponse>(`${served.url}/api/checkpoints`)).body;
    expect((await consistency('early.cp')).body.from.root).to.equal(parsed(cps.earlier[0]).root);
    expect((await consistency('early.cp')).body.to.root).to.equal(parsed(cps.latest).root);
  });

  // Attacks on the cosignatures: a byte of one changed, one forged under a trusted witness's
  // name with another key, one copied from another checkpoint. Each is shown failing.
  it('a tampered, forged or copied cosignature is shown as not verifying, never as verified', async () => {
    const file = join(store, 'merkle', 'checkpoint');
    const note = readFileSync(file, 'utf8');
    const lines = note.split('\n');
    const w2 = lines.findIndex((x) => x.startsWith('\u2014 witness.example/w2 '));
    const sig = Buffer.from(lines[w2]!.split(' ')[2]!, 'base64');
    sig[sig.length - 1]! ^= 1;
    lines[w2] = `\u2014 witness.example/w2 ${sig.toString('base64')}`;
    const impostor = generateKey('witness.example/w1');
    const forged = addCosignature(lines.join('\n'), parseCosignerKey(impostor.signerKey), Math.floor(Date.now() / 1000));
    writeFileSync(file, forged);
    // early.cp's w1 cosignature copied onto mid.cp (another checkpoint).
    const earlyNote = readFileSync(join(setup.checkpoints, 'early.cp'), 'utf8');
    const copied = earlyNote.split('\n').find((x) => x.startsWith('\u2014 witness.example/w1 '))!;
    writeFileSync(join(setup.checkpoints, 'mid.cp'), `${readFileSync(join(setup.checkpoints, 'mid.cp'), 'utf8')}${copied}\n`);

    served = await serve(['--store', store, '--key', setup.logKey, '--witnesses', setup.witnesses, '--checkpoints', setup.checkpoints]);
    const r = (await get<CheckpointsResponse>(`${served.url}/api/checkpoints`)).body;
    const l = parsed(r.latest);
    expect(l.signature_verified, 'the log signature is untouched').to.equal(true);
    expect(l.cosignatures.map((c) => [c.name, c.verified])).to.deep.equal([
      ['witness.example/w1', true], ['witness.example/w2', false], ['witness.example/w3', null], ['witness.example/w1', false],
    ]);
    expect(l.cosignatures[3]!.reason).to.include('another key id');
    expect(parsed(r.earlier.find((e) => e.file === 'mid.cp')).cosignatures.map((c) => c.verified)).to.deep.equal([false]);
  });

  // Attacks on the checkpoints: the log's owner signs another history (a split view, at an
  // earlier size and at the latest size), an earlier note's root edited without a signature,
  // and files that are not checkpoints at all. None is shown consistent or verified; none hangs.
  it('split views, an edited root, and hostile files in --checkpoints DIR are shown failing; the server never hangs', async () => {
    const [, mid, latest] = setup.sizes;
    const root = Buffer.alloc(32, 7);
    writeFileSync(join(setup.checkpoints, 'split.cp'), signCheckpoint({ origin: 'example.com/explorer-log', size: mid, root }, logSigner()));
    writeFileSync(join(setup.checkpoints, 'same-size.cp'), signCheckpoint({ origin: 'example.com/explorer-log', size: latest, root }, logSigner()));
    writeFileSync(join(setup.checkpoints, 'ahead.cp'), signCheckpoint({ origin: 'example.com/explorer-log', size: latest + 5, root }, logSigner()));
    const early = readFileSync(join(setup.checkpoints, 'early.cp'), 'utf8').split('\n');
    early[2] = Buffer.alloc(32, 9).toString('base64');
    writeFileSync(join(setup.checkpoints, 'edited.cp'), early.join('\n'));
    execFileSync('mkfifo', [join(setup.checkpoints, 'fifo.cp')]);
    symlinkSync('/dev/zero', join(setup.checkpoints, 'zero.cp'));
    symlinkSync(join(setup.checkpoints, 'mid.cp'), join(setup.checkpoints, 'link.cp'));
    writeFileSync(join(setup.checkpoints, 'big.cp'), Buffer.alloc(MAX_NOTE_BYTES + 1, 0x41));
    writeFileSync(join(setup.checkpoints, 'binary.cp'), Buffer.from([0xff, 0xfe, 0x0a, 0x0a]));
    writeFileSync(join(setup.checkpoints, 'garbage.cp'), '<script>alert(1)</script>\n\n\u2014 x AAAA\n');

    served = await serve(['--store', store, '--key', setup.logKey, '--witnesses', setup.witnesses, '--checkpoints', setup.checkpoints]);
    const r = (await get<CheckpointsResponse>(`${served.url}/api/checkpoints`)).body;
    const errors = Object.fromEntries(r.earlier.filter((e) => e.error !== undefined).map((e) => [e.file, e.error!.message]));
    expect(Object.keys(errors).sort()).to.deep.equal(['big.cp', 'binary.cp', 'fifo.cp', 'garbage.cp', 'link.cp', 'zero.cp']);
    expect(errors['fifo.cp']).to.include('not a regular file');
    expect(errors['zero.cp']).to.include('symbolic link');
    expect(errors['link.cp']).to.include('symbolic link');
    expect(errors['big.cp']).to.include('bytes');
    expect(errors['binary.cp']).to.include('UTF-8');
    expect(parsed(r.earlier.find((e) => e.file === 'edited.cp')).signature_verified).to.equal(false);

    const verdict = async (file: string) => {
      const c = await consistency(file);
      expect(c.status, `${file}: ${JSON.stringify(c.body)}`).to.equal(200);
      return c.body;
    };
    const split = await verdict('split.cp');
    expect(split.consistent).to.equal(false);
    expect(split.reason).to.include('split view');
    expect(split.from.signature_verified, 'signed by the log: only consistency shows the lie').to.equal(true);
    const same = await verdict('same-size.cp');
    expect([same.consistent, same.reason]).to.deep.equal([false, `two different roots for size ${latest}: a split view`]);
    const ahead = await verdict('ahead.cp');
    expect(ahead.consistent).to.equal(false);
    expect(ahead.reason).to.include('beyond');
    const edited = await verdict('edited.cp');
    expect([edited.consistent, edited.from.signature_verified]).to.deep.equal([false, false]);
    for (const file of ['fifo.cp', 'zero.cp', 'big.cp']) {
      const c = await consistency(file);
      expect(c.status, file).to.equal(422);
    }
    // Only names the directory lists are opened: a path is refused, naming the field.
    for (const file of ['../store/merkle/checkpoint', '/etc/passwd', 'nope.cp', '']) {
      const c = await consistency(file);
      expect([c.status, c.body.error!.field], file).to.deep.equal([400, 'query.file']);
    }
    expect((await get<{ sequence_number: number }>(`${served.url}/api/tip`)).status).to.equal(200);
  });

  // Attack: the ledger rewritten under the checkpoints (a line edited in place): the consistency
  // view says the ledger no longer gives the latest root, and does not call it consistent.
  it('a ledger edited after the checkpoints: not consistent, the ledger named as not matching', async () => {
    tamper(store, 3);
    served = await serve(['--store', store, '--key', setup.logKey, '--checkpoints', setup.checkpoints]);
    const c = await consistency('early.cp');
    expect(c.status).to.equal(200);
    expect(c.body).to.include({ consistent: false, ledger_matches_latest: false });
    expect(c.body.reason).to.include("the ledger's events no longer give the latest checkpoint's root");
  });

  it('a latest checkpoint that is a FIFO, or malformed, is reported as such, never as verified', async () => {
    const file = join(store, 'merkle', 'checkpoint');
    writeFileSync(file, 'not a note');
    served = await serve(['--store', store, '--key', setup.logKey, '--checkpoints', setup.checkpoints]);
    const r = (await get<CheckpointsResponse>(`${served.url}/api/checkpoints`)).body;
    expect(r.latest!.error!.code).to.equal('LEDGER_PROOF');
    const one = await get<{ error: { code: string; message: string } }>(`${served.url}/api/checkpoint`);
    expect([one.status, one.body.error.message]).to.satisfy(([s, m]: [number, string]) => s === 422 && m.startsWith('merkle/checkpoint: '));
    expect((await consistency('early.cp')).status).to.equal(422);
    expect(await served.stop()).to.equal(0);
    served = undefined;
    cli('verify', '--store', store); // the ledger itself is fine
    rmSync(file);
    execFileSync('mkfifo', [file]);
    served = await serve(['--store', store, '--key', setup.logKey]);
    const fifo = (await get<CheckpointsResponse>(`${served.url}/api/checkpoints`)).body;
    expect(fifo.latest!.error!.message).to.include('not a regular file');
    const proof = await get<{ matches_checkpoint: boolean | null }>(`${served.url}/api/proof/2`);
    expect([proof.status, proof.body.matches_checkpoint]).to.deep.equal([200, null]);
  });

  it('refuses a bad --witnesses file or --checkpoints path as a usage error (exit 2) naming it', async () => {
    const { spawnSync } = await import('node:child_process');
    const { MAIN } = await import('./explorerFixture.js');
    const run = (args: string[]) => spawnSync(process.execPath, [MAIN, 'serve', '--store', store, ...args], { encoding: 'utf8', timeout: 20000 });
    const bad = join(dir, 'bad-witnesses.txt');
    writeFileSync(bad, '# one good, one bad\nnot-a-key\n');
    const r1 = run(['--witnesses', bad]);
    expect([r1.status, r1.stderr]).to.satisfy(([c, e]: [number, string]) => c === 2 && e.includes('--witnesses') && e.includes('line 2'));
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '# none\n');
    expect(run(['--witnesses', empty]).stderr).to.include('holds no verifier key');
    const r2 = run(['--checkpoints', join(dir, 'absent')]);
    expect([r2.status, r2.stderr]).to.satisfy(([c, e]: [number, string]) => c === 2 && e.includes('--checkpoints'));
    const r3 = run(['--checkpoints', setup.witnesses]);
    expect(r3.status).to.equal(2);
  });
});
