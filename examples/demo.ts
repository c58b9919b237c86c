// What the framework is for, in one screen: events on a tamper-evident ledger, folded into state
// by a projection, with snapshots, state at any earlier sequence, live updates, and a tamper
// caught in an exported copy by an auditor who holds nothing else. Public API only.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { defineProjection, DirectoryStore, isLedgerError, Ledger, ReplayEngine, type AppendInput } from '../src/index.js';
import { verifyFile } from '../src/verify.js';

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'fmwk-ledger-demo-'));
const keep = process.argv[2] !== undefined;
const say = (s = '') => console.log(s);
const short = (hash: string) => `${hash.slice(7, 15)}…`;

// 1. A projection: a named, versioned fold of events into JSON state. This one keeps each
// node's label and the sum of its relevance signals; only the listed event types reach it.
const graph = defineProjection({
  name: 'graph',
  version: 1,
  canHandle: ['node_creation', 'signal_delta'],
  initial: {} as Record<string, { label: string; relevance: number }>,
  apply: (nodes, e) => {
    if (e.event_type === 'node_creation') return { ...nodes, [e.payload.node_id]: { label: e.payload.label ?? '', relevance: 0 } };
    const node = nodes[e.payload.node_id];
    return node ? { ...nodes, [e.payload.node_id]: { ...node, relevance: node.relevance + Number(e.payload.delta) } } : nodes;
  },
});

const provenance = { framework_id: 'FMWK-005', pack_id: 'PC-005-graph', actor: 'agent' } as const;
const node = (node_id: string, label: string): AppendInput => ({ event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id, node_type: 'concept', label } });
const signal = (node_id: string, delta: number): AppendInput => ({ event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id, signal: 'relevance', delta } });
const compact = (s: unknown) => JSON.stringify(s).replace(/"(\w+)":/g, '$1:');

say(`fmwk-ledger demo (directory store in ${dir})`);
const ledger = await Ledger.open(await DirectoryStore.open(dir));
const engine = new ReplayEngine(ledger, { projections: [graph] });

say('\n1. append: each event is on disk before append() resolves, and carries the previous hash');
ledger.events$.subscribe((e) => say(`   #${e.sequence} ${e.event_type.padEnd(16)} ${short(e.hash)} <- ${short(e.previous_hash)}`));
await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance: { ...provenance, actor: 'operator' }, payload: { session_id: 'demo' } });
for (const input of [node('n1', 'Ledger'), node('n2', 'Projection'), signal('n1', 3), signal('n2', 2)]) await ledger.append(input);
try {
  await ledger.append(signal('n1', 0.5)); // floats are not in the byte contract
} catch (e) {
  if (!isLedgerError(e)) throw e;
  say(`   refused, nothing written: ${e.code} ${e.message}`);
}

say('\n2. replay: the state is a fold over the events');
const atTip = await engine.replay();
say(`   at #${atTip.sequence}: ${compact(atTip.states.graph)}`);

say('\n3. snapshot: later replays start from it (its file hash is recorded on the ledger)');
const snapshot = await engine.takeSnapshot();
say(`   snapshots/${basename(snapshot.path)} holds the state at #${snapshot.sequence}; event #${snapshot.record_sequence} records its hash`);

say('\n4. state at an earlier sequence: what did we know after event 3?');
say(`   at #3: ${compact((await engine.stateAt(3)).states.graph)}`);

say('\n5. live: projections follow new events as they become durable');
const live = engine.live();
await live.ready;
const seen = new Promise<void>((done) => {
  live.states$.subscribe(({ sequence, states }) => {
    if (sequence > snapshot.record_sequence) say(`   states$ -> #${sequence}: graph.n3 = ${compact(states.graph.n3)}`);
    if (sequence === snapshot.record_sequence + 2) done();
  });
});
await ledger.append(node('n3', 'Snapshot'));
await ledger.append(signal('n3', 5));
await seen;
await live.stop();

say('\n6. verify: every hash recomputed, every link checked');
say(`   verifyChain(): ${JSON.stringify(await ledger.verifyChain())}`);
await ledger.close();

say('\n7. an auditor gets an export and nothing else; someone changed one byte of it');
const exported = join(dir, 'export.jsonl');
writeFileSync(exported, readFileSync(join(dir, 'ledger.jsonl')));
say(`   before: ${JSON.stringify(await verifyFile(exported))}`);
const bytes = readFileSync(exported);
const at = bytes.indexOf('"delta":3');
bytes[at + '"delta":'.length] = '4'.charCodeAt(0); // event 3: relevance 3 becomes 4
writeFileSync(exported, bytes);
const result = await verifyFile(exported);
say(`   after:  ${JSON.stringify({ valid: result.valid, break_at: result.break_at, count: result.count })}`);
say(`   ${result.reason}`);
if (keep) say(`\nTry the CLI: npm run -s cli -- verify ${exported}`);

if (!keep) rmSync(dir, { recursive: true, force: true });
process.exitCode = result.valid === false && result.break_at === 3 ? 0 : 1;
