/**
 * A phase's failover window (expect: reconnects), read off the main thread's snapshots: the sessions
 * held before the first close, the first close (open sessions fall below that), how deep they fell, and
 * when they were all back. Snapshots come every second from each engine, so times are good to about a
 * second; the drain at the phase's end (sessions closing on purpose) is not watched.
 */
import type { Aggregate } from '../main/aggregate.js';
import type { FailoverReport } from '../report/types.js';

export class FailoverWatch {
  /** The most sessions open at once before the first close. */
  private held = 0;
  private firstCloseMs: number | undefined;
  private lowest = Infinity;
  private recoveredMs: number | undefined;
  private reconnects = 0;

  /** `untilMs`: the end of sending (wall clock); later snapshots are the drain. */
  constructor(private readonly untilMs: number) {}

  observe(agg: Aggregate, nowMs: number): void {
    if (nowMs >= this.untilMs) return;
    const g = agg.gauges();
    const open = g.sessionsOpen;
    // A reconnect between two snapshots is a close too, when the session came back before a snapshot saw it gone.
    const reconnected = agg.reconnects > this.reconnects;
    this.reconnects = agg.reconnects;
    if (this.firstCloseMs === undefined) {
      // A planned ramp down (stages) is not a close: compare with what the run wants now, too.
      if (open < Math.min(this.held, g.sessionsWanted) || (reconnected && this.held > 0)) {
        this.firstCloseMs = nowMs;
        this.lowest = open;
      } else this.held = Math.max(this.held, open);
      if (this.firstCloseMs === undefined) return;
    }
    if (this.recoveredMs !== undefined) return;
    this.lowest = Math.min(this.lowest, open);
    if (open >= Math.min(this.held, g.sessionsWanted)) this.recoveredMs = nowMs;
  }

  result(agg: Aggregate): FailoverReport {
    const close = this.firstCloseMs;
    return {
      closedSessions: close === undefined ? 0 : this.held - this.lowest,
      reconnects: agg.reconnects,
      firstCloseSecond: close === undefined ? null : round((close - agg.startedAtMs) / 1000),
      recoverySeconds: close === undefined || this.recoveredMs === undefined ? null : round((this.recoveredMs - close) / 1000),
    };
  }
}

const round = (s: number) => Math.round(s * 1000) / 1000;
