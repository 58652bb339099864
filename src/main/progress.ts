/**
 * The live view, k6-like: a plan before the run, then one status line per progress interval. On a
 * terminal the line is redrawn in place (log-update) and cut to the terminal's width, and log lines
 * are printed above it, never into it; elsewhere (a pipe, a file, CI) each interval is one plain line.
 * It renders what the coordinator's complete intervals say (every engine's figures, never one engine's),
 * at the interval boundaries of the run's own clock; it never touches the engines.
 */
import { createLogUpdate } from 'log-update';
import { formatMicros } from '../config/units.js';
import { plannedClients, plannedRate } from '../config/stages.js';
import type { RunOptions } from '../config/types.js';
import { ERROR_TYPES } from '../shared/counters.js';
import type { Aggregate } from './aggregate.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** `75s` -> `1m15s`, `3725s` -> `1h02m05s`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '∞';
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m${pad(s % 60)}s`;
}

/** The stage (0-based) under way `ms` into the run; the last one once they are over (0 without stages). */
export function stageAt(stages: readonly { durationMs: number }[], ms: number): number {
  let end = 0;
  for (let i = 0; i < stages.length; i++) {
    end += stages[i].durationMs;
    if (ms < end) return i;
  }
  return Math.max(0, stages.length - 1);
}

/** What one status line shows, read from the Aggregate once. */
export interface ProgressFigures {
  elapsedS: number;
  /** Planned length (Infinity: until stopped). */
  totalS: number;
  /** 1-based stage under way, and how many (0: no stages). */
  stage: number;
  stages: number;
  wanted: number;
  open: number;
  connecting: number;
  failedSessions: number;
  sent: number;
  ok: number;
  dropped: number;
  /** Every error of every kind (connect, handshake, timeout, protocol, rpc, tool, closed, lost). */
  errors: number;
  /** The kinds with a count, largest first. */
  errorKinds: [kind: string, n: number][];
  /** Requests sent per second over the window since the previous line. */
  rate: number;
  /** Requests per second asked for now (0 in a closed model). */
  targetRate: number;
  /** Latency of the newest finished second (µs); undefined before any answer. */
  p50?: number;
  p99?: number;
  generatorLimited: boolean;
  loopBusy: number;
}

/**
 * Figures at the end of interval `interval` (the run's second `interval + 1`); the rate over the
 * seconds after `sinceInterval` (the previous line's interval).
 */
export function progressFigures(agg: Aggregate, opts: Pick<RunOptions, 'profile' | 'durationMs'>, interval: number, sinceInterval: number): ProgressFigures {
  const g = agg.gauges();
  const t = agg.totals();
  const elapsedS = interval + 1;
  let sentInWindow = 0;
  for (let s = Math.max(0, sinceInterval + 1); s <= interval; s++) sentInWindow += agg.timeline[s]?.sent ?? 0;
  const windowS = Math.max(1, interval - sinceInterval);
  const errorKinds = ERROR_TYPES.map((kind, i) => [kind, agg.errors[i]] as [string, number])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const recent = agg.recentPoint();
  const stages = opts.profile.stages;
  return {
    elapsedS,
    totalS: opts.durationMs / 1000,
    stage: stageAt(stages, elapsedS * 1000 - 1) + 1,
    stages: stages.length,
    wanted: g.sessionsWanted,
    open: g.sessionsOpen,
    connecting: g.sessionsConnecting,
    failedSessions: g.sessionsFailed,
    sent: t.sent,
    ok: t.ok,
    dropped: t.dropped,
    errors: errorKinds.reduce((sum, [, n]) => sum + n, 0),
    errorKinds,
    rate: sentInWindow / windowS,
    targetRate: g.targetRate,
    ...(recent && recent.ok ? { p50: recent.p50, p99: recent.p99 } : {}),
    generatorLimited: g.generatorLimited,
    loopBusy: g.loopUtilization,
  };
}

function elapsedOfTotal(f: ProgressFigures): string {
  return Number.isFinite(f.totalS) ? `${formatSeconds(Math.min(f.elapsedS, f.totalS))}/${formatSeconds(f.totalS)}` : formatSeconds(f.elapsedS);
}

function sessionsText(f: ProgressFigures): string {
  const more = [f.connecting ? `${int(f.connecting)} connecting` : '', f.failedSessions ? `${int(f.failedSessions)} failed` : ''].filter(Boolean).join(', ');
  return `sessions ${int(f.open)}/${int(f.wanted)}${more ? ` (${more})` : ''}`;
}

function errorsText(f: ProgressFigures, kinds: number): string {
  const shown = f.errorKinds.slice(0, kinds).map(([k, n]) => `${k} ${int(n)}`);
  if (shown.length < f.errorKinds.length) shown.push('…');
  return `err ${int(f.errors)}${shown.length ? ` (${shown.join(', ')})` : ''}`;
}

function latencyText(f: ProgressFigures): string {
  return f.p99 === undefined ? '' : `p50 ${formatMicros(f.p50!)} p99 ${formatMicros(f.p99)}`;
}

/**
 * One plain line, for a pipe or a file: everything, no bar, no escape codes, e.g.
 * `[ 10s/30s  33%] sessions 150/150 | sent 1,500 | ok 1,500 | err 0 | 150 req/s (target 150) | p50 1.2ms p99 3.1ms`.
 */
export function plainLine(f: ProgressFigures): string {
  const pct = Number.isFinite(f.totalS) && f.totalS > 0 ? ` ${String(Math.min(100, Math.round((100 * f.elapsedS) / f.totalS))).padStart(3)}%` : '';
  const stage = f.stages > 1 ? ` | stage ${f.stage}/${f.stages}` : '';
  const target = f.targetRate > 0 ? ` (target ${int(f.targetRate)})` : '';
  const lat = latencyText(f);
  const parts = [
    `[${elapsedOfTotal(f).padStart(7)}${pct}] ${sessionsText(f)}${stage}`,
    `sent ${int(f.sent)}`,
    `ok ${int(f.ok)}`,
    errorsText(f, ERROR_TYPES.length),
    ...(f.dropped ? [`dropped ${int(f.dropped)}`] : []),
    `${int(f.rate)} req/s${target}`,
    ...(lat ? [lat] : []),
    ...(f.generatorLimited ? [`WARNING: generator-limited (engine busy ${Math.round(f.loopBusy * 100)}%)`] : []),
  ];
  return parts.join(' | ');
}

/** `[=====>      ]` of `width` characters in all. */
function bar(fraction: number, width: number): string {
  const inner = width - 2;
  const done = Math.max(0, Math.min(inner, Math.floor(fraction * inner)));
  const head = done < inner ? '>' : '';
  return `[${'='.repeat(done)}${head}${' '.repeat(Math.max(0, inner - done - head.length))}]`;
}

/** A part of the terminal line; parts are shortened, then dropped, least important first, until the line fits. */
interface Part {
  text: string;
  /** Lower is kept longer. */
  rank: number;
  /** What it shrinks to before anything important goes. */
  short?: string;
}

/** Parts ranked above this go before any part is shortened. */
const MINOR_RANK = 3;

/**
 * The terminal's line, at most `width - 1` characters (the last column would wrap on some terminals):
 * `running [====>     ] 12s/30s  sessions 150/150  1,502 req/s  p99 3.1ms  err 0`. What does not fit is
 * left out (the bar shrinks first, then stage and latency go, the sessions' and errors' details...), never wrapped.
 */
export function terminalLine(f: ProgressFigures, width: number, state: 'running' | 'done' | 'stopping' = 'running'): string {
  const max = Math.max(1, width - 1);
  const lat = f.p99 === undefined ? '' : `p99 ${formatMicros(f.p99)}`;
  const parts: Part[] = [
    { text: `${state} ${elapsedOfTotal(f)}`, rank: 0 },
    { text: f.stages > 1 ? `stage ${f.stage}/${f.stages}` : '', rank: 6 },
    { text: sessionsText(f), rank: 1, short: `sessions ${int(f.open)}/${int(f.wanted)}` },
    { text: `${int(f.rate)} req/s`, rank: 2 },
    { text: lat, rank: 4 },
    { text: errorsText(f, 1), rank: 2, short: `err ${int(f.errors)}` },
    { text: f.generatorLimited ? 'generator-limited' : '', rank: 3, short: 'limited' },
  ].filter((p) => p.text !== '');
  const join = (ps: Part[]) => ps.map((p) => p.text).join('  ');
  let kept = parts;
  while (join(kept).length > max && kept.length > 1) {
    const worst = kept.reduce((w, p) => (p.rank > w.rank ? p : w));
    const long = kept.find((p) => p.short !== undefined && p.short !== p.text);
    if (worst.rank <= MINOR_RANK && long) kept = kept.map((p) => (p === long ? { ...p, text: p.short! } : p));
    else kept = kept.filter((p) => p !== worst);
  }
  let line = join(kept).slice(0, max);
  // The bar takes what room is left after the state and the time (12 to 30 characters).
  const room = max - line.length - 1;
  if (Number.isFinite(f.totalS) && room >= 12) {
    const first = kept[0].text.length;
    const b = bar(f.totalS > 0 ? f.elapsedS / f.totalS : 1, Math.min(30, room));
    line = `${line.slice(0, state.length)} ${b}${line.slice(state.length, first)}${line.slice(first)}`;
  }
  return line;
}

export interface ProgressOptions {
  /** Time between lines (piped) or redraws (terminal). */
  intervalMs: number;
  /** Redraw in place and print logs above (default: the stream is a TTY). */
  tty?: boolean;
}

/**
 * Draws the live view on `out` (stderr). `interval()` at each complete interval of the run, `log()` for
 * every line that must not land inside the status line, `end()` once the engines are done.
 */
export class Progress {
  private readonly tty: boolean;
  private readonly draw: ReturnType<typeof createLogUpdate> | undefined;
  /** The interval of the previous line (-1: none yet). */
  private lineInterval = -1;
  private current = '';
  private latest: ProgressFigures | undefined;
  private stopping = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { columns?: number; isTTY?: boolean },
    private readonly opts: Pick<RunOptions, 'profile' | 'durationMs'>,
    private readonly progress: ProgressOptions,
  ) {
    this.tty = progress.tty ?? out.isTTY === true;
    // The cursor stays visible: nothing to restore if the process is killed mid-line.
    this.draw = this.tty ? createLogUpdate(out, { showCursor: true }) : undefined;
  }

  private get width(): number {
    return this.out.columns || 80;
  }

  /** Interval `interval` is complete: a line when it ends on the asked schedule (5 s: after seconds 5, 10, 15…). */
  interval(interval: number, agg: Aggregate): void {
    const everyMs = Math.max(1000, this.progress.intervalMs);
    const endMs = (interval + 1) * 1000;
    if (Math.floor(endMs / everyMs) === Math.floor((endMs - 1000) / everyMs)) return;
    const f = progressFigures(agg, this.opts, interval, this.lineInterval);
    this.lineInterval = interval;
    this.latest = f;
    if (this.draw) this.render(terminalLine(f, this.width, this.stopping ? 'stopping' : 'running'));
    else this.out.write(plainLine(f) + '\n');
  }

  /** Sending stopped (end of the stages, a signal): the line says so while the drain runs. */
  stop(): void {
    this.stopping = true;
    if (this.draw && this.latest) this.render(terminalLine(this.latest, this.width, 'stopping'));
  }

  /** Print `text` (whole lines) above the status line. */
  log(text: string): void {
    if (!this.draw || !this.current) {
      this.out.write(text);
      return;
    }
    this.draw.clear();
    this.out.write(text);
    this.draw(this.current);
  }

  private render(line: string): void {
    this.current = line;
    this.draw!(line);
  }

  /** The run is over: on a terminal the line stays, as the run's last state. Safe to call twice. */
  end(agg?: Aggregate, elapsedMs?: number): void {
    if (!this.draw) return;
    if (agg && this.latest && elapsedMs !== undefined) {
      const last = agg.timeline.length - 1;
      const f = progressFigures(agg, this.opts, Math.max(0, last), -1);
      // Over the whole run: the average rate, the sessions it held at most, every error.
      const seconds = Math.max(1, elapsedMs / 1000);
      this.render(
        terminalLine(
          {
            ...f,
            elapsedS: Math.round(seconds),
            open: agg.peakSessionsOpen,
            wanted: Math.max(this.latest.wanted, agg.peakSessionsOpen),
            connecting: 0,
            rate: f.sent / seconds,
          },
          this.width,
          'done',
        ),
      );
    }
    this.draw.done();
    this.current = '';
  }
}

/** What will run, before it runs (k6 prints its scenarios): a few lines, two-space indented after the first. */
export function planLines(plan: { opts: RunOptions; urls: string[]; builtinTarget: boolean; engines: number; processes: number }): string[] {
  const { opts, urls } = plan;
  const p = opts.profile;
  const model = p.closed
    ? `closed model, ${p.closed.concurrency} in flight per client`
    : `open model, ${int(p.rate)}/s per client = ${int(p.clients * p.rate)} req/s`;
  const lines = [`mcpload: plan: profile ${p.name}, ${int(p.clients)} clients, ${model}`];
  if (p.stages.length) {
    let at = 0;
    const steps = p.stages.map((s) => {
      at += s.durationMs;
      const clients = plannedClients(p, at);
      const rate = p.closed ? '' : ` × ${int(plannedRate(p, at))}/s`;
      return `${formatSeconds(s.durationMs / 1000)} to ${int(clients)}${rate}`;
    });
    lines.push(`  stages: ${steps.join(', ')}`);
  }
  const length = Number.isFinite(opts.durationMs) ? `for ${formatSeconds(opts.durationMs / 1000)}` : 'until stopped (SIGINT/SIGTERM)';
  const drain = `${formatSeconds((opts.drainMs ?? 0) / 1000)} drain`;
  const connect = opts.connectRate > 0 ? `, ${int(opts.connectRate)} new sessions/s` : '';
  const warmup = opts.warmupMs ? `after a ${formatSeconds(opts.warmupMs / 1000)} warm-up (not measured), ` : '';
  lines.push(`  ${warmup}${length}, then up to ${drain}${connect}`);
  const transport = (opts.transport ?? 'ws') === 'http' ? 'Streamable HTTP' : 'WebSocket';
  const shown = urls.slice(0, 3).join(', ') + (urls.length > 3 ? ` and ${urls.length - 3} more` : '');
  lines.push(`  target: ${shown} (${transport}${plan.builtinTarget ? ', the built-in target' : ''})`);
  const engines = `${plan.engines} engine thread${plan.engines === 1 ? '' : 's'}${plan.processes > 1 ? ` in ${plan.processes} processes` : ''}`;
  lines.push(`  ${engines}`);
  return lines;
}
