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

/** The first words of `prints` in `order` (the run's sorted keys, what the merge compares). */
export function sortedFirstWords(prints: Uint32Array, order: Uint32Array): Uint32Array {
  const keys = new Uint32Array(order.length);
  for (let j = 0; j < order.length; j++) keys[j] = prints[2 * order[j]!]!;
  return keys;
}

/** The first position in sorted `keys` whose key is >= `x`. */
function lowerBound(keys: Uint32Array, x: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One range's fingerprints: entry i is the event at sequence base + i; only entries i < limit count. */
export interface PrintRun {
  readonly prints: Uint32Array;
  /** sortPrints(prints): its entries ordered by first word. */
  readonly order: Uint32Array;
  /** sortedFirstWords(prints, order), when the range's thread computed it. */
  readonly keys?: Uint32Array;
  readonly base: number;
  readonly limit: number;
}

/**
 * Sequences (each group ascending, two or more) of the events whose 64-bit fingerprints are
 * equal, over every run; the same groups as equalPrints over all of them in sequence order.
 * Members of a group share their first word, so each is next to another in its own run's
 * sorted keys, or its first word is in another run's keys too: equal neighbours within each
 * run and a two-pointer intersection of each pair of runs (a handful of ranges) find every
 * candidate in linear passes over typed arrays; only the candidates (usually none) are
 * grouped by both words.
 */
export function repeatGroupsOfRuns(runs: readonly PrintRun[]): number[][] {
  // A run cut short by a break (rare: a failure) is re-sorted over its counted prefix.
  const rs = runs.map((r) => {
    const n = Math.min(r.limit, r.order.length);
    if (n === r.order.length) return { prints: r.prints, order: r.order, keys: r.keys ?? sortedFirstWords(r.prints, r.order), base: r.base };
    const prints = r.prints.subarray(0, 2 * n);
    const order = sortPrints(prints, n);
    return { prints, order, keys: sortedFirstWords(prints, order), base: r.base };
  });
  // Candidates by run: sorted positions j (into order/keys) that share a first word with another entry.
  const marked = rs.map(() => new Set<number>());
  for (let r = 0; r < rs.length; r++) {
    const keys = rs[r]!.keys;
    for (let j = 1; j < keys.length; j++) {
      if (keys[j] === keys[j - 1]) marked[r]!.add(j - 1).add(j);
    }
  }
  for (let a = 0; a < rs.length; a++) {
    for (let b = a + 1; b < rs.length; b++) {
      const ka = rs[a]!.keys;
      const kb = rs[b]!.keys;
      // A short run (a range's first line, one entry) is looked up, not walked against a long one.
      if (Math.min(ka.length, kb.length) <= 8) {
        const [short, long, ms, ml] = ka.length <= kb.length ? [ka, kb, marked[a]!, marked[b]!] : [kb, ka, marked[b]!, marked[a]!];
        for (let i = 0; i < short.length; i++) {
          const j = lowerBound(long, short[i]!);
          if (j < long.length && long[j] === short[i]) {
            ms.add(i);
            ml.add(j);
          }
        }
        continue;
      }
      let i = 0;
      let j = 0;
      while (i < ka.length && j < kb.length) {
        const x = ka[i]!;
        const y = kb[j]!;
        if (x < y) i++;
        else if (y < x) j++;
        else {
          marked[a]!.add(i++);
          marked[b]!.add(j++);
        }
      }
    }
  }
  // Equal first words within a run are adjacent: the intersection marks one of them, its
  // neighbours were marked above. Group every candidate by both words.
  const byPrint = new Map<string, number[]>();
  for (let r = 0; r < rs.length; r++) {
    const { prints, order, base } = rs[r]!;
    for (const j of marked[r]!) {
      const i = order[j]!;
      const k = `${prints[2 * i]!}:${prints[2 * i + 1]!}`;
      const g = byPrint.get(k);
      if (g) g.push(base + i);
      else byPrint.set(k, [base + i]);
    }
  }
  const groups: number[][] = [];
  for (const g of byPrint.values()) if (g.length > 1) groups.push(g.sort((x, y) => x - y));
  return groups;
}
