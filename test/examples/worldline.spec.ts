// The WorldLine Ledger (examples/worldline, seed 001) through the public API on a real
// directory store: invariants L1-L5, races between deciders, idempotent retries, projections.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, MemoryStore, canonicalJson, sha256, type LedgerStore } from '../../src/index.js';
import { projectionStateAt } from '../../src/testing.js';
import { verifyFile } from '../../src/verify.js';
import {
  WorldLineError, WorldLines, auditIndex, capabilityGrants, evolve, initialState, latestState, provenanceDag, streamOf, worldLineRegistry,
  type Commit, type WorldLineLedger,
} from '../../examples/worldline/index.js';
import { fileURLToPath } from 'node:url';
import { startNode } from '../support/childProcess.js';
import { tempDir } from '../support/tempDir.js';

const policy = { policy_id: 'pol-deploy', version: '3' };
const commitment = (worldline_id: string, over: Partial<Omit<Commit, 'kind'>> = {}): Omit<Commit, 'kind'> => ({
  worldline_id, intent: 'deploy v2', policy, operator_version: 'op-1', decision: 'accepted', grants: ['deploy:prod'], ...over,
});
const EVENT_ID = '0190a000-0000-7000-8000-000000000001';

/** What a refused command must throw: a WorldLineError with this code. */
async function refused(p: Promise<unknown>, code: string): Promise<WorldLineError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, `expected ${code}`).to.be.instanceOf(WorldLineError);
  expect((e as WorldLineError).code).to.equal(code);
  return e as WorldLineError;
}

const STORES: ReadonlyArray<{ name: string; open: (dir: string) => Promise<LedgerStore>; reopens: boolean }> = [
  { name: 'directory store', open: (dir) => DirectoryStore.open(join(dir, 'wll')), reopens: true },
  { name: 'memory store', open: async () => new MemoryStore(), reopens: false },
];

for (const S of STORES) describe(`examples/worldline (seed 001 on streams), ${S.name}`, () => {
  let dir: string;
  let remove: () => void;
  let ledger: WorldLineLedger;
  let wl: WorldLines;
  const open = async () => {
    ledger = await Ledger.open(await S.open(dir), { registry: worldLineRegistry() });
    wl = new WorldLines(ledger, { snapshotDir: join(dir, 'states') });
  };
  /** A producer restarting: a new process on the same directory; a new writer on the same memory ledger. */
  const restart = async () => {
    if (!S.reopens) return void (wl = new WorldLines(ledger, { snapshotDir: join(dir, 'states') }));
    await ledger.close();
    await open();
  };
  const lines = async () => {
    const out: string[] = [];
    for await (const { line } of ledger.readLines(0)) out.push(line);
    return out;
  };

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    await open();
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  it('L1 append-only: more receipts leave every earlier byte as it was; a correction is a new receipt', async () => {
    const c = await wl.appendCommitment(commitment('w1'));
    await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { release: 'v2' } });
    const before = await lines();
    const fix = await wl.appendCommitment(commitment('w1', { intent: 'roll back to v1', grants: [] }));
    await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: fix.hash, effects: { release: 'v1' } });
    expect((await lines()).slice(0, before.length)).to.deep.equal(before);
    expect((await wl.loadState('w1')).state.canonical).to.deep.equal({ release: 'v1' });
    // The writer offers no way to change or remove a receipt.
    const methods = Object.getOwnPropertyNames(WorldLines.prototype);
    expect(methods.filter((m) => /update|delete|remove|replace|truncate/i.test(m))).to.deep.equal([]);
  });

  it('L2 hash integrity: every receipt hashes to its content and links to the one before, in the ledger and in its worldline; a changed byte is named', async () => {
    const c = await wl.appendCommitment(commitment('w1'));
    await wl.appendCommitment(commitment('w2'));
    await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { n: 1 } });
    expect(await ledger.verifyChain()).to.deep.include({ valid: true, count: 3 });
    expect(await wl.verifyWorldLine('w1')).to.deep.equal({ valid: true, count: 2, break_at_version: null });
    for await (const e of ledger.readStream(streamOf('w1'))) {
      const { hash, ...rest } = e;
      expect(sha256(canonicalJson(rest))).to.equal(hash);
    }
    const copy = join(dir, 'copy.jsonl');
    writeFileSync(copy, `${(await lines()).join('\n')}\n`);
    expect(await verifyFile(copy)).to.deep.include({ valid: true, count: 3 });
    writeFileSync(copy, readFileSync(copy, 'utf8').replace('"n":1', '"n":2'));
    expect(await verifyFile(copy)).to.deep.include({ valid: false, break_at: 2 });
  });

  it('L3 monotonic sequence: each worldline counts 0, 1, 2... however the worldlines interleave', async () => {
    for (let i = 0; i < 4; i++) {
      for (const w of ['w1', 'w2']) await wl.appendCommitment(commitment(w, { intent: `step ${i}`, decision: i % 2 ? 'rejected' : 'accepted' }));
    }
    for (const w of ['w1', 'w2']) {
      const versions: number[] = [];
      for await (const e of ledger.readStream(streamOf(w))) versions.push(e.stream_version!);
      expect(versions).to.deep.equal([0, 1, 2, 3]);
      expect(await wl.head(w)).to.deep.include({ version: 3 });
    }
    const range: string[] = [];
    for await (const e of wl.readRange('w2', 1, 2)) range.push((e.payload as { intent: string }).intent);
    expect(range).to.deep.equal(['step 1', 'step 2']);
  });

  it('L4 outcome attribution: an outcome naming no commitment, another worldline\'s, or a rejected one is refused before anything is written', async () => {
    const c1 = await wl.appendCommitment(commitment('w1'));
    const c2 = await wl.appendCommitment(commitment('w2'));
    const r1 = await wl.appendCommitment(commitment('w1', { decision: 'rejected' }));
    const tip = await ledger.getTip();
    await refused(wl.appendOutcome({ worldline_id: 'w1', commitment_hash: `sha256:${'e'.repeat(64)}`, effects: {} }), 'WL_OUTCOME_UNATTRIBUTED');
    await refused(wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c2.hash, effects: {} }), 'WL_OTHER_WORLDLINE');
    await refused(wl.appendOutcome({ worldline_id: 'w1', commitment_hash: r1.hash, effects: {} }), 'WL_COMMITMENT_REJECTED');
    expect(await ledger.getTip()).to.deep.equal(tip);
    await wl.appendRejectionOutcome({ worldline_id: 'w1', commitment_hash: r1.hash, reason: 'policy denied' });
    const o = await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c1.hash, effects: { ok: true } });
    await refused(wl.appendOutcome({ worldline_id: 'w1', commitment_hash: o.hash, effects: {} }), 'WL_NOT_A_COMMITMENT');
  });

  it('L4 under a race: two deciders recording an outcome for one commitment, exactly one wins', async () => {
    const c = await wl.appendCommitment(commitment('w1'));
    const results = await Promise.allSettled([
      wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { by: 'a' } }),
      wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { by: 'b' } }),
      wl.appendRejectionOutcome({ worldline_id: 'w1', commitment_hash: c.hash, reason: 'timeout' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(WorldLineError).with.property('code', 'WL_COMMITMENT_RESOLVED');
    expect(await wl.head('w1')).to.deep.include({ version: 1 });
  });

  if (S.reopens) it('L4 across processes: a decider of outcomes and one of rejections race on ten commitments (the writer lock serialises them): each commitment is resolved once', async () => {
    const hashes: string[] = [];
    for (let i = 0; i < 10; i++) hashes.push((await wl.appendCommitment(commitment('w1', { intent: `job ${i}` }))).hash);
    await ledger.close();
    const child = fileURLToPath(new URL('./worldlineRaceChild.js', import.meta.url));
    const racers = ['A', 'B'].map((tag) => startNode(child, [join(dir, 'wll'), join(dir, 'states'), tag, ...hashes]));
    expect(await Promise.all(racers.map((r) => r.exited))).to.deep.equal([0, 0]);
    const won = racers.map((r) => r.lines.filter((l) => l.startsWith('won ')).map((l) => Number(l.split(' ')[1])));
    expect([...won[0]!, ...won[1]!].sort((a, b) => a - b)).to.deep.equal([...Array(10).keys()]);
    for (const r of racers) for (const l of r.lines.filter((x) => x.startsWith('refused '))) expect(l).to.match(/ WL_COMMITMENT_RESOLVED$/);
    await open();
    const { state } = await ledger.aggregateStream(streamOf('w1'), { evolve, initialState });
    expect(Object.values(state.commitments).map((c) => c.resolved).filter((r) => r === null)).to.deep.equal([]);
    expect(state.version).to.equal(19);
    expect(await wl.verifyWorldLine('w1')).to.deep.include({ valid: true, count: 20 });
  });

  it('a decider that may not decide again sees the stream conflict: expected_version is what stops the second write', async () => {
    const c = await wl.appendCommitment(commitment('w1'));
    const once = new WorldLines(ledger, { snapshotDir: join(dir, 'states'), maxAttempts: 1 });
    const results = await Promise.allSettled([
      once.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { by: 'a' } }),
      once.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { by: 'b' } }),
    ]);
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost).to.have.length(1);
    expect(lost[0]!.reason).to.have.property('code', 'LEDGER_STREAM_CONFLICT');
  });

  it('L5 snapshot anchoring: state from a snapshot plus the later receipts equals the full fold; a changed state or a foreign anchor is refused', async () => {
    const c = await wl.appendCommitment(commitment('w1'));
    await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { a: 1 } });
    const snap = await wl.takeSnapshot('w1');
    const c2 = await wl.appendCommitment(commitment('w1', { grants: ['read:logs'], revokes: ['deploy:prod'] }));
    await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c2.hash, effects: { b: 2 } });
    const full = await ledger.aggregateStream(streamOf('w1'), { evolve, initialState });
    const loaded = await wl.loadState('w1');
    expect(loaded.fromSnapshot).to.equal(2);
    expect(loaded.state).to.deep.equal(full.state);
    expect(loaded.state.capabilities).to.deep.equal(['read:logs']);

    const blob = join(dir, 'states', `${snap.state_hash.slice(7)}.json`);
    const good = readFileSync(blob, 'utf8');
    writeFileSync(blob, good.replace('"a":1', '"a":9'));
    await refused(wl.loadState('w1'), 'WL_SNAPSHOT_STATE_HASH');
    writeFileSync(blob, good);

    // A link appended past the WorldLine writer, anchored to another worldline's receipt.
    const other = await wl.appendCommitment(commitment('w2'));
    const head = (await wl.head('w1'))!;
    await ledger.append({
      event_type: 'wl_snapshot', schema_version: '1.0.0', provenance: { framework_id: 'X', pack_id: 'X', actor: 'agent' },
      payload: { worldline_id: 'w1', prev_receipt_hash: head.hash, anchored_receipt: other.hash, anchored_version: 0, state_hash: snap.state_hash },
      stream_id: streamOf('w1'), expected_version: head.version,
    });
    await refused(wl.loadState('w1'), 'WL_SNAPSHOT_ANCHOR');
  });

  it('idempotent retries by event_id: the same command again (even after a restart) returns the original receipt; another command with that id is refused', async () => {
    const c = await wl.appendCommitment(commitment('w1'), { event_id: EVENT_ID });
    expect(await wl.appendCommitment(commitment('w1'), { event_id: EVENT_ID })).to.deep.equal(c);
    const outcomeId = '0190a000-0000-7000-8000-000000000002';
    const o = await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { x: 1 } }, { event_id: outcomeId });
    await restart(); // a producer that lost the reply and restarted
    expect(await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { x: 1 } }, { event_id: outcomeId })).to.deep.equal(o);
    expect((await ledger.getTip()).sequence_number).to.equal(1);
    await refused(wl.appendCommitment(commitment('w1', { intent: 'something else' }), { event_id: EVENT_ID }), 'WL_EVENT_ID_REUSED');
    await refused(wl.appendCommitment(commitment('w2'), { event_id: EVENT_ID }), 'WL_EVENT_ID_REUSED');
  });

  it('twin retries racing with one event_id both get the one receipt that was written', async () => {
    await wl.appendCommitment(commitment('w1'));
    const id = '0190a000-0000-7000-8000-000000000003';
    const other = new WorldLines(ledger, { snapshotDir: join(dir, 'states') });
    const c = await wl.appendCommitment(commitment('w1', { intent: 'scale' }));
    const [a, b] = await Promise.all([
      wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { replicas: 3 } }, { event_id: id }),
      other.appendOutcome({ worldline_id: 'w1', commitment_hash: c.hash, effects: { replicas: 3 } }, { event_id: id }),
    ]);
    expect(a).to.deep.equal(b);
    expect(await wl.head('w1')).to.deep.include({ version: 2, hash: a.hash });
  });

  it('the projections: latest_state, audit_index, capability_grants and provenance_dag, rebuilt from the ledger', async () => {
    const c1 = await wl.appendCommitment(commitment('w1', { evidence: [sha256('bundle-1')] }));
    const r = await wl.appendCommitment(commitment('w2', { decision: 'rejected', grants: ['admin'] }));
    const o1 = await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c1.hash, effects: { release: 'v2' } });
    const rj = await wl.appendRejectionOutcome({ worldline_id: 'w2', commitment_hash: r.hash, reason: 'denied' });
    const c2 = await wl.appendCommitment(commitment('w1', { grants: [], revokes: ['deploy:prod'] }));
    const o2 = await wl.appendOutcome({ worldline_id: 'w1', commitment_hash: c2.hash, effects: { frozen: true } });

    const latest = await projectionStateAt(latestState, ledger);
    expect(latest.w1).to.deep.equal({ version: 3, head: o2.hash, state: { release: 'v2', frozen: true } });
    expect(latest.w2!.state).to.deep.equal({});
    expect(latest.w1!.state).to.deep.equal((await wl.loadState('w1')).state.canonical);

    const audit = await projectionStateAt(auditIndex, ledger);
    expect(audit.map((a) => [a.worldline_id, a.kind, a.why])).to.deep.equal([
      ['w1', 'wl_commitment', 'deploy v2'], ['w2', 'wl_commitment', 'deploy v2'], ['w1', 'wl_outcome', c1.hash],
      ['w2', 'wl_rejection', r.hash], ['w1', 'wl_commitment', 'deploy v2'], ['w1', 'wl_outcome', c2.hash],
    ]);

    const grants = await projectionStateAt(capabilityGrants, ledger);
    expect(grants.grants).to.deep.equal({ w1: { 'deploy:prod': [{ from: o1.sequence, to: o2.sequence }] } });
    expect(grants.pending).to.deep.equal({});

    const dag = await projectionStateAt(provenanceDag, ledger);
    expect(dag.edges.filter((e) => e.rel === 'attributes')).to.deep.equal([
      { from: o1.hash, to: c1.hash, rel: 'attributes' }, { from: rj.hash, to: r.hash, rel: 'attributes' }, { from: o2.hash, to: c2.hash, rel: 'attributes' },
    ]);
    expect(dag.edges).to.deep.include({ from: c1.hash, to: sha256('bundle-1'), rel: 'evidence' });
    expect(Object.keys(dag.nodes)).to.have.length(6);
  });
});
