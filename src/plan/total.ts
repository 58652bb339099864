/**
 * The plan's total: the exact merge of its phases' reports (report/merge.ts: counters added, every
 * percentile from the sum of the phases' histograms), with the figures that merge defines for replicas
 * running at the same time put right for phases that may also run one after another:
 * - durationSeconds is the time some phase was sending (the union of the phases' windows, pauses left out);
 * - rates (requests/s, target, bytes/s) are each phase's rate × its duration, added, over that time;
 * - sessions.peak is the highest open count of the merged timeline (seconds aligned on the wall clock), and
 *   sessions.wanted the most sessions the phases that overlap in time want together.
 */
import { mergeReports } from '../report/merge.js';
import type { PhaseReport, RunReport } from '../report/types.js';

interface Window {
  startMs: number;
  endMs: number;
}

/** A phase's sending window: its end less its measured duration (the connect ramp is before it). */
function windowOf(r: RunReport): Window {
  const endMs = Date.parse(r.endedAt);
  return { startMs: endMs - r.durationSeconds * 1000, endMs };
}

/** Length of the union of the windows, ms. */
function unionMs(ws: Window[]): number {
  const sorted = [...ws].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let cur: Window | undefined;
  for (const w of sorted) {
    if (cur && w.startMs <= cur.endMs) cur.endMs = Math.max(cur.endMs, w.endMs);
    else {
      if (cur) total += cur.endMs - cur.startMs;
      cur = { ...w };
    }
  }
  return total + (cur ? cur.endMs - cur.startMs : 0);
}

/** The most sessions wanted at once: at each phase's start, the wanted of every phase running then. */
function concurrentWanted(rs: RunReport[]): number {
  const spans = rs.map((r) => ({ startMs: Date.parse(r.startedAt), endMs: Date.parse(r.endedAt), wanted: r.sessions.wanted }));
  return Math.max(0, ...spans.map((s) => spans.filter((o) => o.startMs <= s.startMs && s.startMs < o.endMs).reduce((n, o) => n + o.wanted, 0)));
}

export function planTotal(phases: readonly PhaseReport[]): RunReport {
  const rs = phases.map((p) => p.report);
  const total = mergeReports(
    rs,
    phases.map((p) => `phase ${p.name}`),
  );
  delete total.merged;
  const seconds = unionMs(rs.map(windowOf)) / 1000;
  const over = (pick: (r: RunReport) => number) => (seconds > 0 ? rs.reduce((n, r) => n + pick(r) * r.durationSeconds, 0) / seconds : 0);
  const t = total.throughput;
  t.requestsPerSecond = over((r) => r.throughput.requestsPerSecond);
  t.targetRequestsPerSecond = over((r) => r.throughput.targetRequestsPerSecond);
  t.achievedRatio = t.targetRequestsPerSecond > 0 ? t.requestsPerSecond / t.targetRequestsPerSecond : 0;
  t.bytesSentPerSecond = over((r) => r.throughput.bytesSentPerSecond);
  t.bytesReceivedPerSecond = over((r) => r.throughput.bytesReceivedPerSecond);
  total.durationSeconds = seconds;
  total.sessions.peak = Math.max(0, ...total.timeline.map((p) => p.sessionsOpen), ...rs.map((r) => r.sessions.peak));
  total.sessions.wanted = concurrentWanted(rs);
  return total;
}
