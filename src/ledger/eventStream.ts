// ledger.stream({ from }): the history from `from`, then live events, as one Observable.
//
// The store is the source of truth and live events are only hints. The live subscription is
// made before the first read, so nothing appended during the catch-up can be missed: each live
// event either is the next one owed (emitted from memory, no read) or says the subscriber is
// behind, and what it missed is read from the store, which already holds it (an event is
// emitted on events$ only once durable). While a catch-up runs, only the newest live event is
// kept (`audit`), so memory stays flat however fast the ledger grows. One number, `next`, is
// the whole state: every emission must be exactly `next`, so there is no gap and no duplicate.
import { audit, BehaviorSubject, concat, concatMap, connect, defer, EMPTY, filter, finalize, from, merge, type Observable, of, tap } from 'rxjs';
import type { Tip } from '../contract/tip.js';
import { LedgerCorruptionError, LedgerValidationError } from '../errors/errors.js';
import type { LedgerEvent } from '../contract/event.js';

export interface StreamOptions {
  /** First sequence to emit (default 0). */
  readonly from?: number;
  /** Events read from the store per page of history (default 1000). */
  readonly pageSize?: number;
}

/** What a stream needs of a ledger: its tip, its history by range, and its live events. */
export interface StreamSource {
  getTip(): Promise<Tip>;
  readRange(start: number, end: number): AsyncIterable<LedgerEvent>;
  readonly events$: Observable<LedgerEvent>;
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
export function streamEvents(source: StreamSource, options: StreamOptions = {}): Observable<LedgerEvent> {
  const start = options.from ?? 0;
  const pageSize = options.pageSize ?? 1000;
  checkCount('from', start, 0);
  checkCount('pageSize', pageSize, 1);

  return defer(() => {
    let next = start;
    const idle$ = new BehaviorSubject(true);

    /** The stored events from `next` to `last`, one page per read. */
    const readTo = (last: number): Observable<LedgerEvent> =>
      defer(() => (next > last ? EMPTY : concat(from(source.readRange(next, Math.min(last, next + pageSize - 1))), readTo(last))));

    /** Brings the subscriber up to `hint` (undefined: the store's tip), reading what it missed. */
    const catchUp = (hint: LedgerEvent | undefined): Observable<LedgerEvent> => {
      idle$.next(false);
      const work =
        hint === undefined
          ? from(source.getTip()).pipe(concatMap((tip) => readTo(tip.sequence_number)))
          : defer(() => (hint.sequence < next ? EMPTY : concat(readTo(hint.sequence - 1), of(hint))));
      return work.pipe(finalize(() => idle$.next(true)));
    };

    return source.events$.pipe(
      // connect() subscribes to the live events before the initial catch-up starts reading.
      connect((live$) => merge(of(undefined), live$.pipe(audit(() => idle$.pipe(filter(Boolean)))))),
      concatMap(catchUp),
      filter((e) => e.sequence >= next), // a page may end with an event a later hint repeats
      tap((e) => {
        if (e.sequence !== next) throw new LedgerCorruptionError(next, `the stream expected sequence ${next} from the store but got ${e.sequence}`);
        next = e.sequence + 1;
      }),
    );
  });
}
