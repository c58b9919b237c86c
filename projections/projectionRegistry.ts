import { checkProjection, type AnyProjection } from './projection.js';
import { DuplicateProjectionError } from './projectionErrors.js';

/**
 * The projections a runner folds, by unique name, in registration order.
 *
 * @example
 * const registry = ProjectionRegistry.of([graph, counts]);
 * registry.register(graph); // throws DuplicateProjectionError: "graph" is already registered
 */
export class ProjectionRegistry {
  private readonly byName = new Map<string, AnyProjection>();

  /** A registry of `projections`, checked and in order. */
  static of(projections: Iterable<AnyProjection>): ProjectionRegistry {
    const r = new ProjectionRegistry();
    for (const p of projections) r.register(p);
    return r;
  }

  /** A registry as given, or one built from a list. */
  static from(source: ProjectionRegistry | Iterable<AnyProjection>): ProjectionRegistry {
    return source instanceof ProjectionRegistry ? source : ProjectionRegistry.of(source);
  }

  /** Adds `projection`; a second projection with the same name is refused. */
  register(projection: AnyProjection): this {
    checkProjection(projection);
    if (this.byName.has(projection.name)) throw new DuplicateProjectionError(projection.name);
    this.byName.set(projection.name, projection);
    return this;
  }

  /** The projection called `name`, if registered. */
  get(name: string): AnyProjection | undefined {
    return this.byName.get(name);
  }

  /** Whether a projection called `name` is registered. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The projections in registration order. */
  list(): AnyProjection[] {
    return [...this.byName.values()];
  }

  /** How many projections are registered. */
  get size(): number {
    return this.byName.size;
  }
}
