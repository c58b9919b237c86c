// ReplayEngine is generic over its projections: `states.graph` has the graph's state type,
// `states.counts` the counter's, and a name no projection has is a compile error. The
// `@ts-expect-error` lines are the type test: if one of them compiled, tsc would fail the build.
import { expect } from 'chai';
import { Ledger, MemoryStore, ReplayEngine, defineProjection, type ProjectionStates } from '../../src/index.js';
import { graphProjection, nodeCreation, signalDelta, type GraphState } from '../../examples/graph/index.js';

/** A mutable projection: its JSON state type (number) is what the engine hands out. */
const counts = defineProjection({ name: 'counts', version: 1, init: () => ({ n: 0 }), evolve: (w: { n: number }) => void w.n++, serialize: (w) => w.n, deserialize: (n: number) => ({ n }) });

describe('ReplayEngine types', () => {
  it('types states from the projections: { graph: GraphState; counts: number }, in replay, stateAt and live', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await ledger.append(nodeCreation('a', 'concept'));
    await ledger.append(signalDelta('a', 'heat', '0.5'));
    const engine = new ReplayEngine(ledger, { projections: [graphProjection, counts], snapshots: false });

    const { states } = await engine.replay();
    const graph: GraphState = states.graph;
    const n: number = states.counts;
    expect(graph.nodes.a?.signals).to.deep.equal({ heat: '0.5' });
    expect(n).to.equal(2);
    const typed: ProjectionStates<{ readonly graph: GraphState; readonly counts: number }> = await engine.stateAt(0);
    expect(typed.states.counts).to.equal(1);

    // @ts-expect-error no projection is named "nodes"
    expect(states.nodes).to.equal(undefined);
    // @ts-expect-error counts is a number, not a graph
    const wrong: GraphState = states.counts;
    expect(wrong).to.equal(2);
    // @ts-expect-error a GraphState has no "edges"
    expect(states.graph.edges).to.equal(undefined);
    // @ts-expect-error the states are read-only
    states.counts = 3;

    const live = engine.live();
    const ready = await live.ready;
    const liveGraph: GraphState = ready.states.graph;
    expect(Object.keys(liveGraph.nodes)).to.deep.equal(['a']);
    // @ts-expect-error live states are typed the same way
    const liveWrong: string = live.current!.states.counts;
    expect(liveWrong).to.equal(2);
    await live.stop();

    // One projection: stateOf is typed by the projection passed.
    const only = new ReplayEngine(ledger, { projections: [graphProjection], snapshots: false });
    const viaStateOf: GraphState = await only.stateOf(graphProjection);
    expect(viaStateOf).to.deep.equal(graph);
    // @ts-expect-error only the graph is registered with this engine
    expect((await only.replay()).states.counts).to.equal(undefined);
    await ledger.close();
  });
});
