// Signed notes, keys, checkpoints and cosignatures, checked both ways against Go's
// golang.org/x/mod/sumdb/note and transparency-dev/formats (cosignature/v1).
import { expect } from 'chai';
import { LedgerProofError, type ProofErrorKind } from '../../src/errors/errors.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from '../../src/proofs/checkpoint.js';
import { addCosignature, cosignerVerifierKey, parseCosignerKey, parseCosignerVerifierKey, verifyCosignedCheckpoint } from '../../src/proofs/cosignature.js';
import { leafHash } from '../../src/proofs/merkle.js';
import { generateKey, openNote, parseSignerKey, parseVerifierKey, signNote, verifierKeyOf } from '../../src/proofs/note.js';
import { runGo } from './goChecker.js';

function kind(f: () => unknown): ProofErrorKind | undefined {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(LedgerProofError);
    return (e as LedgerProofError).kind;
  }
  return undefined;
}

const ORIGIN = 'ledger.example/fmwk/log';
const root = leafHash('anything');

describe('proofs/note: signed notes, checkpoints and cosignatures against Go', function () {
  it('we sign, Go verifies (and Go refuses a changed text or another key)', function () {
    const log = generateKey(ORIGIN);
    const other = generateKey(ORIGIN);
    const text = formatCheckpoint({ origin: ORIGIN, size: 42, root });
    const signed = signCheckpoint({ origin: ORIGIN, size: 42, root }, parseSignerKey(log.signerKey));
    const r = runGo({
      notes: [
        { note: signed, verifierKeys: [log.verifierKey] },
        { note: signed.replace('\n42\n', '\n43\n'), verifierKeys: [log.verifierKey] },
        { note: signed, verifierKeys: [other.verifierKey] },
      ],
      keys: [{ signer: log.signerKey, verifier: log.verifierKey }],
    });
    expect(r.notes[0]).to.deep.include({ ok: true });
    expect(r.notes[0]!.verified![0]).to.equal(log.verifierKey.split('+').slice(0, 2).join('+'));
    expect(r.notes[1]!.ok).to.equal(false);
    expect(r.notes[2]!.ok).to.equal(false);
    expect(r.keys[0]).to.deep.equal({ ok: true });
    expect(signed.startsWith(`${text}\n\u2014 ${ORIGIN} `)).to.equal(true);
  });

  it('Go signs, we verify; Go\'s key texts parse and give the same verifier key', function () {
    const text = formatCheckpoint({ origin: ORIGIN, size: 7, root, extensions: ['ext line'] });
    const { signed: [g] } = runGo({ sign: [{ name: ORIGIN, text }] });
    const opened = openCheckpoint(g!.note, parseVerifierKey(g!.verifierKey));
    expect(opened.checkpoint).to.deep.equal({ origin: ORIGIN, size: 7, root, extensions: ['ext line'] });
    expect(verifierKeyOf(g!.signerKey)).to.equal(g!.verifierKey);
    expect(parseSignerKey(g!.signerKey).keyId).to.equal(parseVerifierKey(g!.verifierKey).keyId);
    // Re-signing Go's text with Go's key gives Go's bytes: Ed25519 is deterministic.
    expect(signNote(text, [parseSignerKey(g!.signerKey)])).to.equal(g!.note);
    expect(kind(() => openNote(g!.note.replace('\n7\n', '\n8\n'), [parseVerifierKey(g!.verifierKey)]))).to.equal('bad_signature');
    expect(kind(() => openNote(g!.note, [parseVerifierKey(generateKey(ORIGIN).verifierKey)]))).to.equal('unverified');
  });

  it('strict key parsing: each malformed key is a typed error, and Go refuses the same keys', function () {
    const k = generateKey('w.example/x');
    // Only the first fields are "+"-separated: the base64 may contain "+" itself.
    const cut = (t: string, n: number): string[] => { const p = t.split('+'); return [...p.slice(0, n), p.slice(n).join('+')]; };
    const [, , name, id, b] = cut(k.signerKey, 4) as [string, string, string, string, string];
    const vparts = cut(k.verifierKey, 2) as [string, string, string];
    const badSigners = [
      `PRIVATE+KEY+${name}+${id}+${b}+extra`,
      `PRIVATE+KEY+${name}+${id === '00000000' ? '00000001' : '00000000'}+${b}`,
      `PRIVATE+KEY+${name}+${id}+${b.slice(0, -4)}`,
      `PRIVATE+KEY+na me+${id}+${b}`,
      `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.of(2), Buffer.from(b, 'base64').subarray(1)]).toString('base64')}`,
      `KEY+${name}+${id}+${b}`,
    ];
    const badVerifiers = [
      `${vparts[0]}+${vparts[1]}`,
      `${vparts[0]}x+${vparts[1]}+${vparts[2]}`,
      `${vparts[0]}+${vparts[1]}+${vparts[2].slice(0, -1)}`,
      `+${vparts[1]}+${vparts[2]}`,
    ];
    // Base64 may contain "+": only the first two "+" after the prefix separate fields.
    let plus = generateKey('w.example/plus');
    while (!plus.verifierKey.split('+').slice(2).join('+').includes('+')) plus = generateKey('w.example/plus');
    expect(parseVerifierKey(plus.verifierKey).keyId).to.equal(parseSignerKey(plus.signerKey).keyId);
    for (const s of badSigners) expect(kind(() => parseSignerKey(s)), s).to.equal('malformed_key');
    for (const v of badVerifiers) expect(kind(() => parseVerifierKey(v)), v).to.equal('malformed_key');
    const r = runGo({ keys: [...badSigners.map((signer) => ({ signer })), ...badVerifiers.map((verifier) => ({ verifier }))] });
    expect(r.keys.map((x) => x.ok)).to.deep.equal([...badSigners, ...badVerifiers].map(() => false));
  });

  it('strict note and checkpoint parsing', function () {
    const log = generateKey(ORIGIN);
    const v = parseVerifierKey(log.verifierKey);
    const signed = signCheckpoint({ origin: ORIGIN, size: 3, root }, parseSignerKey(log.signerKey));
    expect(kind(() => openNote(signed.replace('\u2014', '-'), [v]))).to.equal('malformed_note');
    expect(kind(() => openNote(signed.slice(0, -1), [v]))).to.equal('malformed_note');
    expect(kind(() => openNote(signed.replace('\n\n', '\n'), [v]))).to.equal('malformed_note');
    expect(kind(() => openNote(signed.replace(ORIGIN, `${ORIGIN}\t`), [v]))).to.equal('malformed_note');
    expect(kind(() => openNote(Buffer.concat([Buffer.from(signed), Buffer.of(0xff)]), [v]))).to.equal('malformed_note');
    expect(kind(() => parseCheckpoint(`${ORIGIN}\n03\n${root.toString('base64')}\n`))).to.equal('malformed_checkpoint');
    expect(kind(() => parseCheckpoint(`${ORIGIN}\n3\n${root.subarray(1).toString('base64')}\n`))).to.equal('malformed_checkpoint');
    expect(kind(() => parseCheckpoint(`${ORIGIN}\n3\n`))).to.equal('malformed_checkpoint');
    expect(kind(() => parseCheckpoint(`${ORIGIN}\n3\n${root.toString('base64')}\n\n`))).to.equal('malformed_checkpoint');
    expect(kind(() => signCheckpoint({ origin: 'other.example/log', size: 1, root }, parseSignerKey(log.signerKey)))).to.equal('malformed_key');
  });

  it('cosignature/v1: our cosignatures verify in Go, Go\'s verify here; k of n witnesses', function () {
    const log = generateKey(ORIGIN);
    const logV = parseVerifierKey(log.verifierKey);
    const w1 = generateKey('witness.example/w1');
    const w2 = generateKey('witness.example/w2');
    const signed = signCheckpoint({ origin: ORIGIN, size: 99, root }, parseSignerKey(log.signerKey));
    const t = 1_760_000_000;
    const ours = addCosignature(signed, parseCosignerKey(w1.signerKey), t);
    const go = runGo({ sign: [{ name: 'witness.example/go', cosign: ours }] }).signed[0]!;
    const w1v = cosignerVerifierKey(w1.signerKey);
    // Go checks the log signature and both cosignatures (ours and its own) with its own code.
    const r = runGo({ notes: [
      { note: go.note, verifierKeys: [log.verifierKey], cosignerKeys: [w1v, go.cosignerKey!] },
      { note: go.note.replace('\n99\n', '\n98\n'), cosignerKeys: [w1v] },
    ] });
    expect(r.notes[0]!.ok, r.notes[0]!.error).to.equal(true);
    expect(r.notes[0]!.verified).to.have.length(3);
    expect(r.notes[1]!.ok).to.equal(false);
    const witnesses = [parseCosignerVerifierKey(w1v), parseCosignerVerifierKey(go.cosignerKey!), parseCosignerVerifierKey(cosignerVerifierKey(w2.signerKey))];
    expect(verifyCosignedCheckpoint(go.note, logV, witnesses, 2).witnesses).to.have.length(2);
    expect(kind(() => verifyCosignedCheckpoint(go.note, logV, witnesses, 3))).to.equal('quorum');
    expect(kind(() => verifyCosignedCheckpoint(signed, logV, witnesses, 1))).to.equal('quorum');
    // A cosignature copied onto another checkpoint does not verify.
    const other = signCheckpoint({ origin: ORIGIN, size: 100, root }, parseSignerKey(log.signerKey));
    const moved = other + ours.split('\n').filter((l) => l.startsWith('\u2014 witness.example/w1 ')).join('\n') + '\n';
    expect(kind(() => verifyCosignedCheckpoint(moved, logV, witnesses, 1))).to.equal('bad_signature');
    // The timestamp is the first 8 bytes of the signature field.
    const line = ours.split('\n').find((l) => l.startsWith('\u2014 witness.example/w1 '))!;
    expect(witnesses[0]!.timeOf(Buffer.from(line.split(' ')[2]!, 'base64').subarray(4))).to.equal(t);
  });
});
