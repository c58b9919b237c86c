// ledger.stream({ from }): the history from `from`, then live events, as one Observable.
//
// The seam: we subscribe to events$ *before* reading any history, so nothing appended while
// we page through the store can slip between the two. Live events that arrive during the
// catch-up are buffered (up to `maxBuffer`; past that the buffer is dropped and the store,
// which already holds them, is read again); at the switch the buffer is drained, skipping
// what history already emitted. Every emission is checked against the next expected sequence,
// so a subscriber sees each event exactly once, in order.
import { Observable } from 'rxjs';
import type { Tip } from '../contract/tip.js';
import { LedgerValidationError } from '../errors/errors.js';
import type { LedgerEvent } from '../contract/event.js';

export interface StreamOptions {
  /** First sequence to emit (default 0). */
  readonly from?: number;
  /** Events read from the store per page of history (default 1000). */
  readonly pageSize?: number;
  /** Live events held while history catches up before falling back to the store (default 10000). */
  readonly maxBuffer?: number;
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
export function streamEvents(ledger: StreamSource, options: StreamOptions = {}): Observable<LedgerEvent> {
  const from = options.from ?? 0;
  const pageSize = options.pageSize ?? 1000;
  const maxBuffer = options.maxBuffer ?? 10_000;
  checkCount('from', from, 0);
  checkCount('pageSize', pageSize, 1);
  checkCount('maxBuffer', maxBuffer, 1);

  return new Observable<LedgerEvent>((subscriber) => {
    let next = from;
    let closed = false;
    let live = false;
    let pumping = false;
    let buffer: LedgerEvent[] = [];
    let overflowed = false;
    let sourceDone = false;

    const emit = (e: LedgerEvent): void => {
      next = e.sequence + 1;
      subscriber.next(e);
    };

    const pump = async (): Promise<void> => {
      pumping = true;
      try {
        while (!closed) {
          // From here on every live event is in `buffer`: anything earlier is already in the store.
          if (overflowed) {
            overflowed = false;
            buffer = [];
          }
          const tip = (await ledger.getTip()).sequence_number;
          if (closed) return;
          if (next <= tip) {
            const end = Math.min(tip, next + pageSize - 1);
            for await (const e of ledger.readRange(next, end)) {
              if (closed) return;
              if (e.sequence === next) emit(e);
            }
            continue;
          }
          if (overflowed) continue;
          // Caught up with the store: drain the buffer and go live, all in this one synchronous step.
          const pending = buffer;
          buffer = [];
          live = true;
          for (const e of pending) {
            if (closed) return;
            if (e.sequence < next) continue; // already emitted from history
            if (e.sequence > next) {
              // Cannot happen with one writer; recover by reading the store again.
              live = false;
              buffer = pending.filter((b) => b.sequence > e.sequence - 1);
              break;
            }
            emit(e);
          }
          if (live) {
            if (sourceDone) subscriber.complete();
            return;
          }
        }
      } catch (e) {
        if (!closed) subscriber.error(e);
      } finally {
        pumping = false;
      }
    };

    const liveSubscription = ledger.events$.subscribe({
      next: (e) => {
        if (closed) return;
        if (live) {
          if (e.sequence < next) return;
          if (e.sequence === next) return emit(e);
          // A gap while live (cannot happen with one writer): catch up from the store.
          live = false;
          buffer = [e];
          if (!pumping) void pump();
          return;
        }
        if (overflowed) return;
        buffer.push(e);
        if (buffer.length > maxBuffer) {
          buffer = [];
          overflowed = true;
        }
      },
      error: (e) => subscriber.error(e),
      complete: () => {
        sourceDone = true;
        if (live) subscriber.complete();
      },
    });

    void pump();

    return () => {
      closed = true;
      buffer = [];
      liveSubscription.unsubscribe();
    };
  });
}
