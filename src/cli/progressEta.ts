// The progress bar's ETA: the remaining amount over a smoothed rate. cli-progress's own ETA is
// the rate over its last N updates, which swings with each burst and stall of the input (an
// append's ETA went from 1 m 15 s to 4 m 10 s within a second); an exponentially weighted rate
// with a time constant of seconds moves only as fast as the real rate does. Pure, so tested
// without a terminal or a clock.

/** Samples closer together than this are merged: a burst of updates is one sample. */
export const MIN_SAMPLE_MS = 1000;
/**
 * The rate's time constant: a change of rate shows about two thirds after this long, and one
 * second's sample, however bursty, moves the rate by at most ~10% of its difference from it.
 */
export const DEFAULT_TAU_MS = 10_000;

/** An exponentially weighted moving average of a rate (units per second), weighted by time. */
export class SmoothedRate {
  #at: number | undefined;
  #done = 0;
  #rate: number | undefined;

  constructor(private readonly tauMs: number = DEFAULT_TAU_MS) {}

  /** Records that `done` units were reached at time `nowMs` (monotonic, in milliseconds). */
  sample(done: number, nowMs: number): void {
    if (this.#at === undefined) {
      this.#at = nowMs;
      this.#done = done;
      return;
    }
    const dt = nowMs - this.#at;
    if (dt < MIN_SAMPLE_MS) return;
    const instant = (Math.max(0, done - this.#done) * 1000) / dt;
    // The first interval sets the rate; later ones move it by a weight that grows with their length.
    const alpha = this.#rate === undefined ? 1 : 1 - Math.exp(-dt / this.tauMs);
    this.#rate = this.#rate === undefined ? instant : this.#rate + alpha * (instant - this.#rate);
    this.#at = nowMs;
    this.#done = done;
  }

  /** Units per second; undefined before two samples MIN_SAMPLE_MS apart. */
  get rate(): number | undefined {
    return this.#rate;
  }

  /**
   * Seconds until `total` at the smoothed rate, counted down from the last sample to `nowMs` if
   * given (between samples the ETA still ticks); undefined while unknown (no rate yet, or none).
   */
  etaSeconds(total: number, nowMs?: number): number | undefined {
    const rate = this.#rate;
    if (rate === undefined || !(rate > 0)) return undefined;
    const since = nowMs === undefined || this.#at === undefined ? 0 : Math.max(0, nowMs - this.#at) / 1000;
    return Math.max(0, Math.max(0, total - this.#done) / rate - since);
  }
}

/** `4 s`, `1 m 15 s`, `2 h 05 m`; `…` while unknown. Whole seconds, rounded up. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '…';
  const s = Math.ceil(Math.max(0, seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}
