/**
 * What a profile's flow (shared/types.ts FlowStep) holds, read the same way by the engines, the main
 * thread and reports: its request steps in tree order (each step once, however often it runs), how many
 * requests one run of it makes, and the think times' means.
 */
import type { FlowStep, Profile, RequestSpec, ThinkTime } from './types.js';

export type RequestStep = Extract<FlowStep, { kind: 'request' }>;

/** The flow's request steps, depth first in the order written (the engines' step indices). */
export function flowRequests(steps: readonly FlowStep[] | undefined): RequestStep[] {
  const out: RequestStep[] = [];
  const walk = (list: readonly FlowStep[]): void => {
    for (const s of list) {
      if (s.kind === 'request') out.push(s);
      else if (s.kind === 'repeat' || s.kind === 'parallel') walk(s.steps);
    }
  };
  walk(steps ?? []);
  return out;
}

/**
 * Every request the profile describes: its mix entries, then its flow's request steps, each followed
 * by the other targets it picks from (`also`): the engines' entries, in this order.
 */
export function profileRequests(profile: Pick<Profile, 'mix' | 'flow'>): RequestSpec[] {
  const out: RequestSpec[] = [...profile.mix];
  for (const st of flowRequests(profile.flow)) {
    const { kind: _k, key: _key, also, ...spec } = st;
    out.push(spec, ...(also ?? []));
  }
  return out;
}

/** Requests one run of `steps` sends (repeats and parallel copies multiplied; nothing after an `end`). */
export function requestsPerFlow(steps: readonly FlowStep[]): number {
  let n = 0;
  for (const s of steps) {
    if (s.kind === 'end') break;
    if (s.kind === 'request') n++;
    else if (s.kind === 'repeat' || s.kind === 'parallel') n += s.count * requestsPerFlow(s.steps);
  }
  return n;
}

/** The mean think time of one run of `steps`, ms (parallel copies think side by side: counted once). */
export function thinkPerFlowMs(steps: readonly FlowStep[]): number {
  let ms = 0;
  for (const s of steps) {
    if (s.kind === 'end') break;
    if (s.kind === 'think') ms += thinkMeanMs(s.think);
    else if (s.kind === 'repeat') ms += s.count * thinkPerFlowMs(s.steps);
    else if (s.kind === 'parallel') ms += thinkPerFlowMs(s.steps);
  }
  return ms;
}

export function thinkMeanMs(t: ThinkTime): number {
  switch (t.kind) {
    case 'fixed':
      return t.ms;
    case 'uniform':
      return (t.minMs + t.maxMs) / 2;
    case 'exponential':
      return t.meanMs;
    case 'percentiles': {
      // Piecewise linear from (0, 0 ms) through the points, the last one's duration above it.
      let mean = 0;
      let q0 = 0;
      let ms0 = 0;
      for (const p of t.points) {
        mean += ((p.q - q0) * (ms0 + p.ms)) / 2;
        q0 = p.q;
        ms0 = p.ms;
      }
      return mean + (1 - q0) * ms0;
    }
  }
}

/** One think time drawn from `t`; `u` uniform in [0, 1). */
export function drawThinkMs(t: ThinkTime, u: number): number {
  switch (t.kind) {
    case 'fixed':
      return t.ms;
    case 'uniform':
      return t.minMs + u * (t.maxMs - t.minMs);
    case 'exponential':
      return -t.meanMs * Math.log(1 - u);
    case 'percentiles': {
      let q0 = 0;
      let ms0 = 0;
      for (const p of t.points) {
        if (u < p.q) return ms0 + ((u - q0) / (p.q - q0)) * (p.ms - ms0);
        q0 = p.q;
        ms0 = p.ms;
      }
      return ms0;
    }
  }
}
