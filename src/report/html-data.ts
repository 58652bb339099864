/**
 * The numbers behind the HTML report's charts, computed in Node from the report: percentile spectra
 * read from the encoded HdrHistograms, and the per-second timeline. Plain arrays, ready for uPlot.
 */
import { decodeHistogram } from '../shared/stats.js';
import type { TimelinePoint } from '../main/aggregate.js';
import type { RunReport } from './types.js';

/** A percentile spectrum: x in "nines" (0 = 0%, 1 = 90%, 2 = 99%, 3 = 99.9%, ...), y in ms per series. */
export interface Spectrum {
  x: number[];
  series: Record<string, (number | null)[]>;
  /** The x axis' last tick, in nines. */
  maxNines: number;
}

/** What the time charts do with the end of the run (see trimTimeline). */
export interface TimelineEnd {
  /** none: the report does not say when sending ended (older versions); else what became of the last second of sending. */
  lastSecond: 'none' | 'whole' | 'scaled' | 'omitted';
  /** The share of the last second that was sending (0..1), and its counts' factor when scaled. */
  fraction: number;
  factor: number;
  /** Responses and failures counted after the last charted second (the drain, and a dropped partial second): not drawn. */
  afterOk: number;
  afterFailed: number;
  /** One sentence saying all that, for the page. */
  note: string;
}

export interface ChartData {
  model: 'open' | 'closed';
  latency: Spectrum;
  handshake: Spectrum;
  timeline: {
    t: number[];
    sent: number[];
    ok: number[];
    failed: number[];
    /** Absent in the closed model, which has no schedule to fall behind. */
    dropped?: number[];
    target: number[];
    sessions: number[];
    wanted: number[];
    p50: (number | null)[];
    p99: (number | null)[];
    /** Engine CPU as a share of one core (%), the busiest event loop (%), its worst lag (ms); null where the report has none. */
    cpu: (number | null)[];
    loop: (number | null)[];
    lag: (number | null)[];
  };
  end: TimelineEnd;
}

/** A partial last second of sending at least this full is scaled up to a whole second; a shorter one is left out. */
export const SCALE_FROM = 0.5;

const STEP = 0.025;
/** The deepest percentile charted: 99.999%. */
const MAX_NINES = 5;

/** Percentile (0..100) at x nines: 100 × (1 − 10^−x). */
export function percentileAt(nines: number): number {
  return 100 * (1 - Math.pow(10, -nines));
}

/**
 * Read each histogram at percentiles spaced evenly in nines, up to the depth the sample count supports
 * (past 1 − 1/count every percentile is the max) and at most 99.999%. Values in ms; null without samples.
 */
export function spectrum(encoded: Record<string, string>): Spectrum {
  const hists = Object.entries(encoded).map(([name, e]) => [name, e ? decodeHistogram(e) : undefined] as const);
  const count = Math.max(0, ...hists.map(([, h]) => h?.totalCount ?? 0));
  const maxNines = Math.min(MAX_NINES, Math.max(2, Math.ceil(Math.log10(Math.max(1, count)))));
  const x: number[] = [];
  for (let i = 0; i * STEP <= maxNines + 1e-9; i++) x.push(Math.round(i * STEP * 1000) / 1000);
  const series: Spectrum['series'] = {};
  for (const [name, h] of hists) {
    // Floor at 1 µs: the chart's y axis is logarithmic.
    series[name] = x.map((n) => (h && h.totalCount > 0 ? Math.max(1, h.getValueAtPercentile(percentileAt(n))) / 1000 : null));
  }
  return { x, series, maxNines };
}

const ms = (us: number) => (us > 0 ? us / 1000 : null);
const oneDecimal = (n: number) => Math.round(n * 10) / 10;

/**
 * The seconds the time charts draw. Second N covers [N, N+1) from the start; sending ends at
 * sendingSeconds, so the second it ends in holds only part of a second's requests (drawn as it is, it
 * falls toward 0: a cliff the target never showed) and the seconds after it hold only the drain.
 * The drain is left out; the partial second is scaled to a full second when at least SCALE_FROM of it
 * was sending, else left out too. What is left out is counted in the note.
 */
export function trimTimeline(r: RunReport): { points: TimelinePoint[]; end: TimelineEnd } {
  const tl = r.timeline;
  const end = r.sendingSeconds;
  if (end === undefined) return { points: tl, end: { lastSecond: 'none', fraction: 1, factor: 1, afterOk: 0, afterFailed: 0, note: '' } };
  const whole = Math.floor(end + 1e-9);
  // A few ms of sending into a second (the stop lands a tick after the boundary) make it a drain second, not a partial one.
  const fraction = end - whole < 0.02 ? 0 : Math.min(1, end - whole);
  const points = tl.filter((p) => p.second < whole).map((p) => ({ ...p }));
  const partial = tl.find((p) => p.second === whole);
  const scale = partial !== undefined && fraction >= SCALE_FROM;
  const factor = scale ? 1 / fraction : 1;
  if (scale) {
    points.push({
      ...partial,
      sent: partial.sent * factor,
      ok: partial.ok * factor,
      failed: partial.failed * factor,
      dropped: (partial.dropped ?? 0) * factor,
      cpuSeconds: (partial.cpuSeconds ?? 0) * factor,
    });
  }
  const after = tl.filter((p) => p.second > whole || (p.second === whole && !scale));
  const afterOk = after.reduce((n, p) => n + p.ok, 0);
  const afterFailed = after.reduce((n, p) => n + p.failed, 0);
  const lastSecond = fraction === 0 ? 'whole' : scale ? 'scaled' : 'omitted';
  const cut =
    lastSecond === 'scaled'
      ? `The last second had ${oneDecimal(fraction)} s of sending: its counts are scaled to a full second (×${factor.toFixed(2)}).`
      : lastSecond === 'omitted' && partial
        ? `The last second had only ${Math.round(fraction * 1000)} ms of sending: it is left out rather than drawn as a fall.`
        : '';
  const drained =
    afterOk + afterFailed > 0
      ? ` ${afterOk.toLocaleString('en-US')} responses and ${afterFailed.toLocaleString('en-US')} failures came after that (the drain) and are not drawn.`
      : '';
  const note = `Time charts end where sending ended (${oneDecimal(end)} s).${cut ? ' ' + cut : ''}${drained}`;
  return { points, end: { lastSecond, fraction, factor, afterOk, afterFailed, note } };
}

export function chartData(r: RunReport): ChartData {
  const { points: tl, end } = trimTimeline(r);
  // Reports of older versions have no per-second gauges: the run's figures, held flat, as before.
  const has = (k: keyof TimelinePoint) => tl.some((p) => p[k] !== undefined);
  const gauge = (k: 'cpuSeconds' | 'loopUtilization' | 'loopLagMs', f: (v: number) => number) => tl.map((p) => (p[k] === undefined ? null : f(p[k])));
  return {
    model: r.model === 'closed' ? 'closed' : 'open',
    latency: spectrum({ corrected: r.histograms.latency, raw: r.histograms.latencyRaw }),
    handshake: spectrum({ handshake: r.histograms.handshake }),
    timeline: {
      t: tl.map((p) => p.second),
      sent: tl.map((p) => p.sent),
      ok: tl.map((p) => p.ok),
      failed: tl.map((p) => p.failed),
      ...(r.model === 'closed' ? {} : { dropped: tl.map((p) => p.dropped ?? 0) }),
      target: has('targetRate') ? tl.map((p) => p.targetRate ?? 0) : tl.map(() => r.throughput.targetRequestsPerSecond),
      sessions: tl.map((p) => p.sessionsOpen),
      wanted: has('wanted') ? tl.map((p) => p.wanted ?? 0) : tl.map(() => r.sessions.wanted),
      p50: tl.map((p) => ms(p.p50)),
      p99: tl.map((p) => ms(p.p99)),
      // CPU of the engine threads per second is the share of one core they used.
      cpu: gauge('cpuSeconds', (v) => v * 100),
      loop: gauge('loopUtilization', (v) => v * 100),
      lag: gauge('loopLagMs', (v) => v),
    },
    end,
  };
}
