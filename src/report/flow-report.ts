/**
 * The report's flow figures (types.ts: flows, steps, progress and their histograms): built from the
 * Aggregate's FlowTotals, and merged across replicas exactly (counts add up, histograms are summed).
 */
import { OUTCOME_NAMES, pickOutcomes } from '../shared/counters.js';
import { flowRequests } from '../shared/flow.js';
import { targetName } from '../shared/targets.js';
import type { Profile } from '../shared/types.js';
import { addEncoded, encodeHistogram, newHistogram, summarize, type Histogram } from '../shared/stats.js';
import type { FlowTotals, ProgressTotals } from '../main/flow-totals.js';
import type { MethodReport, ProgressHistograms, ProgressReport, RunReport, StepReport } from './types.js';

type StepHists = NonNullable<RunReport['histograms']['steps']>;
type FlowPart = Pick<RunReport, 'flows' | 'steps' | 'progress'>;
type FlowHists = Pick<RunReport['histograms'], 'steps' | 'progress'>;

function progressReport(p: ProgressTotals): ProgressReport {
  return { notifications: p.notifications, firstProgress: summarize(p.first), gap: summarize(p.gap), total: summarize(p.total) };
}

function progressHists(p: ProgressTotals): ProgressHistograms {
  return { first: encodeHistogram(p.first), gap: encodeHistogram(p.gap), total: encodeHistogram(p.total) };
}

/** The report's flow figures, steps in flow order (a step no engine reported has zeros). */
export function flowReport(totals: FlowTotals, profile: Profile): { part: FlowPart; hists: FlowHists } {
  const part: FlowPart = {};
  const hists: FlowHists = {};
  if (profile.flow) {
    part.flows = { ...(totals.flows ?? { started: 0, completed: 0, abandoned: 0 }) };
    const steps: Record<string, StepReport> = {};
    const stepHists: StepHists = {};
    for (const st of flowRequests(profile.flow)) {
      const t = totals.steps.get(st.key);
      const target = targetName(st.method, st.params);
      const latency = t?.latency ?? newHistogram();
      const latencyRaw = t?.latencyRaw ?? newHistogram();
      const counts = t ? pickOutcomes(t) : Object.fromEntries(OUTCOME_NAMES.map((n) => [n, 0]));
      steps[st.key] = {
        method: st.method,
        ...(target !== undefined ? { target } : {}),
        ...(counts as MethodReport),
        latency: { corrected: summarize(latency), raw: summarize(latencyRaw) },
        ...(t?.progress ? { progress: progressReport(t.progress) } : {}),
      };
      stepHists[st.key] = {
        latency: encodeHistogram(latency),
        latencyRaw: encodeHistogram(latencyRaw),
        ...(t?.progress ? { progress: progressHists(t.progress) } : {}),
      };
    }
    part.steps = steps;
    hists.steps = stepHists;
  }
  if (totals.progress) {
    part.progress = progressReport(totals.progress);
    hists.progress = progressHists(totals.progress);
  }
  return { part, hists };
}

function merged(encoded: readonly (string | undefined)[]): Histogram {
  const h = newHistogram();
  for (const e of encoded) if (e) addEncoded(h, e);
  return h;
}

/** Progress of several replicas: notifications add up, the histograms are summed. */
function mergeProgress(parts: { report?: ProgressReport; hists?: ProgressHistograms }[]): { report: ProgressReport; hists: ProgressHistograms } {
  const first = merged(parts.map((p) => p.hists?.first));
  const gap = merged(parts.map((p) => p.hists?.gap));
  const total = merged(parts.map((p) => p.hists?.total));
  const notifications = parts.reduce((n, p) => n + (p.report?.notifications ?? 0), 0);
  return {
    report: { notifications, firstProgress: summarize(first), gap: summarize(gap), total: summarize(total) },
    hists: { first: encodeHistogram(first), gap: encodeHistogram(gap), total: encodeHistogram(total) },
  };
}

/** The flow figures of replicas merged (see merge.ts): absent fields stay absent when no replica has them. */
export function mergeFlows(rs: readonly RunReport[]): { part: FlowPart; hists: FlowHists } {
  const part: FlowPart = {};
  const hists: FlowHists = {};
  if (rs.some((r) => r.flows)) {
    part.flows = { started: 0, completed: 0 };
    for (const r of rs) {
      part.flows.started += r.flows?.started ?? 0;
      part.flows.completed += r.flows?.completed ?? 0;
      if (r.flows?.abandoned !== undefined) part.flows.abandoned = (part.flows.abandoned ?? 0) + r.flows.abandoned;
    }
  }
  if (rs.some((r) => r.steps)) {
    const steps: Record<string, StepReport> = {};
    const stepHists: StepHists = {};
    const keys = [...new Set(rs.flatMap((r) => Object.keys(r.steps ?? {})))];
    for (const key of keys) {
      const parts = rs.filter((r) => r.steps?.[key]);
      const first = parts[0].steps![key];
      const counts: Record<string, number> = {};
      for (const n of OUTCOME_NAMES) counts[n] = parts.reduce((sum, r) => sum + (r.steps![key][n] ?? 0), 0);
      const latency = merged(parts.map((r) => r.histograms.steps?.[key]?.latency));
      const latencyRaw = merged(parts.map((r) => r.histograms.steps?.[key]?.latencyRaw));
      const withProgress = parts.filter((r) => r.steps![key].progress);
      const progress = withProgress.length
        ? mergeProgress(withProgress.map((r) => ({ report: r.steps![key].progress, hists: r.histograms.steps?.[key]?.progress })))
        : undefined;
      steps[key] = {
        method: first.method,
        ...(first.target !== undefined ? { target: first.target } : {}),
        ...(counts as unknown as MethodReport),
        latency: { corrected: summarize(latency), raw: summarize(latencyRaw) },
        ...(progress ? { progress: progress.report } : {}),
      };
      stepHists[key] = { latency: encodeHistogram(latency), latencyRaw: encodeHistogram(latencyRaw), ...(progress ? { progress: progress.hists } : {}) };
    }
    part.steps = steps;
    hists.steps = stepHists;
  }
  if (rs.some((r) => r.progress)) {
    const p = mergeProgress(rs.filter((r) => r.progress).map((r) => ({ report: r.progress, hists: r.histograms.progress })));
    part.progress = p.report;
    hists.progress = p.hists;
  }
  return { part, hists };
}
