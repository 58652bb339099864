/**
 * Stages, k6-style: each stage ramps linearly from where the previous one ended to its own target;
 * clients ramp from the profile's clients (k6's startVUs), the rate from its rate. Without stages the
 * profile's clients and rate hold for the whole run.
 */
import type { Profile, Stage } from '../shared/types.js';
import { requestsPerFlow, thinkPerFlowMs } from '../shared/flow.js';
import type { RunOptions } from './types.js';

/**
 * The most clients the run wants at any time: the profile's, or a stage's target above it. With
 * session arrivals, an estimate of the sessions open at once (to size engines and pools): the peak
 * arrival rate times a flow's think time plus a second.
 */
export function peakClients(profile: Profile): number {
  if (profile.arrivalRate !== undefined) {
    const peak = Math.max(profile.arrivalRate, ...profile.stages.map((s) => s.arrivalRate ?? 0));
    return Math.max(1, Math.ceil(peak * (thinkPerFlowMs(profile.flow ?? []) / 1000 + 1)));
  }
  return Math.max(profile.clients, ...profile.stages.map((s) => s.clients));
}

/** Session arrivals: the arrival rate (sessions/s) `elapsedMs` after the start; a stage without arrivalRate keeps the previous one. */
export function plannedArrivalRate(profile: Profile, elapsedMs: number): number {
  return interpolate(profile.stages, elapsedMs, profile.arrivalRate ?? 0, (s, previous) => s.arrivalRate ?? previous);
}

/** Session arrivals due by `elapsedMs` (the integral of the arrival rate; the first arrives at 0). */
export function arrivalsBy(profile: Profile, elapsedMs: number): number {
  let start = 0;
  let previous = profile.arrivalRate ?? 0;
  let sum = 0;
  // A rate from the start: its first session arrives at 0; a ramp from 0 when it has added up to one.
  const first = previous > 0 ? 1 : 0;
  for (const stage of profile.stages) {
    const to = stage.arrivalRate ?? previous;
    const span = Math.min(stage.durationMs, elapsedMs - start);
    if (span <= 0) break;
    // The trapezoid under the ramp from `previous` to `to`, as far as `elapsedMs`.
    const rateAtEnd = previous + ((to - previous) * span) / stage.durationMs;
    sum += ((previous + rateAtEnd) / 2) * (span / 1000);
    if (span < stage.durationMs) return Math.floor(sum) + first;
    previous = to;
    start += stage.durationMs;
  }
  if (elapsedMs > start) sum += previous * ((elapsedMs - start) / 1000);
  return Math.floor(sum) + first;
}

/** Total planned run length of the stages (0 without stages). */
export function stagesDurationMs(profile: Profile): number {
  return profile.stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** `target(stage, previous)` is a stage's target given the previous stage's. */
function interpolate(stages: Stage[], elapsedMs: number, from: number, target: (s: Stage, previous: number) => number): number {
  let start = 0;
  let previous = from;
  for (const stage of stages) {
    const to = target(stage, previous);
    if (elapsedMs < start + stage.durationMs) {
      return previous + ((to - previous) * (elapsedMs - start)) / stage.durationMs;
    }
    previous = to;
    start += stage.durationMs;
  }
  return previous;
}

/** How many clients the run wants `elapsedMs` after its start. */
export function plannedClients(profile: Profile, elapsedMs: number): number {
  if (profile.stages.length === 0) return profile.clients;
  return Math.round(interpolate(profile.stages, elapsedMs, profile.clients, (s) => s.clients));
}

/** The per-client request rate at `elapsedMs`; a stage without `rate` keeps the previous one. */
export function plannedRate(profile: Profile, elapsedMs: number): number {
  if (profile.stages.length === 0) return profile.rate;
  return interpolate(profile.stages, elapsedMs, profile.rate, (s, previous) => s.rate ?? previous);
}

/** Requests/s the profile asks for, averaged over the run (stages included). */
export function plannedRequestRate(opts: RunOptions): number {
  const { profile, durationMs } = opts;
  if (profile.arrivalRate !== undefined) {
    const perFlow = requestsPerFlow(profile.flow ?? []);
    if (!Number.isFinite(durationMs) || durationMs <= 0) return profile.arrivalRate * perFlow;
    return ((arrivalsBy(profile, durationMs) - 1) / (durationMs / 1000)) * perFlow;
  }
  if (profile.stages.length === 0) return profile.clients * profile.rate;
  const steps = 1000;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const t = ((i + 0.5) / steps) * durationMs;
    sum += plannedClients(profile, t) * plannedRate(profile, t);
  }
  return sum / steps;
}
