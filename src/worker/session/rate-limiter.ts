/**
 * A per-client token bucket expressed as a schedule: `due` is the intended send time of the next
 * request. Sending on schedule keeps the bucket near empty; when the client falls behind (a slow
 * tick, a GC pause) it may catch up at most `burst` requests at once, each with its own intended
 * time, so latency can be measured from when the request *should* have gone out (wrk2's
 * coordinated-omission correction). Slots beyond the burst overflow the bucket: they are returned
 * as `overflowed` so the caller can count them, never silently lost.
 *
 * A few numbers per client, no timers: at 100K clients a Bottleneck instance each would cost far
 * more memory than these three fields.
 */
/** The golden ratio's fraction: phases i × φ mod 1 split an interval near evenly for any count (three-gap theorem). */
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * When session `index` first sends from `now`: on its own phase of `intervalMs` on the grid that starts at
 * `originMs` (the run's shared start), so the run's sessions send evenly spread over each interval, as an
 * open-loop client that sends request k at origin + k × interval/n round robin would, and not in the clumps
 * that random phases make (their gaps are exponential: several sessions due in one wheel slot, none in the
 * next, which queues at the target as load the profile did not ask for). Within [now, now + intervalMs).
 */
export function phasedStart(now: number, originMs: number, intervalMs: number, index: number): number {
  if (!(intervalMs < Infinity)) return Infinity; // a rate of 0: nothing is due
  const phase = ((index * GOLDEN) % 1) * intervalMs;
  const start = originMs + phase + Math.ceil((now - originMs - phase) / intervalMs) * intervalMs;
  return start < now ? start + intervalMs : start;
}

export class TokenBucket {
  /** Intended time (ms, performance.now() clock) of the next request. */
  due: number;
  private intervalMs: number;
  private perSecond: number;
  private burst: number;

  constructor(rate: number, burst: number, now: number) {
    this.intervalMs = 1000 / rate;
    this.perSecond = rate;
    this.burst = Math.max(1, burst);
    this.due = now;
  }

  /** Change the rate (stages); the next slot keeps its place. */
  setRate(rate: number): void {
    this.intervalMs = 1000 / rate;
    this.perSecond = rate;
  }

  get rate(): number {
    return this.perSecond;
  }

  /**
   * Drop the slots that overflowed the bucket by `now` and return how many. After this, at most
   * `burst` slots are due.
   */
  overflow(now: number): number {
    if (this.due > now) return 0;
    // Tokens accrued by now: the one at `due` plus one per whole interval since.
    const available = Math.floor((now - this.due) / this.intervalMs) + 1;
    if (available <= this.burst) return 0;
    const lost = available - this.burst;
    this.due += lost * this.intervalMs;
    return lost;
  }

  /** True when a request is due at `now`. */
  ready(now: number): boolean {
    return this.due <= now;
  }

  /** True when at least two requests are due at `now`. */
  readyTwo(now: number): boolean {
    return this.due + this.intervalMs <= now;
  }

  /** Take the due slot: returns its intended time and moves the schedule on. */
  take(): number {
    const intended = this.due;
    this.due += this.intervalMs;
    return intended;
  }

  /** Restart the schedule at `now` (a new connection: nothing is owed for the time it was away). */
  restart(now: number): void {
    this.due = now;
  }
}
