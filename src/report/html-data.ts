/**
 * The numbers behind the HTML report's charts, computed in Node from the report: percentile spectra
 * read from the encoded HdrHistograms, and the per-second timeline. Plain arrays, ready for uPlot.
 */
import { decodeHistogram } from '../shared/stats.js';
import type { RunReport } from './types.js';

/** A percentile spectrum: x in "nines" (0 = 0%, 1 = 90%, 2 = 99%, 3 = 99.9%, ...), y in ms per series. */
export interface Spectrum {
  x: number[];
  series: Record<string, (number | null)[]>;
  /** The x axis' last tick, in nines. */
  maxNines: number;
}

export interface ChartData {
  latency: Spectrum;
  handshake: Spectrum;
  timeline: {
    t: number[];
    sent: number[];
    ok: number[];
    failed: number[];
    sessions: number[];
    wanted: number[];
    p50: (number | null)[];
    p99: (number | null)[];
  };
}

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

export function chartData(r: RunReport): ChartData {
  const tl = r.timeline;
  return {
    latency: spectrum({ corrected: r.histograms.latency, raw: r.histograms.latencyRaw }),
    handshake: spectrum({ handshake: r.histograms.handshake }),
    timeline: {
      t: tl.map((p) => p.second),
      sent: tl.map((p) => p.sent),
      ok: tl.map((p) => p.ok),
      failed: tl.map((p) => p.failed),
      sessions: tl.map((p) => p.sessionsOpen),
      wanted: tl.map(() => r.sessions.wanted),
      p50: tl.map((p) => ms(p.p50)),
      p99: tl.map((p) => ms(p.p99)),
    },
  };
}
