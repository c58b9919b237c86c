// The Graph framework's runtime face: replay the ledger into the graph, then follow it live.
import { map, type Observable } from 'rxjs';
import { ReplayEngine, type CheckpointStore, type Ledger, type LiveProjections, type ReplayLogger, type SnapshotRecord, type SnapshotStore } from '../../src/index.js';
import { graphProjection, type GraphNode, type GraphState } from './graphProjection.js';

export interface GraphOptions {
  /** Default: snapshots/ beside a directory store; false: none. */
  readonly snapshots?: SnapshotStore | false;
  /** The Graph's checkpoint, written whenever a snapshot_created event goes by. */
  readonly checkpoints?: CheckpointStore;
  /** Take a snapshot every N events. */
  readonly snapshotEvery?: number;
  readonly logger?: ReplayLogger;
}

/**
 * The graph, kept current with the ledger.
 *
 * @example
 * const graph = await Graph.follow(ledger);
 * await ledger.append(nodeCreation('a', 'concept'));
 * graph.node('a')?.node_type === 'concept';
 * await ledger.appendBatch(newNode('b', 'concept', { attention: 2 })); // the node and its signals: all or none
 * graph.node('b')?.signals.attention === '2';
 * const then = await graph.stateAt(0);   // the graph as it was after event 0
 * await graph.close();
 */
export class Graph {
  /** The graph after the initial replay and after every event since. */
  readonly state$: Observable<GraphState>;

  private constructor(
    private readonly engine: ReplayEngine<typeof graphProjection>,
    private readonly live: LiveProjections<typeof graphProjection>,
  ) {
    this.state$ = live.states$.pipe(map((s) => s.states.graph));
  }

  /** Replays the ledger into the graph (from the newest valid snapshot), then follows it. */
  static async follow(ledger: Ledger, options: GraphOptions = {}): Promise<Graph> {
    const engine = new ReplayEngine(ledger, {
      projections: [graphProjection],
      ...(options.snapshots !== undefined ? { snapshots: options.snapshots } : {}),
      ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const live = engine.live(options.snapshotEvery ? { snapshotEvery: options.snapshotEvery } : {});
    await live.ready;
    return new Graph(engine, live);
  }

  /** The current graph. */
  get state(): GraphState {
    return this.live.current!.states.graph;
  }

  /** The sequence of the last event folded. */
  get sequence(): number {
    return this.live.current!.sequence;
  }

  node(id: string): GraphNode | undefined {
    return Object.prototype.hasOwnProperty.call(this.state.nodes, id) ? this.state.nodes[id] : undefined;
  }

  /** The graph as it was after event `sequence`. */
  async stateAt(sequence: number): Promise<GraphState> {
    return (await this.engine.stateAt(sequence)).states.graph;
  }

  /** Snapshots the current graph and records it in the ledger. */
  snapshot(): Promise<SnapshotRecord> {
    return this.live.takeSnapshot();
  }

  async close(): Promise<void> {
    await this.live.stop();
  }
}
