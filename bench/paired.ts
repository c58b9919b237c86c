// Paired measurement: every side runs once per round, in an order that rotates from round to
// round, and a ratio is taken within each round before any summary. On a shared, noisy machine
// the per-round ratio cancels most of the drift that separate best-of figures would keep; the
// printed ratio is the median of the per-round ratios, with their min and max.

export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** One ratio per round, in round order. */
  readonly rounds: readonly number[];
}

export interface PairedResult<K extends string> {
  /** Each side's value per round (in round order). */
  readonly values: Readonly<Record<K, readonly number[]>>;
  /** median / min / max of per-round values of one side. */
  summary(side: K): RatioSummary;
  /** The per-round ratio side / baseline, summarised. */
  ratio(side: K, baseline: K): RatioSummary;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const summarise = (xs: readonly number[]): RatioSummary => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: xs });

/**
 * Runs `rounds` rounds of every side (at least 5: fewer gives no usable spread). Round r runs
 * the sides rotated by r, so no side is always first (warm caches, a quiet disk) or last.
 */
export async function paired<K extends string>(
  rounds: number,
  sides: Readonly<Record<K, (round: number) => Promise<number> | number>>,
  log?: (line: string) => void,
): Promise<PairedResult<K>> {
  if (!Number.isSafeInteger(rounds) || rounds < 5) throw new Error(`paired: at least 5 rounds are needed, got ${rounds}`);
  const names = Object.keys(sides) as K[];
  const values = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const side of order) values[side][r] = await sides[side](r);
    log?.(`round ${r + 1}/${rounds}: ${names.map((n) => `${n} ${fmt(values[n][r]!)}`).join(', ')}`);
  }
  return {
    values,
    summary: (side) => summarise(values[side]),
    ratio: (side, baseline) => summarise(values[side].map((v, r) => v / values[baseline][r]!)),
  };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toString() : x.toFixed(2));

/** "0.85 (0.80..0.91, 5 rounds)". */
export const formatRatio = (s: RatioSummary): string => `${s.median.toFixed(3)} (${s.min.toFixed(3)}..${s.max.toFixed(3)}, ${s.rounds.length} rounds)`;

/** One block of work on one side: how much was done and how long it took. */
export interface BlockResult {
  readonly work: number;
  readonly seconds: number;
}

/**
 * Paired at a finer grain, for work whose cost drifts within seconds (fsync on a disk that other
 * processes share): each round runs `blocks` short blocks of every side, interleaved, the order
 * rotating from block to block, and a side's value for the round is its total work over its
 * total time (a rate). Ratios are then taken per round, as in `paired`.
 */
export async function pairedBlocks<K extends string>(
  rounds: number,
  blocks: number,
  sides: Readonly<Record<K, (round: number, block: number) => Promise<BlockResult> | BlockResult>>,
  log?: (line: string) => void,
): Promise<PairedResult<K>> {
  if (!Number.isSafeInteger(blocks) || blocks < 1) throw new Error(`pairedBlocks: at least 1 block per round is needed, got ${blocks}`);
  const names = Object.keys(sides) as K[];
  const rates = new Map<number, Record<K, number>>();
  let turn = 0;
  const runRound = async (r: number): Promise<Record<K, number>> => {
    const work = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
    const secs = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
    for (let b = 0; b < blocks; b++, turn++) {
      for (let i = 0; i < names.length; i++) {
        const side = names[(i + turn) % names.length]!;
        const res = await sides[side](r, b);
        work[side] += res.work;
        secs[side] += res.seconds;
      }
    }
    return Object.fromEntries(names.map((n) => [n, work[n] / secs[n]])) as Record<K, number>;
  };
  // The whole interleaved round runs when its first side is asked; the others read their share.
  const side = (n: K) => async (r: number) => {
    if (!rates.has(r)) rates.set(r, await runRound(r));
    return rates.get(r)![n];
  };
  return paired(rounds, Object.fromEntries(names.map((n) => [n, side(n)])) as Record<K, (r: number) => Promise<number>>, log);
}
