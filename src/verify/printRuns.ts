// Event-id fingerprints of a parallel cold verification, compared without a serial sort at the
// end: each range sorts its own fingerprints in its own thread (sortPrints), and the calling
// thread only merges the sorted runs (repeatGroupsOfRuns), a linear pass. Same groups as
// equalPrints over the fingerprints of the whole file in sequence order.

/**
 * Indexes 0..n-1 of `prints` (two words an entry) ordered by the first word, stable (equal
 * first words keep ascending indexes): an LSD radix sort in two 16-bit passes, linear time.
 */
export function sortPrints(prints: Uint32Array, n = prints.length >>> 1): Uint32Array {
  const count = new Uint32Array(65536);
  const tmp = new Uint32Array(n);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) count[prints[2 * i]! & 0xffff]!++;
  for (let d = 0, sum = 0; d < 65536; d++) {
    const c = count[d]!;
    count[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) tmp[count[prints[2 * i]! & 0xffff]!++] = i;
  count.fill(0);
  for (let i = 0; i < n; i++) count[prints[2 * i]! >>> 16]!++;
  for (let d = 0, sum = 0; d < 65536; d++) {
    const c = count[d]!;
    count[d] = sum;
    sum += c;
  }
  for (let j = 0; j < n; j++) {
    const i = tmp[j]!;
    order[count[prints[2 * i]! >>> 16]!++] = i;
  }
  return order;
}

/** One range's fingerprints: entry i is the event at sequence base + i; only entries i < limit count. */
export interface PrintRun {
  readonly prints: Uint32Array;
  /** sortPrints(prints): its entries ordered by first word. */
  readonly order: Uint32Array;
  readonly base: number;
  readonly limit: number;
}

/**
 * Sequences (each group ascending, two or more) of the events whose 64-bit fingerprints are
 * equal, over every run: a k-way merge of the runs by first word (k is the number of ranges,
 * a handful: the smallest head is found by a scan), each run of an equal first word split by
 * the second. Usually no group at all.
 */
export function repeatGroupsOfRuns(runs: readonly PrintRun[]): number[][] {
  const k = runs.length;
  const at = new Array<number>(k).fill(0);
  // The next counted entry of run r at or after at[r], or -1.
  const head = (r: number): number => {
    const { order, limit } = runs[r]!;
    let j = at[r]!;
    while (j < order.length && order[j]! >= limit) j++;
    at[r] = j;
    return j < order.length ? order[j]! : -1;
  };
  const heads = new Array<number>(k);
  for (let r = 0; r < k; r++) heads[r] = head(r);
  const groups: number[][] = [];
  // The entries of the current first word: the first as scalars (the usual lone entry
  // allocates nothing), more only on a match.
  let hi0 = -1;
  let lo0 = 0;
  let seq0 = 0;
  let more: Array<{ lo: number; seq: number }> | undefined;
  const flush = () => {
    if (more === undefined) return;
    const byLow = new Map<number, number[]>([[lo0, [seq0]]]);
    for (const { lo, seq } of more) {
      const g = byLow.get(lo);
      if (g) g.push(seq);
      else byLow.set(lo, [seq]);
    }
    for (const g of byLow.values()) if (g.length > 1) groups.push(g.sort((a, b) => a - b));
    more = undefined;
  };
  for (;;) {
    let best = -1;
    let bestHi = 0;
    for (let r = 0; r < k; r++) {
      const i = heads[r]!;
      if (i < 0) continue;
      const hi = runs[r]!.prints[2 * i]!;
      if (best < 0 || hi < bestHi) {
        best = r;
        bestHi = hi;
      }
    }
    if (best < 0) break;
    const run = runs[best]!;
    const i = heads[best]!;
    const lo = run.prints[2 * i + 1]!;
    const seq = run.base + i;
    if (bestHi === hi0) (more ??= []).push({ lo, seq });
    else {
      flush();
      hi0 = bestHi;
      lo0 = lo;
      seq0 = seq;
    }
    at[best]!++;
    heads[best] = head(best);
  }
  flush();
  return groups;
}
