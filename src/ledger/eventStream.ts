// ledger.stream({ from }): the history from `from`, then live events, as one Observable.
//
// The store is the source of truth and live events are only hints. The live subscription is
// made before the first read, so nothing appended during the catch-up can be missed: each live
// event either is the next one owed (emitted from memory, no read) or says the subscriber is
// behind, and what it missed is read from the store, which already holds it (an event is
// emitted on events$ only once durable). While a catch-up runs, only the newest live event is
// kept (`audit`), so memory stays flat however fast the ledger grows. One number, `next`, is
// the whole state: every emission must be exactly `next`, so there is no gap and no duplicate.
// Appends made by other processes (a read-only directory store beside its writer, a shared
// immudb database) never reach events$: for those stores the store's own change signal (file
// watching, polling) is a third source of hints. Every emitted event is checked against the
// chain (its hash recomputed, its link to the one before) unless the caller opts out.
import type { Observable } from 'rxjs';
import { rxjs } from './lazyRxjs.js';
import type { Tip } from '../contract/tip.js';
import { LedgerCorruptionError, LedgerValidationError } from '../errors/errors.js';
import { ChainVerifier } from '../verify/chainVerifier.js';
import type { LedgerEvent } from '../contract/event.js';

/** Where `ledger.stream()` starts, how it pages history, how often it looks for other processes' appends, and whether it checks the chain. */
export interface StreamOptions {
  /** First sequence to emit (default 0). */
  readonly from?: number;
  /** Events read from the store per page of history (default 1000). */
  readonly pageSize?: number;
  /**
   * How often (ms) to look for events appended by other processes, on stores where they can
   * occur (default 200). Ignored where every append goes through this process.
   */
  readonly pollInterval?: number;
  /**
   * Check every event's hash and its link to the one before, as replay does (default true).
   * Turn off only where the caller checks the chain itself.
   */
  readonly verify?: boolean;
}

/** What a stream needs of a ledger: its tip, its history by range, and its live events. */
export interface StreamSource<E extends LedgerEvent<unknown> = LedgerEvent> {
  getTip(): Promise<Tip>;
  readRange(start: number, end: number): AsyncIterable<E>;
  readonly events$: Observable<E>;
  /** Calls `onChange` when other processes may have appended; returns a stop function. */
  watch?(onChange: () => void, intervalMs: number): () => void;
  /** The hash event `sequence` links to (the genesis hash for 0): the anchor of a verified stream. */
  linkHash(sequence: number): Promise<string>;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new LedgerValidationError(name, `expected an integer >= ${min}, got ${String(value)}`, value);
}

/**
 * The Observable behind `ledger.stream(options)`. History is read a page at a time and emitted
 * synchronously, so a slow subscriber slows the reading instead of filling memory.
 * Unsubscribing stops the reading and releases the live subscription.
 *
 * @example
 * const sub = ledger.stream({ from: 0 }).subscribe((e) => console.log(e.sequence));
 * // ... 0, 1, 2 (history), then every event appended later
 * sub.unsubscribe();
 */
export function streamEvents<E extends LedgerEvent<unknown>>(source: StreamSource<E>, options: StreamOptions = {}): Observable<E> {
  const { audit, BehaviorSubject, concat, concatMap, connect, defer, EMPTY, endWith, filter, finalize, from, ignoreElements, map, merge, Observable, of, takeUntil, tap } = rxjs();
  const start = options.from ?? 0;
  const pageSize = options.pageSize ?? 1000;
  checkCount('from', start, 0);
  checkCount('pageSize', pageSize, 1);
  const pollInterval = options.pollInterval ?? 200;
  checkCount('pollInterval', pollInterval, 1);
  const watch = source.watch?.bind(source);
  /** Hints from other processes: "the store may have grown", as `undefined`. */
  const changes$ = watch ? new Observable<undefined>((sub) => watch(() => sub.next(undefined), pollInterval)) : EMPTY;

  return defer(() => {
    let next = start;
    /** Set by the first catch-up (the hash event `start` links to) unless verify is false. */
    let chain: ChainVerifier | undefined;
    const anchor$ =
      options.verify === false ? EMPTY : from(source.linkHash(start)).pipe(tap((hash) => (chain = new ChainVerifier(start, hash))), ignoreElements());
    const idle$ = new BehaviorSubject(true);

    /** The stored events from `next` to `last`, one page per read. */
    const readTo = (last: number): Observable<E> =>
      defer(() => (next > last ? EMPTY : concat(from(source.readRange(next, Math.min(last, next + pageSize - 1))), readTo(last))));

    /** Brings the subscriber up to `hint` (undefined: the store's tip), reading what it missed. */
    const catchUp = (hint: E | undefined): Observable<E> => {
      idle$.next(false);
      const work =
        hint === undefined
          ? concat(chain || options.verify === false ? EMPTY : anchor$, from(source.getTip()).pipe(concatMap((tip) => readTo(tip.sequence_number))))
          : defer(() => (hint.sequence < next ? EMPTY : concat(readTo(hint.sequence - 1), of(hint))));
      return work.pipe(finalize(() => idle$.next(true)));
    };

    return source.events$.pipe(
      // connect() subscribes to the live events before the initial catch-up starts reading.
      connect((live$) =>
        merge(of(undefined), live$, changes$.pipe(takeUntil(live$.pipe(ignoreElements(), endWith(true))))).pipe(
          audit(() => idle$.pipe(filter(Boolean))),
        ),
      ),
      concatMap(catchUp),
      filter((e) => e.sequence >= next), // a page may end with an event a later hint repeats
      tap((e) => {
        if (e.sequence !== next) throw new LedgerCorruptionError(next, `the stream expected sequence ${next} from the store but got ${e.sequence}`);
        next = e.sequence + 1;
      }),
      map((e) => (chain ? chain.acceptEvent(e) : e)),
    );
  });
}
