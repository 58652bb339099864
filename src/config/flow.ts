/**
 * A profile's `flow:` (its raw steps, as the schema admits them) checked and normalized into
 * FlowSteps: each step is exactly one of a request (`method:`), `think:`, `repeat:`, `parallel:` or
 * `end`, times in ms, every request step named uniquely for the report.
 */
import type { FlowStep, RequestSpec, ThinkTime } from '../shared/types.js';
import { show } from './profile-messages.js';
import { parseDuration } from './units.js';

/** A request as a mix entry or a flow step writes it (without its weight). */
export interface RawRequest {
  method: string;
  custom?: boolean;
  params?: Record<string, unknown>;
  data?: string;
  discover?: true | 'fallback';
  progress?: boolean;
  cancelAfter?: number | string;
}

type RawDuration = number | string;
export type RawThink = RawDuration | { min?: RawDuration; max?: RawDuration; mean?: RawDuration; [percentile: string]: RawDuration | undefined };
export type RawStep = 'end' | (Partial<RawRequest> & { name?: string; think?: RawThink; repeat?: number; parallel?: number; steps?: RawStep[]; end?: true });

const KINDS = ['method', 'think', 'repeat', 'parallel', 'end'] as const;
const PERCENTILE = /^p(\d+(?:\.\d+)?)$/;

/**
 * `request(raw, field)` checks a request step the way a mix entry is checked (profile.ts);
 * `fail(field, problem)` throws the one line.
 */
export function flowSteps(
  raw: RawStep[],
  request: (raw: RawRequest, field: string) => RequestSpec,
  fail: (field: string, problem: string) => never,
): FlowStep[] {
  const names = new Set<string>();
  const walk = (list: RawStep[], at: string, label: string): FlowStep[] =>
    list.map((step, i): FlowStep => {
      const field = `${at}[${i}]`;
      const place = label ? `${label}.${i + 1}` : String(i + 1);
      if (step === 'end') return { kind: 'end' };
      const kinds = KINDS.filter((k) => step[k] !== undefined);
      if (kinds.length !== 1) {
        fail(
          field,
          kinds.length === 0
            ? 'a step is one of: method (a request), think, repeat, parallel, end'
            : `a step is one thing, a request, think, repeat, parallel or end (got ${kinds.join(' and ')})`,
        );
      }
      const kind = kinds[0];
      const nested = kind === 'repeat' || kind === 'parallel';
      if (step.steps !== undefined && !nested) fail(`${field}.steps`, 'only repeat and parallel steps hold steps');
      if (step.name !== undefined && kind !== 'method') fail(`${field}.name`, 'only a request step has a name');
      if (kind !== 'method') {
        const extra = (['params', 'custom', 'data', 'discover', 'progress', 'cancelAfter'] as const).find((k) => step[k] !== undefined);
        if (extra) fail(`${field}.${extra}`, `belongs to a request step (one with method:), not to ${kind}`);
      }
      switch (kind) {
        case 'method': {
          // A `discover` step is resolved at run start (src/discover/) into the targets it picks from.
          const spec = request(step as RawRequest, field);
          const key = step.name ?? `${place} ${spec.method}`;
          if (names.has(key)) fail(`${field}.name`, `${JSON.stringify(key)} names another step already: give each step its own name`);
          names.add(key);
          return { kind: 'request', key, ...spec };
        }
        case 'think':
          return { kind: 'think', think: thinkTime(step.think!, `${field}.think`, fail) };
        case 'end':
          return { kind: 'end' };
        default: {
          if (step.steps === undefined || step.steps.length === 0) fail(`${field}.steps`, `${kind} needs the steps it runs, e.g. steps: [{method: ping}]`);
          return { kind, count: step[kind]!, steps: walk(step.steps, `${field}.steps`, place) };
        }
      }
    });
  return walk(raw, 'flow', '');
}

function thinkTime(raw: RawThink, field: string, fail: (field: string, problem: string) => never): ThinkTime {
  const ms = (v: RawDuration, at: string): number => {
    const d = parseDuration(v);
    if (d === undefined) fail(at, `must be a duration like 250ms, 2s (got ${show(v)})`);
    return d;
  };
  if (typeof raw !== 'object') return { kind: 'fixed', ms: ms(raw, field) };
  const keys = Object.keys(raw);
  if (raw.min !== undefined || raw.max !== undefined) {
    if (raw.min === undefined || raw.max === undefined || keys.length !== 2) fail(field, 'a uniform think time is {min, max}, both durations');
    const minMs = ms(raw.min, `${field}.min`);
    const maxMs = ms(raw.max, `${field}.max`);
    if (maxMs < minMs) fail(`${field}.max`, `must be >= ${field}.min (got ${show(raw.max)})`);
    return { kind: 'uniform', minMs, maxMs };
  }
  if (raw.mean !== undefined) {
    if (keys.length !== 1) fail(field, 'an exponential think time is {mean} alone');
    return { kind: 'exponential', meanMs: ms(raw.mean, `${field}.mean`) };
  }
  const points = keys.map((k) => {
    const m = PERCENTILE.exec(k);
    const q = m ? Number(m[1]) / 100 : NaN;
    if (!(q > 0 && q <= 1)) fail(`${field}.${k}`, 'a think time is a duration, {min, max}, {mean}, or percentiles like {p50: 1s, p90: 3s, p99: 8s}');
    return { q, ms: ms(raw[k]!, `${field}.${k}`) };
  });
  if (points.length === 0) fail(field, 'give a duration, {min, max}, {mean}, or percentiles like {p50: 1s, p90: 3s}');
  points.sort((a, b) => a.q - b.q);
  for (let i = 1; i < points.length; i++) {
    if (points[i].ms < points[i - 1].ms) fail(field, `percentiles must not go down: p${points[i].q * 100} is shorter than p${points[i - 1].q * 100}`);
  }
  return { kind: 'percentiles', points };
}
