/**
 * The main thread's sums of what flows and progress add to a snapshot (shared/messages.ts): per flow
 * step the outcomes and latency (like a target's), the progress histograms (overall and per step),
 * and the flows started and completed. Adding deltas keeps them exact (aggregate.ts).
 */
import { addOutcomes, zeroOutcomes, type OutcomeCounts } from '../shared/counters.js';
import type { EngineSnapshot, ProgressDelta } from '../shared/messages.js';
import { addDelta, newHistogram, type Histogram } from '../shared/stats.js';

export interface ProgressTotals {
  notifications: number;
  first: Histogram;
  gap: Histogram;
  total: Histogram;
}

/** One flow step's outcomes and latency histograms over the run (as a method's, aggregate.ts). */
export interface StepTotals extends OutcomeCounts {
  latency: Histogram;
  latencyRaw: Histogram;
  progress?: ProgressTotals;
}

export function newProgressTotals(): ProgressTotals {
  return { notifications: 0, first: newHistogram(), gap: newHistogram(), total: newHistogram() };
}

export function addProgress(into: ProgressTotals, d: ProgressDelta): void {
  into.notifications += d.notifications;
  addDelta(into.first, d.first);
  addDelta(into.gap, d.gap);
  addDelta(into.total, d.total);
}

export class FlowTotals {
  /** Per flow request step, by its key, in the order first seen (the engines send them in flow order). */
  readonly steps = new Map<string, StepTotals>();
  /** Every request that asked for progress (mix entries and steps); undefined: none did. */
  progress: ProgressTotals | undefined;
  /** Absent until an engine reports flows. */
  flows: { started: number; completed: number; abandoned: number } | undefined;

  add(s: EngineSnapshot): void {
    // Every request is in some method's delta: the overall progress is their sum.
    for (const d of Object.values(s.methods)) if (d.progress !== undefined) addProgress((this.progress ??= newProgressTotals()), d.progress);
    if (s.flows !== undefined) {
      const f = (this.flows ??= { started: 0, completed: 0, abandoned: 0 });
      f.started += s.flows.started;
      f.completed += s.flows.completed;
      f.abandoned += s.flows.abandoned;
    }
    for (const [key, d] of Object.entries(s.steps ?? {})) {
      let t = this.steps.get(key);
      if (t === undefined) this.steps.set(key, (t = { ...zeroOutcomes(), latency: newHistogram(), latencyRaw: newHistogram() }));
      addOutcomes(t, d);
      addDelta(t.latency, d.latency);
      addDelta(t.latencyRaw, d.latencyRaw);
      if (d.progress !== undefined) addProgress((t.progress ??= newProgressTotals()), d.progress);
    }
  }
}
