// Signed events (seed 002): producers sign with Ed25519, the signature rides in
// payload._signature under the chain, verification names the first bad or missing one. The
// signed bytes are rebuilt from the exported line by Python and checked by openssl, so they do
// not depend on this code.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger, LedgerValidationError, generateKey, parseSignerKey, signEvent, verifySignedEvents } from '../../src/index.js';
import { ed25519PrivateKey, parseKeyText, rawPublicKey } from '../../src/proofs/note.js';
import { forge } from '../support/tamper.js';
import { provenance } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const producer = generateKey('producer.example/vm');
const stranger = generateKey('producer.example/vm'); // same name, another key
const record = (i: number) => ({ event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id: `s-${i}`, metadata: { step: i, note: `état ${i} \u{1F600}` } } });

/** Rewrites line `at` with `payload` and re-hashes every later line, as the files' owner could. */
function rewrite(lines: string[], at: number, payload: (p: Record<string, unknown>) => Record<string, unknown>): string[] {
  const out = lines.slice(0, at);
  let prev = at > 0 ? (JSON.parse(lines[at - 1]!) as { hash: string }).hash : undefined;
  for (let i = at; i < lines.length; i++) {
    const p = (JSON.parse(lines[i]!) as { payload: Record<string, unknown> }).payload;
    const f = forge(lines[i]!, i === at ? payload(p) : p, prev);
    out.push(f.line);
    prev = f.hash;
  }
  return out;
}

describe('proofs/signedEvents: payload._signature, verifySignedEvents, verify --signers', function () {
  let tmp: { dir: string; remove: () => void };
  let lines: string[];
  let file: string;
  const write = (name: string, ls: string[]) => {
    const f = join(tmp.dir, name);
    writeFileSync(f, ls.map((l) => `${l}\n`).join(''));
    return f;
  };
  before(async function () {
    tmp = tempDir('fmwk-ledger-signed-');
    const ledger: Ledger<any> = await Ledger.open(await DirectoryStore.open(join(tmp.dir, 'store')));
    const signer = parseSignerKey(producer.signerKey);
    for (let i = 0; i < 6; i++) await ledger.append(signEvent(record(i), signer));
    expect(await verifySignedEvents(ledger, [producer.verifierKey])).to.deep.equal({ valid: true, break_at: null, count: 6 });
    await ledger.close();
    file = join(tmp.dir, 'store', 'ledger.jsonl');
    lines = (await import('node:fs')).readFileSync(file, 'utf8').split('\n').slice(0, -1);
  });
  after(() => tmp.remove());

  it('the signature checks from the exported line alone: Python rebuilds the bytes, openssl verifies', function () {
    const k = parseKeyText(producer.signerKey, true);
    const pem = ed25519PrivateKey(k.key);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), rawPublicKey(pem)]);
    const pub = join(tmp.dir, 'pub.pem');
    writeFileSync(pub, `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`);
    const py = String.raw`
import base64, json, subprocess, sys
e = json.loads(sys.argv[1])
s = e["payload"].pop("_signature")
body = json.dumps({k: e[k] for k in ("event_type", "payload", "provenance", "schema_version")}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
open(sys.argv[2] + ".msg", "wb").write(b"fmwk-ledger/signed-event/v1\n" + body.encode("utf-8"))
open(sys.argv[2] + ".sig", "wb").write(base64.b64decode(s["sig"]))
r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", sys.argv[3], "-rawin", "-in", sys.argv[2] + ".msg", "-sigfile", sys.argv[2] + ".sig"], capture_output=True, text=True)
print(s["signer"], r.returncode, r.stdout.strip())
`;
    for (const [i, line] of lines.entries()) {
      const r = spawnSync('python3', ['-c', py, line, join(tmp.dir, `ev${i}`), pub], { encoding: 'utf8' });
      expect(r.stdout.trim(), r.stderr).to.equal('producer.example/vm 0 Signature Verified Successfully');
    }
  });

  it('names the first forged, re-signed, stripped or unsigned event as break_at, even under a re-hashed chain', async function () {
    const other = parseSignerKey(stranger.signerKey);
    const cases: Array<[string, string[], number, RegExp]> = [
      ['forged content, signature kept', rewrite(lines, 3, (p) => ({ ...p, session_id: 'forged' })), 3, /does not match the event's content/],
      ['re-signed by an untrusted key', rewrite(lines, 2, (p) => {
        const { _signature, ...rest } = p;
        return signEvent({ ...record(2), payload: { ...rest, session_id: 'forged' } }, other).payload;
      }), 2, /not a trusted key/],
      ['signature stripped', rewrite(lines, 4, ({ _signature, ...rest }) => rest), 4, /not signed/],
      ['signature bytes damaged', rewrite(lines, 1, (p) => ({ ...p, _signature: { ...(p._signature as object), sig: Buffer.alloc(64).toString('base64') } })), 1, /does not match/],
      ['an extra field in _signature', rewrite(lines, 5, (p) => ({ ...p, _signature: { ...(p._signature as object), alg: 'none' } })), 5, /exactly key_id, sig, signer/],
    ];
    for (const [what, forged, at, reason] of cases) {
      const r = await verifySignedEvents(write(`${at}.jsonl`, forged), [producer.verifierKey]);
      expect(r.valid, what).to.equal(false);
      expect(r.break_at, what).to.equal(at);
      expect(r.reason, what).to.match(reason);
    }
    // A byte changed without re-hashing: the chain names it before any signature is looked at.
    const edited = [...lines];
    edited[2] = edited[2]!.replace('s-2', 's-X');
    const r = await verifySignedEvents(write('edited.jsonl', edited), [producer.verifierKey]);
    expect([r.valid, r.break_at]).to.deep.equal([false, 2]);
    expect(r.reason).to.match(/hash/);
  });

  it('an unsigned event fails unless its type is outside eventTypes; the stranger key alone trusts nothing', async function () {
    const ledger = await Ledger.open(await DirectoryStore.open(join(tmp.dir, 'store')));
    try {
      await ledger.append({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: 'n', node_type: 'x' } });
      expect(await verifySignedEvents(ledger, [producer.verifierKey])).to.include({ valid: false, break_at: 6 });
      expect(await verifySignedEvents(ledger, [producer.verifierKey], { eventTypes: ['session_start'] })).to.deep.equal({ valid: true, break_at: null, count: 7 });
      expect(await verifySignedEvents(ledger, [stranger.verifierKey])).to.include({ valid: false, break_at: 0 });
      // Signing twice is refused: it would hide the first signer.
      const once = signEvent(record(9), parseSignerKey(producer.signerKey));
      expect(() => signEvent(once, parseSignerKey(stranger.signerKey))).to.throw(LedgerValidationError, /payload._signature/);
    } finally {
      await ledger.close();
    }
  });

  it('fmwk-ledger verify --signers: 0 valid, 1 with break_at, 2 for a bad key file', function () {
    const keys = join(tmp.dir, 'signers.txt');
    writeFileSync(keys, `# producers\n${producer.verifierKey}\n`);
    const cli = (...a: string[]) => spawnSync(process.execPath, [MAIN, 'verify', ...a], { encoding: 'utf8' });
    const good = write('good.jsonl', lines);
    let r = cli(good, '--signers', keys);
    expect([r.status, r.stdout.trim()], r.stderr).to.deep.equal([0, '{"valid":true,"break_at":null,"count":6}']);
    r = cli(write('bad.jsonl', rewrite(lines, 3, (p) => ({ ...p, session_id: 'forged' }))), '--signers', keys);
    expect([r.status, r.stdout.trim()]).to.deep.equal([1, '{"valid":false,"break_at":3,"count":3}']);
    expect(r.stderr).to.match(/sequence 3: the signature of producer\.example\/vm\+[0-9a-f]{8} does not match/);
    r = cli('--store', join(tmp.dir, 'store'), '--signers', keys, '--signed-types', 'session_start');
    expect(r.status, r.stderr).to.equal(0);
    writeFileSync(keys, 'not a key\n');
    r = cli(good, '--signers', keys);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/line 1/);
  });
});
