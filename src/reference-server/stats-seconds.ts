/**
 * What the target saw, second by second (`GET /stats/seconds`): requests and notifications by method in
 * each wall-clock second, so a test can compare a generator's per-phase counts with the target's own over
 * the phase's window. Bounded: the newest MAX_SECONDS seconds are kept; the method names are the
 * counters' (unknown ones fold into `(other)` before they get here).
 */

/** Seconds kept: an hour. */
export const MAX_SECONDS = 3600;
export const STATS_SECONDS_PATH = '/stats/seconds';

/** One wall-clock second: `at` is Unix seconds (floor of Date.now()/1000). */
export interface StatsSecond {
  at: number;
  byMethod: Record<string, number>;
}

export class SecondCounts {
  private readonly seconds = new Map<number, Map<string, number>>();
  private current = -1;
  private counts: Map<string, number> | undefined;

  count(method: string, nowMs = Date.now()): void {
    const at = Math.floor(nowMs / 1000);
    if (at !== this.current || !this.counts) this.roll(at);
    this.counts!.set(method, (this.counts!.get(method) ?? 0) + 1);
  }

  private roll(at: number): void {
    this.current = at;
    this.counts = this.seconds.get(at);
    if (!this.counts) {
      this.counts = new Map();
      this.seconds.set(at, this.counts);
      // Insertion order is time order: drop the oldest past the bound.
      if (this.seconds.size > MAX_SECONDS) this.seconds.delete(this.seconds.keys().next().value!);
    }
  }

  snapshot(): StatsSecond[] {
    return [...this.seconds].map(([at, m]) => ({ at, byMethod: Object.fromEntries(m) }));
  }
}
