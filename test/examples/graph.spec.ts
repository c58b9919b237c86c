// The Graph framework (examples/graph), tested as its authors would: through the public API.
import { expect } from 'chai';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { DirectoryStore, Ledger, ProjectionFailedError, ReplayEngine, SnapshotStore, type SeedAppendInput } from '../../src/index.js';
import { projectionStateAt } from '../../src/testing.js';
import {
  Graph, addDecimal, consolidation, graphProjection, modeChange, newNode, nodeCreation, signalDelta, suppression, unsuppression, type GraphState,
} from '../../examples/graph/index.js';
import { sessionStart } from '../support/fixtures.js';
import { collectingLogger } from '../support/replayFixtures.js';
import { tempDir } from '../support/tempDir.js';

const story: SeedAppendInput[] = [
  nodeCreation('a', 'concept', { label: 'Alpha' }), //      0
  nodeCreation('b', 'concept', { parent_id: 'a' }), //      1
  signalDelta('a', 'attention', 2), //                      2
  signalDelta('a', 'attention', '-0.25'), //                3
  sessionStart('s-1'), //                                   4 (not the graph's: ignored)
  suppression('b', 'noisy'), //                             5
  modeChange('a', 'focused'), //                            6
  nodeCreation('c', 'memory', { attributes: { k: 1 } }), // 7
  signalDelta('c', 'attention', '1.5'), //                  8
  signalDelta('b', 'salience', 3), //                       9
  unsuppression('b'), //                                    10
  consolidation('a', ['c']), //                             11
  signalDelta('c', 'attention', 1), //                      12 (c is consolidated: lands on a)
];

const node = (over: Partial<GraphState['nodes'][string]> & { node_id: string }) => ({
  node_type: 'concept', label: null, parent_id: null, attributes: {}, signals: {}, suppressed: false, mode: null, created_at: 0, consolidated_into: null, ...over,
});

/** The graph after each of a few sequences, written out by hand. */
const expected: Record<number, GraphState> = {
  1: { nodes: { a: node({ node_id: 'a', label: 'Alpha' }), b: node({ node_id: 'b', parent_id: 'a', created_at: 1 }) } },
  6: {
    nodes: {
      a: node({ node_id: 'a', label: 'Alpha', signals: { attention: '1.75' }, mode: 'focused' }),
      b: node({ node_id: 'b', parent_id: 'a', created_at: 1, suppressed: true }),
    },
  },
  12: {
    nodes: {
      a: node({ node_id: 'a', label: 'Alpha', signals: { attention: '4.25' }, mode: 'focused' }),
      b: node({ node_id: 'b', parent_id: 'a', created_at: 1, signals: { salience: '3' } }),
      c: node({ node_id: 'c', node_type: 'memory', attributes: { k: 1 }, created_at: 7, consolidated_into: 'a' }),
    },
  },
};

describe('examples/graph (FMWK-005 on the replay engine)', () => {
  let dir: string;
  let remove: () => void;
  let ledger: Ledger;

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    ledger = await Ledger.open(await DirectoryStore.open(join(dir, 'ledger')));
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  it('newNode: a node and its first signals are one atomic batch, folded as any events', async () => {
    const results = await ledger.appendBatch(newNode('n', 'concept', { attention: 2, salience: '0.5' }, { label: 'N' }));
    expect(results.map((r) => r.sequence)).to.deep.equal([0, 1, 2]);
    const stored = [await ledger.read(0), await ledger.read(1), await ledger.read(2)];
    expect(stored.map((e) => [e.event_type, e.batch])).to.deep.equal([
      ['node_creation', { index: 0, size: 3 }], ['signal_delta', { index: 1, size: 3 }], ['signal_delta', { index: 2, size: 3 }],
    ]);
    const graph = await Graph.follow(ledger, { snapshots: false });
    try {
      expect(graph.node('n')).to.deep.equal(node({ node_id: 'n', label: 'N', signals: { attention: '2', salience: '0.5' } }));
    } finally {
      await graph.close();
    }
    expect(newNode('m', 'memory')).to.deep.equal([nodeCreation('m', 'memory')]);
  });

  it('folds the story: the graph at several sequences (the one-line test helper)', async () => {
    for (const [seq, graph] of Object.entries(expected)) {
      expect(await projectionStateAt(graphProjection, story, Number(seq)), `at ${seq}`).to.deep.equal(graph);
    }
  });

  it('reconstructs the same graph at every sequence with and without snapshots', async () => {
    const snapshots = SnapshotStore.beside(ledger);
    const engine = new ReplayEngine(ledger, { projections: [graphProjection], snapshots, logger: collectingLogger() });
    for (const [i, input] of story.entries()) {
      await ledger.append(input);
      if (i === 3 || i === 9) await engine.takeSnapshot(); // records shift later sequences by one each
    }
    expect(await snapshots.list()).to.deep.equal([10, 3]);
    const plain = new ReplayEngine(ledger, { projections: [graphProjection], snapshots: false });
    const tip = (await ledger.getTip()).sequence_number;
    for (let s = 0; s <= tip; s++) expect(await engine.stateAt(s), `at ${s}`).to.deep.equal(await plain.stateAt(s));
    // Events 0..3 and the graph's last state are where the story says (the records are ignored by the graph).
    expect((await engine.stateAt(1)).states.graph).to.deep.equal(expected[1]);
    const last = expected[12]!;
    expect((await engine.replay()).states.graph).to.deep.equal({ nodes: { ...last.nodes, c: { ...last.nodes.c!, created_at: 8 } } });
  });

  it('subscribes to replay, then live: the graph follows new events', async () => {
    for (const input of story.slice(0, 7)) await ledger.append(input);
    const graph = await Graph.follow(ledger, { logger: collectingLogger() });
    expect(graph.state).to.deep.equal(expected[6]);
    const afterAll = firstValueFrom(graph.state$.pipe(filter(() => graph.sequence === story.length - 1)));
    for (const input of story.slice(7)) await ledger.append(input);
    expect(await afterAll).to.deep.equal(expected[12]);
    expect(graph.node('c')?.consolidated_into).to.equal('a');
    expect(await graph.stateAt(6)).to.deep.equal(expected[6]);
    await graph.snapshot();
    await graph.close();
    // A fresh Graph starts from that snapshot and agrees.
    const again = await Graph.follow(ledger, { logger: collectingLogger() });
    expect(again.state).to.deep.equal(expected[12]);
    await again.close();
  });

  it('an event the graph cannot fold stops it with an error naming the graph and the sequence', async () => {
    let error: unknown;
    await projectionStateAt(graphProjection, [nodeCreation('a', 'concept'), signalDelta('ghost', 'x', 1)]).catch((e) => (error = e));
    expect(error).to.be.instanceOf(ProjectionFailedError);
    expect((error as Error).message).to.equal('projection "graph" failed at sequence 1: payload.node_id: no such node (got "ghost")');
  });

  it('adds decimal signals exactly', () => {
    expect(addDecimal('0.1', '0.2')).to.equal('0.3');
    expect(addDecimal('1', -3)).to.equal('-2');
    expect(addDecimal('-0.25', '0.25')).to.equal('0');
    expect(addDecimal('123456789012345678.5', 1)).to.equal('123456789012345679.5');
  });
});
