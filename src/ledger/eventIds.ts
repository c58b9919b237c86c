// The event_id the ledger gives an event appended without one: a UUIDv7 (RFC 9562), laid out by
// the uuid library with the same monotonic rule as its own v7() (within one millisecond a 32-bit
// counter, seeded at random each new millisecond, counts up). Only the source of the random
// bits differs: uuid draws 16 bytes with crypto.getRandomValues for every id, which costs 5-25 µs
// a call on this kind of machine (about 10% of durable appends per second, measured on the
// directory store); here one randomFillSync fills a pool for 256 ids. The bytes come from the
// same CSPRNG, each used once; each thread has its own pool.
import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;
let msecs = -Infinity;
let seq = 0;

/** 16 random bytes never handed out before. */
function randomBytes16(): Uint8Array {
  if (used + 16 > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  return pool.subarray(used, (used += 16));
}

/** A new UUIDv7 string, monotonic within this process (as uuid's v7()). */
export function newEventId(now: number = Date.now()): string {
  const random = randomBytes16();
  if (now > msecs) {
    // A new millisecond: the counter starts at 31 random bits (uuid's v7Sequence), leaving room to count.
    msecs = now;
    seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    // The same millisecond (or the clock went back): count on; a wrapped counter borrows the next millisecond.
    seq = (seq + 1) | 0;
    if (seq === 0) msecs++;
  }
  return v7({ random, msecs, seq });
}
