/**
 * The report's streaming-surface section (counters.ts STREAM_EVENTS and STREAM_LATENCIES): built from
 * the Aggregate, merged exactly across replicas (events add up, histograms merge), absent when a run
 * saw none of it, so reports of runs without subscriptions, cancellation or server requests keep their shape.
 */
import { STREAM_EVENTS, STREAM_LATENCIES, type StreamLatency } from '../shared/counters.js';
import { addEncoded, encodeHistogram, newHistogram, summarize, type Histogram } from '../shared/stats.js';
import type { Aggregate } from '../main/aggregate.js';
import type { RunReport } from './types.js';

type Section = Pick<RunReport, 'streams'> & { histograms?: Record<string, string> };

function section(events: Record<string, number>, hists: Partial<Record<StreamLatency, Histogram>>): Section {
  const kinds = STREAM_LATENCIES.filter((k) => hists[k.name] !== undefined);
  if (!Object.values(events).some((n) => n > 0) && kinds.length === 0) return {};
  const latency: Record<string, ReturnType<typeof summarize>> = {};
  const encoded: Record<string, string> = {};
  for (const { name } of kinds) {
    latency[name] = summarize(hists[name]!);
    encoded[name] = encodeHistogram(hists[name]!);
  }
  return { streams: { events, latency }, histograms: encoded };
}

/** The run's streaming section and its encoded histograms (both absent when it saw none). */
export function streamsOf(agg: Aggregate): Section {
  return section({ ...agg.streams }, agg.streamLatency);
}

/** Replicas' streaming sections merged: events add up by name (declared ones first), histograms merge exactly. */
export function mergeStreams(rs: readonly RunReport[]): Section {
  if (!rs.some((r) => r.streams)) return {};
  const events: Record<string, number> = Object.fromEntries(STREAM_EVENTS.map((e) => [e.name, 0]));
  const hists: Partial<Record<string, Histogram>> = {};
  for (const r of rs) {
    for (const [name, n] of Object.entries(r.streams?.events ?? {})) events[name] = (events[name] ?? 0) + n;
    for (const [name, h] of Object.entries(r.histograms.streams ?? {})) addEncoded((hists[name] ??= newHistogram()), h);
  }
  const out = section(events, hists);
  return out.streams ? out : { streams: { events, latency: {} }, histograms: {} };
}
