// Names shared by the replay modules and kept out of the public entry point.

/** The replay engine's method that writes and records a snapshot of states it folded itself. */
export const WRITE_SNAPSHOT: unique symbol = Symbol('ReplayEngine.writeSnapshot');
