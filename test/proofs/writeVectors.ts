// Regenerates test/proofs/vectors.json with the Go checker (Go's sumdb/tlog, sumdb/note and
// transparency-dev/formats): `node dist/test/proofs/writeVectors.js > test/proofs/vectors.json`.
// Only public material is written: the signer keys Go generates are dropped.
import { formatCheckpoint } from '../../src/proofs/checkpoint.js';
import { runGo, unb64 } from './goChecker.js';

export const VECTOR_LEAVES: string[] = Array.from({ length: 17 }, (_, i) =>
  i === 5 ? '{"label":"nœud \u{1F600}","sequence":5}' : `{"sequence":${i},"vector":"fmwk-ledger proofs"}`);

const ORIGIN = 'vectors.example/fmwk-ledger';
const go = runGo({ leaves: VECTOR_LEAVES.map((l) => Buffer.from(l, 'utf8').toString('base64')), proofs: true });
const text = formatCheckpoint({ origin: ORIGIN, size: VECTOR_LEAVES.length, root: unb64(go.roots[VECTOR_LEAVES.length - 1]!) });
const log = runGo({ sign: [{ name: ORIGIN, text }] }).signed[0]!;
const witness = runGo({ sign: [{ name: 'witness.example/vectors', cosign: log.note }] }).signed[0]!;

process.stdout.write(`${JSON.stringify({
  description: 'RFC 6962 roots and proofs (leaf i = UTF-8 bytes of leaves[i]), a checkpoint signed by Go sumdb/note and cosigned (cosignature/v1) by transparency-dev/formats. proofs[n-1].inclusion[i] = PATH(i, D[0:n]); proofs[n-1].consistency[m-1] = PROOF(m, D[0:n]).',
  leaves: VECTOR_LEAVES,
  roots: go.roots,
  proofs: go.proofs,
  checkpoint: { logVerifierKey: log.verifierKey, signed: log.note },
  cosigned: { logVerifierKey: log.verifierKey, cosignerVerifierKey: witness.cosignerKey, note: witness.note },
}, null, 1)}\n`);
