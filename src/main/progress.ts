/**
 * The live progress line: subscribes to the coordinator's snapshots and prints at most one line per
 * interval (redrawn in place on a TTY). It renders; it never touches the engine.
 */
import { formatMicros } from '../config/units.js';
import { ErrorIndex, failedOf } from '../shared/counters.js';
import type { Aggregate } from './aggregate.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function progressLine(agg: Aggregate, nowMs: number): string {
  const g = agg.gauges();
  const t = agg.totals();
  const elapsed = Math.max(0, Math.round((nowMs - agg.startedAtMs) / 1000));
  const recent = agg.recentPoint();
  // Requests that failed, and sessions that could not start: a dead target must not read as err 0.
  const failed = failedOf(t) + agg.errors[ErrorIndex.connect] + agg.errors[ErrorIndex.handshake] + agg.errors[ErrorIndex.lost];
  const rate = recent ? int(recent.sent) : '0';
  const lat = recent && recent.ok ? ` | p50 ${formatMicros(recent.p50)} p99 ${formatMicros(recent.p99)}` : '';
  const more = [g.sessionsConnecting ? `${int(g.sessionsConnecting)} connecting` : '', g.sessionsFailed ? `${int(g.sessionsFailed)} failed` : '']
    .filter(Boolean)
    .join(', ');
  const limited = g.generatorLimited ? ` | WARNING: generator-limited (engine busy ${Math.round(g.loopUtilization * 100)}%)` : '';
  return `[${String(elapsed).padStart(3)}s] sessions ${int(g.sessionsOpen)}/${int(g.sessionsWanted)}${more ? ` (${more})` : ''} | sent ${int(t.sent)} | ok ${int(t.ok)} | err ${int(failed)} | ${rate} req/s${lat}${limited}`;
}

export class Progress {
  private lastAt = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly intervalMs: number,
  ) {}

  update(agg: Aggregate): void {
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) return;
    this.lastAt = now;
    const line = progressLine(agg, now);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else this.out.write(line + '\n');
  }

  /** End the redrawn line so what follows starts on its own. Safe to call twice. */
  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
