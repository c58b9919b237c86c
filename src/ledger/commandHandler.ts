// A command handler (issue 22, Emmett's CommandHandler): read a stream, fold it, decide, and
// append the decision as one atomic batch at the version read, so a decision made on a stale
// state never lands; a version conflict re-reads and decides again, a bounded number of times.
import { NO_STREAM, type AppendResult } from '../contract/event.js';
import { isLedgerError, LedgerError, LedgerSequenceError, LedgerStreamConflictError, LedgerValidationError } from '../errors/errors.js';
import type { AppendInputUnion, CodecMap, EventUnion } from './eventTypeRegistry.js';
import type { Ledger, WithoutStream } from './ledger.js';

/** The default number of re-reads after a version conflict. */
export const DEFAULT_COMMAND_RETRIES = 3;
/** The most re-reads a caller may ask for (each one re-reads the whole stream). */
export const MAX_COMMAND_RETRIES = 100;

/** Options of `handleCommand`: how the stream is folded, and how often a conflict is retried. */
export interface HandleCommandOptions<S, E> {
  /** The next state after `event` (pure). */
  readonly evolve: (state: S, event: E) => S;
  /** The state before the stream's first event. */
  readonly initialState: () => S;
  /** Re-reads after a version conflict, 0..100 (default 3); after the last, the conflict is thrown. */
  readonly retries?: number;
}

/** What `handleCommand` resolves with. */
export interface HandleCommandResult<S, E> {
  /** The state after the decided events (the state read, if the decision was empty). */
  readonly newState: S;
  /** The decided events as stored, in order (empty: nothing was written). */
  readonly newEvents: readonly E[];
  /** One AppendResult per decided event. */
  readonly results: readonly AppendResult[];
  /** The stream's last version after the append (-1: the stream still has no events). */
  readonly nextExpectedStreamVersion: number;
  /** How many conflicts were retried before this decision landed. */
  readonly retried: number;
}

const OPTION_KEYS = new Set(['evolve', 'initialState', 'retries']);

/**
 * Handles one command on one stream: folds the stream with `evolve` from `initialState()`,
 * calls `decide(state)`, and appends the events it returns (one, an array, or none) with
 * `appendToStream` at the version read (NO_STREAM for a stream with no events), as one atomic
 * batch. Another writer appending first (a LedgerStreamConflictError, or a LedgerSequenceError
 * when another process moved the ledger's tip) means nothing was written: the stream is read
 * and decided again, up to `retries` times; after that the error is thrown, saying how many
 * attempts were made. An empty decision writes nothing. An error `decide`
 * throws (a refused command) is thrown as it is, nothing written.
 *
 * @example
 * const { newState, results } = await handleCommand(ledger, 'cart-1', (cart) => addItem(cart, item), { evolve, initialState });
 */
export async function handleCommand<M extends CodecMap, S>(
  ledger: Ledger<M>,
  streamId: string,
  decide: (state: S) => WithoutStream<AppendInputUnion<M>> | ReadonlyArray<WithoutStream<AppendInputUnion<M>>> | Promise<WithoutStream<AppendInputUnion<M>> | ReadonlyArray<WithoutStream<AppendInputUnion<M>>>>,
  options: HandleCommandOptions<S, EventUnion<M>>,
): Promise<HandleCommandResult<S, EventUnion<M>>> {
  if (typeof decide !== 'function') throw new LedgerValidationError('decide', 'expected a function (state) => events', decide);
  if (typeof options !== 'object' || options === null) throw new LedgerValidationError('options', 'expected { evolve, initialState, retries? }', options);
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw new LedgerValidationError(`options.${k}`, 'unknown option (expected evolve, initialState, retries)', (options as unknown as Record<string, unknown>)[k]);
  }
  if (typeof options.evolve !== 'function') throw new LedgerValidationError('options.evolve', 'expected a function (state, event) => state', options.evolve);
  if (typeof options.initialState !== 'function') throw new LedgerValidationError('options.initialState', 'expected a function () => state', options.initialState);
  const retries = options.retries ?? DEFAULT_COMMAND_RETRIES;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > MAX_COMMAND_RETRIES) {
    throw new LedgerValidationError('options.retries', `expected an integer from 0 to ${MAX_COMMAND_RETRIES}`, retries);
  }
  const { evolve, initialState } = options;

  for (let attempt = 0; ; attempt++) {
    const { state, currentStreamVersion } = await ledger.aggregateStream(streamId, { evolve, initialState });
    const decided = await decide(state);
    const events = (Array.isArray(decided) ? decided : [decided]) as ReadonlyArray<WithoutStream<AppendInputUnion<M>>>;
    if (events.length === 0) {
      return { newState: state, newEvents: [], results: [], nextExpectedStreamVersion: currentStreamVersion, retried: attempt };
    }
    let results: AppendResult[];
    try {
      results = await ledger.appendToStream(streamId, events, { expectedVersion: currentStreamVersion < 0 ? NO_STREAM : currentStreamVersion });
    } catch (e) {
      const conflict = isStreamConflict(e, streamId);
      if (!conflict && !isLedgerError(e, 'LEDGER_SEQUENCE')) throw e;
      if (attempt < retries) continue;
      const detail = `handleCommand gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'} (retries: ${retries}); nothing of this command was written`;
      if (conflict) throw new LedgerStreamConflictError(streamId, e.expected, e.actual, { cause: e, detail });
      throw new LedgerSequenceError(`${(e as Error).message}; ${detail}`, { cause: e });
    }
    // The state after the decision folds the events as stored (sequence, hash, versions), read
    // back by version range: a writer appending after this batch does not enter it.
    const last = results[results.length - 1]!.stream_version!;
    const newEvents: Array<EventUnion<M>> = [];
    let newState = state;
    for await (const event of ledger.readStream(streamId, { from: results[0]!.stream_version!, to: last })) {
      newEvents.push(event);
      newState = evolve(newState, event);
    }
    return { newState, newEvents, results, nextExpectedStreamVersion: last, retried: attempt };
  }
}

function isStreamConflict(e: unknown, streamId: string): e is LedgerStreamConflictError {
  return e instanceof LedgerError && e.code === 'LEDGER_STREAM_CONFLICT' && (e as LedgerStreamConflictError).stream_id === streamId;
}
