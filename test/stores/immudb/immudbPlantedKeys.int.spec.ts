// Keys written behind the ledger's back (issue 8 §3), against the shared immudb 1.11.1 server:
// references (past the tip, and over an existing key as its second revision), second revisions
// that are values, foreign keys, gaps, values that are not UTF-8, forged lines. Each must be
// corruption at its sequence for verify / read / export, must never move the tip, and must make
// an append that collides with it fail with a LedgerCorruptionError naming the key.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ledger, LedgerCorruptionError, type Tip } from '../../../src/index.js';
import { ImmudbSession } from '../../../src/stores/immudb/immudbRpc.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';
import { KeyLayout } from '../../../src/stores/immudb/keyLayout.js';
import { Secret } from '../../../src/stores/immudb/secret.js';
import type { ImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { sessionStart } from '../../support/fixtures.js';
import { freshImmudbStore, TEST_DATABASE } from '../../support/immudbTestStores.js';
import { closeRawImmudbNodeClient, openRawImmudbNodeClient, type RawImmudbNodeClient } from '../../support/rawImmudbNodeClient.js';
import { sharedImmudb } from '../../support/sharedImmudb.js';
import { expectReject } from '../ledgerStoreContract.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** What an attacker with immudb credentials can do, through immudb-node and through raw gRPC. */
class Planter {
  private constructor(
    private readonly raw: RawImmudbNodeClient,
    private readonly session: ImmudbSession,
    private readonly layout: KeyLayout,
  ) {}

  static async open(config: ImmudbConfig): Promise<Planter> {
    const server = sharedImmudb();
    const raw = await openRawImmudbNodeClient({ host: server.host, port: server.port, user: 'immudb', password: 'immudb', database: TEST_DATABASE });
    const session = await ImmudbSession.open({ host: server.host, port: server.port, database: TEST_DATABASE, user: 'immudb', password: new Secret('immudb') });
    return new Planter(raw, session, new KeyLayout(config.keyPrefix));
  }

  key = (sequence: number): string => this.layout.keyOf(sequence).toString('utf8');

  /** immudb-node `setReference`: key `from` resolves to key `to` (refused by immudb over a plain key). */
  async reference(from: number, to: number): Promise<void> {
    const tx = await this.raw.setReference({ key: this.key(from), referencedKey: this.key(to) });
    expect(tx?.id, 'setReference accepted').to.be.a('number');
  }

  /**
   * A reference written over an existing plain key, as its second revision. immudb refuses a
   * plain SetReference there, but a reference bound to a transaction in which the key was not
   * written passes its check.
   */
  async referenceOver(from: number, to: number): Promise<void> {
    const target = await this.raw.get({ key: this.key(to) });
    const tx = await this.raw.setReferenceAt({ key: this.key(from), referencedKey: this.key(to), attx: target!.tx });
    expect(tx?.id, 'setReferenceAt accepted').to.be.a('number');
  }

  /** Any bytes under any key (a plain Set through ExecAll, no preconditions). */
  async set(key: string | number, value: string | Buffer): Promise<void> {
    await this.session.execAll({
      Operations: [{ kv: { key: Buffer.from(typeof key === 'number' ? this.key(key) : key, 'utf8'), value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8') } }],
      noWait: false,
      preconditions: [],
    });
  }

  async close(): Promise<void> {
    closeRawImmudbNodeClient(this.raw);
    await this.session.close();
  }
}

describe('ImmudbStore: keys planted behind the ledger\'s back', function () {
  this.timeout(120_000);
  const closeLater: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    while (closeLater.length > 0) await closeLater.pop()!.close().catch(() => undefined);
  });

  /** A ledger of `events` events, its tip, and a planter aimed at its prefix. */
  async function setUp(events = 10) {
    const { store, config } = await freshImmudbStore();
    const ledger = await Ledger.open(store);
    closeLater.push(ledger);
    for (let i = 0; i < events; i++) await ledger.append(sessionStart(`s${i}`));
    const planter = await Planter.open(config);
    closeLater.push(planter);
    return { ledger, store, config, planter, tip: await ledger.getTip() };
  }

  /**
   * The checks every planted entry must pass, from the library's side: `at` is where verify and
   * export break, `readAt` where read() does (null: nothing to read there).
   */
  async function expectCorruptionAt(config: ImmudbConfig, tip: Tip, at: number, { readAt = at as number | null, verify = true } = {}) {
    // A fresh store and ledger, as a new process would open them: opening works, tip unmoved.
    const reopened = await Ledger.open(await ImmudbStore.open(config));
    closeLater.push(reopened);
    expect(await reopened.getTip(), 'the tip is not moved').to.deep.equal(tip);

    if (verify) {
      const verdict = await reopened.verifyChain();
      expect(verdict, verdict.reason).to.include({ valid: false, break_at: at });
    }
    if (readAt !== null) {
      const fromRead = await expectReject(reopened.read(readAt), LedgerCorruptionError);
      expect((fromRead as LedgerCorruptionError).sequence).to.equal(readAt);
    }
    // export reads to the tip and what follows it.
    const fromExport = await expectReject(collect(reopened.store.scanLines(0)), LedgerCorruptionError);
    expect((fromExport as LedgerCorruptionError).sequence).to.equal(at);
    return reopened;
  }

  /** An append that would land on a planted key fails with corruption naming it, every time. */
  async function expectAppendBlockedAt(ledger: Ledger, key: string, sequence: number) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const e = await expectReject(ledger.append(sessionStart(`blocked-${attempt}`)), LedgerCorruptionError);
      expect((e as LedgerCorruptionError).sequence).to.equal(sequence);
      expect(e.message).to.contain(JSON.stringify(key));
    }
  }

  describe('references', () => {
    it('setReference(key 10 -> key 2) past the tip: tip stays 9, break_at 10 everywhere, appends fail naming key 10', async () => {
      const { ledger, config, planter, tip } = await setUp(10);
      await planter.reference(10, 2);
      const reopened = await expectCorruptionAt(config, tip, 10);
      await expectAppendBlockedAt(reopened, planter.key(10), 10);
      await expectAppendBlockedAt(ledger, planter.key(10), 10);
      expect(await reopened.getTip()).to.deep.equal(tip);
      // Everything the ledger wrote stays readable and verifies up to its tip.
      expect((await collect(reopened.readSince(-1))).map((e) => e.sequence)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // (verifyChain(0, 9) is the whole chain, since 9 is the tip: it reports key 10 too.)
      expect((await reopened.verifyChain(0, 8)).valid).to.equal(true);
    });

    it('a reference written over an existing key (its second revision) is corruption at that key; the tip stays', async () => {
      const { config, planter, tip } = await setUp(10);
      await planter.referenceOver(5, 2);
      await expectCorruptionAt(config, tip, 5);
      const e = await expectReject(collect((await ImmudbStore.open(config)).scanLines(0, 9)), LedgerCorruptionError);
      expect(e.message).to.match(/reference/);
    });

    it('a reference over the tip key itself: the tip keeps revision 1, verify breaks at it', async () => {
      const { ledger, config, planter, tip } = await setUp(10);
      await planter.referenceOver(9, 3);
      await expectCorruptionAt(config, tip, 9);
      // The ledger's own event 9 is still the parent of the next append.
      expect((await ledger.append(sessionStart('after'))).sequence).to.equal(10);
      expect((await collect(ledger.store.scanLines(10, 10)))[0]!.line).to.contain(`"previous_hash":"${tip.hash}"`);
    });

    it('a second revision that is a reference, on a planted reference key: still break_at 10', async () => {
      const { config, planter, tip } = await setUp(10);
      await planter.reference(10, 2);
      await planter.reference(10, 9);
      await expectCorruptionAt(config, tip, 10);
    });
  });

  describe('values and keys', () => {
    it('a second revision that is a value, on the tip key: tip of revision 1, break_at 9', async () => {
      const { ledger, config, planter, tip } = await setUp(10);
      const forged = (await ledger.read(9));
      await planter.set(9, JSON.stringify({ ...forged, payload: { session_id: 'forged' } }));
      await expectCorruptionAt(config, tip, 9);
    });

    it('a garbage value at the key past the tip: tip stays, break_at 10 (no exception), appends fail naming the key', async () => {
      const { ledger, config, planter, tip } = await setUp(10);
      await planter.set(10, 'garbage');
      await expectCorruptionAt(config, tip, 10);
      await expectAppendBlockedAt(ledger, planter.key(10), 10);
    });

    it('a forged line past the tip (event 9 copied to key 10) does not move the tip', async () => {
      const { ledger, config, planter, tip } = await setUp(10);
      const line = (await collect(ledger.store.scanLines(9, 9)))[0]!.line;
      await planter.set(10, line);
      await expectCorruptionAt(config, tip, 10);
      await expectAppendBlockedAt(ledger, planter.key(10), 10);
    });

    it('a foreign key (not a sequence key) past the tip: tip stays, break_at 10', async () => {
      const { ledger, config, planter, tip } = await setUp(10);
      await planter.set(`${config.keyPrefix}zz-not-a-sequence`, 'foreign');
      await expectCorruptionAt(config, tip, 10, { readAt: null /* key 10 is simply absent */ });
      // Appends still work (key 10 is free), and the foreign key stays reported after them.
      expect((await ledger.append(sessionStart('after'))).sequence).to.equal(10);
      expect((await ledger.verifyChain()).break_at).to.equal(11);
    });

    it('a gap: a key planted at 12 with 10 and 11 absent is break_at 10; read(12) is corruption', async () => {
      const { config, planter, tip } = await setUp(10);
      const line = (await collect((await ImmudbStore.open(config)).scanLines(9, 9)))[0]!.line;
      await planter.set(12, line.replace('"sequence":9', '"sequence":12'));
      await expectCorruptionAt(config, tip, 10, { readAt: 12 });
    });

    it('a value that is not UTF-8 past the tip and as a second revision: corruption there, never repaired', async () => {
      const { config, planter, tip } = await setUp(10);
      // A stored line whose U+FFFD (EF BF BD) becomes the single byte FF: decoding with
      // replacement would give back the same text, and the same hash.
      await planter.set(10, Buffer.from([0x7b, 0xff, 0x7d]));
      await expectCorruptionAt(config, tip, 10);
      await planter.set(4, Buffer.from([0xc3, 0x28]));
      const reopened = await expectCorruptionAt(config, tip, 4);
      const e = await expectReject(reopened.read(10), LedgerCorruptionError);
      expect(e.message).to.match(/UTF-8/);
    });

    it('an empty ledger with a key planted at 0: tip -1, verify/read/export break at 0, the first append fails naming it', async () => {
      const { ledger, config, planter, tip } = await setUp(0);
      await planter.set(0, '{"sequence":0}');
      await expectCorruptionAt(config, tip, 0);
      await expectAppendBlockedAt(ledger, planter.key(0), 0);
    });
  });

  describe('the CLI on a tampered store', () => {
    const cli = (config: ImmudbConfig, args: string[]) => {
      const server = sharedImmudb();
      const r = spawnSync(process.execPath, [MAIN, ...args, '--store', `immudb://${server.host}:${server.port}/${TEST_DATABASE}`], {
        encoding: 'utf8',
        env: { ...process.env, IMMUDB_USER: 'immudb', IMMUDB_PASSWORD: 'immudb', IMMUDB_KEY_PREFIX: config.keyPrefix },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it('verify --store answers {"valid":false,"break_at":10} with exit 1; tip is unmoved; export fails at 10', async () => {
      const { config, planter, tip } = await setUp(10);
      await planter.reference(10, 2);
      const verify = cli(config, ['verify']);
      expect(verify.code, verify.stderr).to.equal(1);
      expect(JSON.parse(verify.stdout.trim().split('\n').pop()!)).to.deep.equal({ valid: false, break_at: 10, count: 10 });
      expect(verify.stderr).to.contain('reference');

      const tipOut = cli(config, ['tip']);
      expect(tipOut.code, tipOut.stderr).to.equal(0);
      expect(JSON.parse(tipOut.stdout)).to.deep.equal(tip);

      const exported = cli(config, ['export']);
      expect(exported.code).to.equal(2);
      expect(exported.stderr).to.match(/LedgerCorruptionError: sequence 10:/);
    });

    it('verify --store on a garbage key past the tip exits 1 with break_at, not 2 with an exception', async () => {
      const { config, planter } = await setUp(3);
      await planter.set(3, 'not json at all');
      const verify = cli(config, ['verify']);
      expect(verify.code, verify.stderr).to.equal(1);
      expect(JSON.parse(verify.stdout.trim().split('\n').pop()!)).to.deep.equal({ valid: false, break_at: 3, count: 3 });
    });
  });
});
