/**
 * Stages, k6-style: each stage ramps linearly from where the previous one ended to its own target;
 * clients ramp from the profile's clients (k6's startVUs), the rate from its rate. Without stages the
 * profile's clients and rate hold for the whole run.
 */
import type { Profile, Stage } from '../shared/types.js';
import type { RunOptions } from './types.js';

/** The most clients the run wants at any time: the profile's, or a stage's target above it. */
export function peakClients(profile: Profile): number {
  return Math.max(profile.clients, ...profile.stages.map((s) => s.clients));
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
  if (profile.stages.length === 0) return profile.clients * profile.rate;
  const steps = 1000;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const t = ((i + 0.5) / steps) * durationMs;
    sum += plannedClients(profile, t) * plannedRate(profile, t);
  }
  return sum / steps;
}
