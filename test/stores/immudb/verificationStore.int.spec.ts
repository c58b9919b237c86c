// ImmudbStore with `verify` (immudb's proofs checked on every read and append) against the real
// shared immudb, and against a lying server: a TCP proxy that rewrites bytes in transit.
//
// Attacks and what catches them:
// - a whole other, self-consistent history served in place of the real one (every line swapped
//   for a validly hashed line of the same length): unverified reads accept it (the ledger's own
//   chain checks cannot tell); verified reads fail with LedgerCorruptionError (htree inclusion);
// - a single value byte flipped: both catch it (the ledger's hash check, on the tip read before any proof);
// - a proof hash flipped (the eH of a tx): only verified reads fetch proofs, and they fail;
// - a forged trusted state file: every proof from it fails.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger, LedgerCorruptionError, type StoredLine } from '../../../src/index.js';
import { resolveImmudbConfig, type ImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { ImmudbSession } from '../../../src/stores/immudb/immudbRpc.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { sessionStart } from '../../support/fixtures.js';
import { freshImmudbConfig } from '../../support/immudbTestStores.js';
import { RewritingProxy } from '../../support/rewritingProxy.js';
import { sharedImmudb } from '../../support/sharedImmudb.js';

async function lines(store: ImmudbStore): Promise<string[]> {
  const out: string[] = [];
  for await (const l of store.scanLines(0) as AsyncIterable<StoredLine>) out.push(l.line);
  return out;
}

async function ledgerOf(config: ImmudbConfig, ids: string[], verify?: { trustedStateFile: string }): Promise<string[]> {
  const ledger = await Ledger.open(await ImmudbStore.open(config, verify ? { verify } : {}));
  try {
    for (const id of ids) await ledger.append(sessionStart(id));
  } finally {
    await ledger.close();
  }
  const store = await ImmudbStore.open(config);
  try { return await lines(store); } finally { await store.close(); }
}

const stateFile = () => join(mkdtempSync(join(tmpdir(), 'fmwk-trusted-')), 'immudb-state.json');
const viaProxy = (config: ImmudbConfig, proxy: RewritingProxy): ImmudbConfig => ({ ...config, host: proxy.host, port: proxy.port });

describe('ImmudbStore with verify: immudb proofs on reads and appends', function () {
  this.timeout(120_000);

  it('appends and reads verify; the trusted state file is 0600, names the database and moves forward', async () => {
    const config = await freshImmudbConfig();
    const file = stateFile();
    const written = await ledgerOf(config, ['a', 'b', 'c'], { trustedStateFile: file });
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'))[config.database] as { txId: number; txHash: string };
    expect(saved.txId).to.be.greaterThan(0);
    expect(saved.txHash).to.match(/^[0-9a-f]{64}$/);
    const store = await ImmudbStore.open(config, { verify: { trustedStateFile: file } });
    try {
      expect(await lines(store)).to.deep.equal(written);
      expect(await store.readLine(1)).to.equal(written[1]);
    } finally {
      await store.close();
    }
    expect((JSON.parse(readFileSync(file, 'utf8'))[config.database] as { txId: number }).txId).to.be.at.least(saved.txId);
  });

  it('a forged trusted state (a hash the server never had) fails every read with LedgerCorruptionError', async () => {
    const config = await freshImmudbConfig();
    await ledgerOf(config, ['a']);
    const file = stateFile();
    const session = await ImmudbSession.open(config);
    const state = await session.currentState();
    await session.close();
    writeFileSync(file, JSON.stringify({ [config.database]: { txId: state.txId, txHash: 'ab'.repeat(32) } }), { mode: 0o600 });
    const store = await ImmudbStore.open(config, { verify: { trustedStateFile: file } });
    try {
      const err = await lines(store).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(LedgerCorruptionError);
      expect((err as LedgerCorruptionError).sequence).to.equal(0);
      expect((err as Error).message).to.match(/immudb proof check failed: dual proof: .*header hash \(Alh\)/);
    } finally {
      await store.close();
    }
  });

  it('a lying server serving another valid history: unverified reads accept it, verified reads refuse it', async () => {
    const real = await freshImmudbConfig();
    const other = await freshImmudbConfig();
    const realLines = await ledgerOf(real, ['alpha', 'bravo']);
    const otherLines = await ledgerOf(other, ['alphA', 'bravO']);
    expect(otherLines.map((l) => l.length)).to.deep.equal(realLines.map((l) => l.length));
    const server = sharedImmudb();
    const proxy = await RewritingProxy.start(server.host, server.port);
    realLines.forEach((l, k) => proxy.rewrite(Buffer.from(l), Buffer.from(otherLines[k]!)));
    const file = stateFile();
    try {
      const unverified = await ImmudbStore.open(viaProxy(real, proxy));
      try {
        expect(await lines(unverified), 'not caught without proofs').to.deep.equal(otherLines);
      } finally {
        await unverified.close();
      }
      const verified = await ImmudbStore.open(viaProxy(real, proxy), { verify: { trustedStateFile: file } });
      try {
        const err = await lines(verified).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(LedgerCorruptionError);
        expect((err as LedgerCorruptionError).sequence).to.equal(0);
        expect((err as Error).message).to.match(/immudb proof check failed: inclusion of the entry in its tx \(htree\) \(tx \d+\)/);
      } finally {
        await verified.close();
      }
      expect(proxy.rewrites).to.be.greaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('a flipped value byte is caught either way; a flipped proof hash only by verified reads', async () => {
    const config = await freshImmudbConfig();
    const [line0] = await ledgerOf(config, ['charlie']);
    const server = sharedImmudb();
    // The eH of the tx that holds event 0, as the real server reports it.
    const session = await ImmudbSession.open(config);
    const scanned = (await session.scan({ prefix: Buffer.from(config.keyPrefix), desc: false, limit: 1 })).entries[0]!;
    const tx = await session.verifiableTxById({ tx: scanned.tx, proveSinceTx: scanned.tx });
    await session.close();
    const eH = tx.tx!.header!.eH;

    const valueProxy = await RewritingProxy.start(server.host, server.port);
    valueProxy.rewrite(Buffer.from('charlie'), Buffer.from('charlie'.replace('c', 'C')));
    const proofProxy = await RewritingProxy.start(server.host, server.port);
    proofProxy.rewrite(eH, Buffer.from(eH.map((b, k) => (k === 0 ? b ^ 1 : b))));
    try {
      for (const verify of [undefined, { trustedStateFile: stateFile() }]) {
        const store = await ImmudbStore.open(viaProxy(config, valueProxy), verify ? { verify } : {});
        try {
          const err = await lines(store).then(() => undefined, (e: unknown) => e);
          expect(err, `value byte, verify ${verify !== undefined}`).to.be.instanceOf(LedgerCorruptionError);
          // The tip is read without proofs, so its own hash check may speak first; both are corruption at sequence 0.
          expect((err as LedgerCorruptionError).sequence).to.equal(0);
        } finally {
          await store.close();
        }
      }
      const unverified = await ImmudbStore.open(viaProxy(config, proofProxy));
      try {
        expect(await lines(unverified)).to.deep.equal([line0]);
      } finally {
        await unverified.close();
      }
      // A trusted state from the real server, then the proxy: the rewritten eH breaks the header hash.
      const file = stateFile();
      const honest = await ImmudbStore.open(config, { verify: { trustedStateFile: file } });
      await lines(honest);
      await honest.close();
      const verified = await ImmudbStore.open(viaProxy(config, proofProxy), { verify: { trustedStateFile: file } });
      try {
        const err = await lines(verified).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(LedgerCorruptionError);
        expect((err as Error).message).to.match(/immudb proof check failed: .*(Alh|htree|eH)/);
      } finally {
        await verified.close();
      }
      expect(proofProxy.rewrites).to.be.greaterThan(0);
    } finally {
      await valueProxy.close();
      await proofProxy.close();
    }
  });
});
