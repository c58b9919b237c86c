// Crash atomicity of batches on the immudb store (issue 22): a child process appending batches
// of 2..10 events (test/support/immudbBatchLoop) is SIGKILLed at random instants, hundreds of
// times; then the immudb SERVER is SIGKILLed and restarted under a running child, whose lost
// replies are settled by its idempotent retry of the same batch. After each kill a fresh open
// must show every acknowledged batch whole, no partial batch anywhere, no batch twice, a valid
// chain, and a writer that still appends. IMMUDB_BATCH_KILLS (default 60; 300 in the campaign of issue 22's note) sets the client kills.
import { expect } from 'chai';
import { Ledger, type LedgerEvent } from '../../src/index.js';
import { bootstrapImmudb } from '../../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig, type ImmudbConfig } from '../../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../../src/stores/immudb/immudbStore.js';
import { script, startChild, type RunningChild } from '../support/childProcess.js';
import { ImmudbTestServer } from '../support/immudbServer.js';

const CLIENT_KILLS = Number(process.env['IMMUDB_BATCH_KILLS'] ?? '60');
const SERVER_KILLS = 6;
const LOOP = script('immudbBatchLoop');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic stream of "random" numbers, so a failing campaign can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s % n;
  };
}

interface Ack { readonly tag: string; readonly i: number; readonly size: number; readonly sequence: number }
const acksOf = (c: RunningChild): Ack[] =>
  c.lines.filter((l) => l.startsWith('ack ')).map((l) => {
    const [, tag, i, size, sequence] = l.split(' ');
    return { tag: tag!, i: Number(i), size: Number(size), sequence: Number(sequence) };
  });

/** What the campaign has seen so far: each batch's place, and how far the chain was checked. */
class Checker {
  checked = -1;
  /** "<tag>-<i>" -> first sequence of that batch. */
  readonly batches = new Map<string, number>();
  partial = 0;
  constructor(private readonly config: ImmudbConfig) {}

  /** Opens the ledger afresh (as the next writer would) and checks what was appended since the last check. */
  async check(acks: readonly Ack[]): Promise<void> {
    const ledger = await Ledger.open(await ImmudbStore.open(this.config));
    try {
      const tip = (await ledger.getTip()).sequence_number;
      const verified = await ledger.verifyChain(this.checked + 1);
      expect(verified.valid, `chain after sequence ${this.checked}: ${verified.reason}`).to.equal(true);
      let open: { key: string; size: number; next: number; first: number } | undefined;
      if (tip > this.checked) for await (const e of ledger.readRange(this.checked + 1, tip)) open = this.step(open, e);
      if (open !== undefined) this.partial++;
      expect(open, `a partial batch at the tip: ${JSON.stringify(open)}`).to.equal(undefined);
      this.checked = tip;
      for (const a of acks) {
        expect(this.batches.get(`${a.tag}-${a.i}`), `acknowledged batch ${a.tag}-${a.i} (sequence ${a.sequence})`).to.equal(a.sequence);
      }
    } finally {
      await ledger.close();
    }
  }

  private step(open: { key: string; size: number; next: number; first: number } | undefined, e: LedgerEvent) {
    const m = /^(.+)-(\d+)$/.exec((e.payload as { session_id: string }).session_id);
    expect(m, `sequence ${e.sequence}: an event of the campaign`).to.not.equal(null);
    const [key, j] = [m![1]!, Number(m![2])];
    expect(e.batch, `sequence ${e.sequence}: every event of the campaign is in a batch`).to.not.equal(undefined);
    const { index, size } = e.batch!;
    expect(index, `sequence ${e.sequence}`).to.equal(j);
    if (open === undefined) {
      if (index !== 0) this.partial++;
      expect(index, `sequence ${e.sequence}: a batch starting past its first event`).to.equal(0);
      expect(this.batches.has(key), `batch ${key} stored twice (again at ${e.sequence})`).to.equal(false);
      this.batches.set(key, e.sequence);
      open = { key, size, next: 1, first: e.sequence };
    } else {
      if (key !== open.key || index !== open.next || size !== open.size) this.partial++;
      expect([key, index, size], `sequence ${e.sequence}: batch ${open.key} cut short`).to.deep.equal([open.key, open.next, open.size]);
      open = { ...open, next: open.next + 1 };
    }
    return open.next === open.size ? undefined : open;
  }
}

describe('immudb crash campaign: batches under SIGKILL (client and server)', function () {
  // A kill cycle is one node start, an open and a check: seconds each on a loaded machine.
  this.timeout(Math.max(900_000, CLIENT_KILLS * 8_000));
  let server: ImmudbTestServer;
  let config: ImmudbConfig;
  let checker: Checker;
  const acked: Ack[] = [];

  before(async () => {
    server = new ImmudbTestServer();
    await server.start();
    config = resolveImmudbConfig({ env: { ...server.env('ledger'), IMMUDB_KEY_PREFIX: 'batch-crash/' } });
    await bootstrapImmudb(config);
    checker = new Checker(config);
  });
  after(async () => {
    await server?.dispose();
  });

  const startLoop = (tag: string) => startChild(process.execPath, [LOOP, tag], { env: { ...process.env, ...server.env('ledger'), IMMUDB_KEY_PREFIX: config.keyPrefix } });

  it(`${CLIENT_KILLS} SIGKILLs of the appending client: every acknowledged batch whole, none partial, none twice`, async () => {
    const random = rng(22);
    let killsMidRun = 0;
    for (let k = 0; k < CLIENT_KILLS; k++) {
      const child = startLoop(`c${k}`);
      await child.waitFor((l) => l === 'open');
      // Random instants through the first batches: before, inside and after a batch's ExecAll.
      await sleep(random(250));
      child.child.kill('SIGKILL');
      const how = await child.exited;
      expect(how, child.lines.join('\n')).to.equal('SIGKILL');
      if (child.lines.some((l) => l.startsWith('retry') || l.startsWith('error'))) expect.fail(child.lines.join('\n'));
      const acks = acksOf(child);
      if (acks.length > 0) killsMidRun++;
      acked.push(...acks);
      await checker.check(acks);
      if ((k + 1) % 50 === 0) process.stderr.write(`      ${k + 1} kills: ${acked.length} batches acknowledged, ${checker.batches.size} stored, ${checker.partial} partial\n`);
    }
    const lost = acked.filter((a) => checker.batches.get(`${a.tag}-${a.i}`) !== a.sequence).length;
    const unacked = checker.batches.size - acked.length;
    process.stderr.write(`      immudb client kills: ${CLIENT_KILLS} (${killsMidRun} after some batch was acknowledged), ${acked.length} batches acknowledged, ${lost} lost, ${checker.partial} partial, ${unacked} stored whole but killed before the ack\n`);
    expect(lost).to.equal(0);
    expect(checker.partial).to.equal(0);
  });

  it(`${SERVER_KILLS} SIGKILLs of the immudb server mid-batch: unknown outcomes settled by the idempotent retry, nothing partial or twice`, async () => {
    const random = rng(2222);
    const child = startLoop('srv');
    await child.waitFor((l) => l === 'open');
    let retries = 0;
    try {
      for (let k = 0; k < SERVER_KILLS; k++) {
        const before = acksOf(child).length;
        await child.waitFor(() => acksOf(child).length >= before + 2);
        await sleep(random(40));
        await server.kill();
        await sleep(200 + random(300));
        await server.start();
        const after = acksOf(child).length;
        await child.waitFor(() => acksOf(child).length >= after + 3); // the writer carries on past the restart
      }
    } finally {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    if (child.lines.some((l) => l.startsWith('error'))) expect.fail(child.lines.join('\n'));
    retries = child.lines.filter((l) => l.startsWith('retry')).length;
    const acks = acksOf(child);
    acked.push(...acks);
    await checker.check(acks);
    const lost = acks.filter((a) => checker.batches.get(`${a.tag}-${a.i}`) !== a.sequence).length;
    process.stderr.write(`      immudb server kills: ${SERVER_KILLS}, ${acks.length} batches acknowledged, ${retries} retried sends, ${lost} lost, ${checker.partial} partial\n`);
    expect(retries, 'no append met a killed server; the kills missed').to.be.greaterThan(0);
    expect(lost).to.equal(0);
    // Every batch the loop started, up to the last acknowledged, is stored exactly once.
    const last = acks.at(-1)!.i;
    for (let i = 0; i <= last; i++) expect(checker.batches.has(`srv-${i}`), `srv-${i}`).to.equal(true);
  });

  it('after the campaign the whole chain verifies from genesis and a writer appends a batch on top', async () => {
    const ledger = await Ledger.open(await ImmudbStore.open(config), { verifyOnOpen: true });
    try {
      const tip = await ledger.getTip();
      const r = await ledger.appendBatch([{ event_type: 'session_start', schema_version: '1.0.0', provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' }, payload: { session_id: 'end-0-0' } },
        { event_type: 'session_start', schema_version: '1.0.0', provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' }, payload: { session_id: 'end-0-1' } }]);
      expect(r.map((x) => x.sequence)).to.deep.equal([tip.sequence_number + 1, tip.sequence_number + 2]);
    } finally {
      await ledger.close();
    }
    await checker.check([]);
  });
});
