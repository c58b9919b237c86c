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
