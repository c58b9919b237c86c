// immudb's proofs checked client-side against a real immudb 1.11.1 (the shared test server):
// fresh database, a few transactions of 1 and 3 entries, then VerifiableGet / VerifiableTxById
// answers checked forward (the read tx is newer than the trusted one) and backward (older).
// FMWK_RECORD_IMMUDB_VECTORS=1 rewrites test/vectors/immudb-proofs.json from this run.

import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { LedgerCorruptionError } from '../../../src/index.js';
import { bootstrapImmudb } from '../../../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbSession, type VerifiableEntryMsg, type VerifiableTxMsg } from '../../../src/stores/immudb/immudbRpc.js';
import { alh } from '../../../src/stores/immudb/verification/immudbHashes.js';
import { checkVerifiableEntry, checkVerifiableTx } from '../../../src/stores/immudb/verification/immudbVerifier.js';
import type { TrustedState } from '../../../src/stores/immudb/verification/trustedState.js';
import { sharedImmudb } from '../../support/sharedImmudb.js';
import { VECTORS_FILE, writeVectors, type ProofVectors } from '../../support/immudbVectors.js';

const kv = (key: string, value: string) => ({ kv: { key: Buffer.from(key), value: Buffer.from(value) } });
const ctx = { sequence: 7, where: 'test' };

describe('immudb proofs, live (VerifiableGet / VerifiableTxById on immudb 1.11.1)', function () {
  this.timeout(60_000);
  let session: ImmudbSession;
  const cases: ProofVectors['cases'][number][] = [];

  before(async () => {
    const server = sharedImmudb();
    const database = `proofs${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const config = resolveImmudbConfig({ env: server.env(database) });
    await bootstrapImmudb(config);
    session = await ImmudbSession.open({ ...config });
  });
  after(async () => {
    await session?.close();
    if (process.env['FMWK_RECORD_IMMUDB_VECTORS'] === '1') writeVectors(VECTORS_FILE, { immudbVersion: '1.11.1', cases });
  });

  it('checks forward and backward proofs of single- and multi-entry transactions, and the trusted state advances', async () => {
    const first = await session.execAll({ Operations: [kv('a', 'alpha')], noWait: false, preconditions: [] });
    const start = await session.currentState();
    expect(start.txId).to.equal(first.id);
    let trusted: TrustedState = { txId: start.txId, txHash: start.txHash };
    // The header ExecAll returns hashes to the state's Alh: the header layout is right.
    expect(alh({ ...first, metadata: first.metadata }).equals(start.txHash), 'Alh of the ExecAll header').to.equal(true);

    const written: { id: number; key: string; value: string }[] = [];
    for (let k = 0; k < 9; k++) {
      const ops = k % 3 === 1 ? [kv(`m${k}x`, `v${k}x`), kv(`m${k}y`, `v${k}y`), kv(`m${k}z`, `v${k}z`)] : [kv(`k${k}`, `value ${k}`)];
      const h = await session.execAll({ Operations: ops, noWait: false, preconditions: [] });
      written.push({ id: h.id, key: ops[1]?.kv.key.toString() ?? ops[0]!.kv.key.toString(), value: (ops[1] ?? ops[0]!).kv.value.toString() });
    }

    // Forward: a key written after the trusted tx.
    const w5 = written[4]!; // a 3-entry tx, middle entry
    const ansF: VerifiableEntryMsg = await session.verifiableGet({ keyRequest: { key: Buffer.from(w5.key), atTx: 0 }, proveSinceTx: trusted.txId });
    const before = trusted;
    trusted = checkVerifiableEntry(ansF, Buffer.from(w5.key), trusted, ctx, Buffer.from(w5.value));
    expect(trusted.txId).to.equal(w5.id);
    cases.push({ name: 'entry forward (3-entry tx)', kind: 'entry', key: Buffer.from(w5.key), trusted: before, expectedNext: w5.id, answer: ansF });

    // Forward tx proof up to the newest tx, holding what we wrote.
    const last = written[8]!;
    const ansT: VerifiableTxMsg = await session.verifiableTxById({ tx: last.id, proveSinceTx: trusted.txId });
    const beforeT = trusted;
    trusted = checkVerifiableTx(ansT, last.id, trusted, ctx, [{ key: Buffer.from(last.key), value: Buffer.from(last.value) }]);
    expect(trusted.txId).to.equal(last.id);
    cases.push({ name: 'tx forward', kind: 'tx', txId: last.id, contains: [{ key: Buffer.from(last.key), value: Buffer.from(last.value) }], trusted: beforeT, expectedNext: last.id, answer: ansT });

    // Backward: an old key proven against the newer trusted state; the state stays.
    const ansB = await session.verifiableGet({ keyRequest: { key: Buffer.from('a'), atTx: 0 }, proveSinceTx: trusted.txId });
    const after = checkVerifiableEntry(ansB, Buffer.from('a'), trusted, ctx, Buffer.from('alpha'));
    expect(after.txId).to.equal(last.id);
    cases.push({ name: 'entry backward (first tx)', kind: 'entry', key: Buffer.from('a'), trusted, expectedNext: last.id, answer: ansB });

    const w2 = written[1]!;
    const ansB2 = await session.verifiableTxById({ tx: w2.id, proveSinceTx: trusted.txId });
    expect(checkVerifiableTx(ansB2, w2.id, trusted, ctx).txId).to.equal(last.id);
    cases.push({ name: 'tx backward (3 entries)', kind: 'tx', txId: w2.id, contains: [], trusted, expectedNext: last.id, answer: ansB2 });
  });

  it('a value other than the proven one, or a trusted state the server never had, is LedgerCorruptionError naming the check', async () => {
    const h = await session.execAll({ Operations: [kv('b', 'bravo')], noWait: false, preconditions: [] });
    const state = await session.currentState();
    const trusted = { txId: state.txId, txHash: state.txHash };
    const ans = await session.verifiableGet({ keyRequest: { key: Buffer.from('b'), atTx: 0 }, proveSinceTx: trusted.txId });
    expect(() => checkVerifiableEntry(ans, Buffer.from('b'), trusted, ctx, Buffer.from('bravO')))
      .to.throw(LedgerCorruptionError, /sequence 7: .*proven value differs/);
    // A client that trusts a tx-1 hash the server never had: the proof from tx 1 cannot match it.
    const ans2 = await session.verifiableTxById({ tx: h.id, proveSinceTx: 1 });
    expect(() => checkVerifiableTx(ans2, h.id, { txId: 1, txHash: Buffer.alloc(32, 7) }, ctx))
      .to.throw(LedgerCorruptionError, /source tx 1 header hash/);
  });
});
