/**
 * A plan file (YAML or JSON, schema/plan.schema.json): named phases, each a profile (built-in, file or
 * inline) with run-option overrides, its own stages and thresholds, in sequence (`pause`) or side by side
 * (`startTime`). Everything is checked here, before any thread starts: bad input is one line naming the
 * file and the phase.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import { resolveRunOptions } from '../config/options.js';
import type { RawRunOptions } from '../config/option-table.js';
import { BUILTIN_PROFILES, loadProfile, validateProfile } from '../config/profile.js';
import { describeSchemaError, pickError } from '../config/profile-messages.js';
import { parseThresholds, type Threshold } from '../config/thresholds.js';
import type { RunOptions } from '../config/types.js';
import { parseDuration } from '../config/units.js';
import { UsageError, describe } from '../shared/errors.js';
import type { Profile } from '../shared/types.js';
import type { Shard } from '../config/shard.js';

const Ajv = AjvModule.default;

export interface PlanPhase {
  name: string;
  /** The phase's run, resolved; its thresholds are evaluated by the plan (after the failover figures are in). */
  opts: RunOptions;
  thresholds: Threshold[];
  /** In sequence: wait this long after the previous phase ended. */
  pauseMs: number;
  /** Side by side: start this long after the previous phase started. */
  startTimeMs?: number;
  /** A failover window. */
  expectReconnects: boolean;
  /** Restart the built-in target this far into the phase. */
  restartTargetMs?: number;
}

export interface Plan {
  name: string;
  description?: string;
  source: string;
  phases: PlanPhase[];
  thresholds: Threshold[];
  preflight: boolean;
  /** Processes of the built-in target, when a phase uses it. */
  targetProcesses: number;
  /** --shard: every phase runs this share (config/shard.ts shardProfile, per phase). */
  shard?: Shard;
}

/** What `mcpload plan` takes from its command line: these win over the file, for every phase. */
export interface PlanOverrides {
  url?: string[];
  workers?: number;
  processes?: number;
  localAddress?: string[];
  localPorts?: string;
  header?: string[];
  protocolVersion?: string;
  /** Sessions: every phase's clients (stages included) times this, at least 1 (default 1). */
  scale?: number;
  /** Time: every duration, pause, startTime and restart offset times this (default 1). */
  timeScale?: number;
  /** --shard i/n: each phase runs share i of n of its load (clients, stages, arrivals, connect rate). */
  shard?: Shard;
}

/** The run options a phase may set (the rest belong to the plan's command line). */
const PHASE_RUN_KEYS = [
  'clients',
  'rate',
  'model',
  'concurrency',
  'duration',
  'connectRate',
  'timeout',
  'drainTimeout',
  'url',
  'transport',
  'header',
  'protocolVersion',
  'workers',
  'processes',
  'localAddress',
  'subprotocol',
  'frameTerminator',
  'httpGetStream',
  'spin',
] as const satisfies readonly (keyof RawRunOptions)[];

interface RawStage {
  duration: number | string;
  clients: number;
  rate?: number;
}

type RawPhase = { [K in (typeof PHASE_RUN_KEYS)[number]]?: unknown } & {
  name: string;
  description?: string;
  profile?: string | Record<string, unknown>;
  pause?: number | string;
  startTime?: number | string;
  expect?: 'reconnects';
  restartTarget?: number | string;
  thresholds?: string[];
  stages?: RawStage[];
};

interface RawPlan {
  name: string;
  description?: string;
  url?: string | string[];
  target?: { processes?: number };
  preflight?: boolean;
  thresholds?: string[];
  phases: RawPhase[];
}

export function planSchemaPath(): string {
  return fileURLToPath(new URL('../../schema/plan.schema.json', import.meta.url));
}

let validator: ValidateFunction | undefined;
function schema(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(
    JSON.parse(readFileSync(planSchemaPath(), 'utf8')) as object,
  );
  return validator;
}

/** Does this parsed document look like a plan rather than a profile (`mcpload validate` takes both)? */
export function looksLikePlan(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && Array.isArray((raw as { phases?: unknown }).phases);
}

/** Read and parse a YAML or JSON file; one line for a missing file or a syntax error. */
export function readDocument(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read plan file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : describe(err)}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    throw new UsageError(
      `${path}: not valid YAML${line ? ` at line ${line}` : ''}: ${first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return doc.toJS();
}

export function loadPlan(path: string, overrides: PlanOverrides = {}): Plan {
  return parsePlan(readDocument(path), path, overrides);
}

/** A parsed document -> a Plan with every phase's run options resolved; UsageError naming the file and phase. */
export function parsePlan(raw: unknown, source: string, o: PlanOverrides = {}): Plan {
  const validate = schema();
  if (!validate(raw)) {
    const e = pickError(validate.errors ?? []);
    const line = describeSchemaError(e, raw).replace(
      'the profile must be a mapping of fields (name, clients, rate, mix, ...)',
      'the plan must be a mapping (name, phases, ...)',
    );
    throw new UsageError(`${source}: ${line}`);
  }
  const p = raw as RawPlan;
  const scale = factor('--scale', o.scale);
  const timeScale = factor('--time-scale', o.timeScale);
  const seen = new Set<string>();
  const phases = p.phases.map((ph, i): PlanPhase => {
    const where = `${source}: phases[${i}] (${ph.name})`;
    if (seen.has(ph.name)) throw new UsageError(`${where}: the name is used twice; every phase needs its own name`);
    seen.add(ph.name);
    try {
      return phaseOf(ph, p, dirname(source), o, scale, timeScale);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${where}: ${err.message}`);
      throw err;
    }
  });
  const thresholds = withPlace(`${source}: thresholds`, () => parseThresholds(p.thresholds));
  return {
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
    source,
    phases,
    thresholds,
    preflight: p.preflight ?? true,
    targetProcesses: targetProcesses(p, scale),
    ...(o.shard ? { shard: o.shard } : {}),
  };
}

function withPlace<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
}

function factor(flag: string, v: number | undefined): number {
  if (v === undefined) return 1;
  if (!(v > 0) || !Number.isFinite(v)) throw new UsageError(`${flag}: must be a number above 0, e.g. 0.1 for a tenth (got ${v})`);
  return v;
}

/** The built-in target's processes scale with the sessions (a tenth of the sessions, a tenth of the processes), at least 1. */
function targetProcesses(p: RawPlan, scale: number): number {
  return Math.max(1, Math.round((p.target?.processes ?? 1) * Math.min(1, scale)));
}

/** A phase or stage shorter than this measures nothing: --time-scale shortens them this far at most. */
export const MIN_SCALED_MS = 2000;
const timed = (durationMs: number, timeScale: number) => (timeScale === 1 ? durationMs : Math.max(Math.min(durationMs, MIN_SCALED_MS), durationMs * timeScale));

const ms = (v: number | string): number => parseDuration(v) as number;
const scaled = (n: number, f: number) => (n === 0 ? 0 : Math.max(1, Math.round(n * f)));

function phaseOf(ph: RawPhase, plan: RawPlan, dir: string, o: PlanOverrides, scale: number, timeScale: number): PlanPhase {
  const profile = scaleProfile(phaseProfile(ph, dir), scale, timeScale);
  if (ph.pause !== undefined && ph.startTime !== undefined)
    throw new UsageError('pause and startTime: give one (pause: in sequence, after the previous phase ended; startTime: side by side, after it started)');
  if (ph.restartTarget !== undefined && ph.expect !== 'reconnects') throw new UsageError('restartTarget: is for a failover window; add expect: reconnects');
  const given: Record<string, unknown> = {};
  for (const key of PHASE_RUN_KEYS) if (ph[key] !== undefined) given[key] = ph[key];
  const raw: RawRunOptions = {
    ...(given as RawRunOptions),
    url: o.url ?? asList(ph.url) ?? asList(plan.url),
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.processes !== undefined ? { processes: o.processes } : {}),
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    ...(o.localPorts ? { localPorts: o.localPorts } : {}),
    ...(o.header ? { header: [...(asList(ph.header) ?? []), ...o.header] } : {}),
    ...(o.protocolVersion ? { protocolVersion: o.protocolVersion } : {}),
    ...(ph.clients !== undefined ? { clients: scaled(ph.clients as number, scale) } : {}),
    ...(ph.duration !== undefined ? { duration: `${timed(ms(ph.duration as string), timeScale)}ms` } : {}),
    ...(ph.timeout !== undefined ? { timeout: `${ms(ph.timeout as string)}ms` } : {}),
    ...(ph.drainTimeout !== undefined ? { drainTimeout: `${ms(ph.drainTimeout as string)}ms` } : {}),
    // Each phase is quiet and serves no metrics of its own: the plan prints progress and serves /metrics with a phase label.
    metricsPort: 0,
    quiet: true,
    // A shard splits each phase as `mcpload --shard` splits a profile (the phase's own line if it leaves this shard no client).
    ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}`, linger: '0s' } : {}),
  };
  // The ramp (clients / connectRate) keeps its share of the phase: fewer sessions, and less time for them.
  if (raw.connectRate !== undefined) raw.connectRate = (raw.connectRate * scale) / timeScale;
  // The built-in target in processes of its own leaves this process's open files to the engines: check capacity that way.
  const builtin = raw.url === undefined || raw.url.length === 0;
  if (builtin && targetProcesses(plan, scale) > 1) raw.url = [raw.transport === 'http' ? 'http://127.0.0.1:9/mcp' : 'ws://127.0.0.1:9/mcp/ws'];
  const resolved = resolveRunOptions(raw, profile);
  const opts = builtin ? { ...resolved, urls: [] } : resolved;
  const thresholds = withPlace('thresholds', () => parseThresholds(ph.thresholds));
  if (!ph.expect) {
    const f = thresholds.find((t) => t.metric.kind === 'failover');
    if (f) throw new UsageError(`threshold ${JSON.stringify(f.expr)}: is measured in a failover window; add expect: reconnects to the phase`);
  }
  const restartTargetMs = ph.restartTarget !== undefined ? ms(ph.restartTarget) * timeScale : undefined;
  if (restartTargetMs !== undefined && opts.urls.length > 0)
    throw new UsageError('restartTarget: restarts the built-in target only; this phase has a url (restart your server yourself)');
  if (restartTargetMs !== undefined && restartTargetMs >= opts.durationMs)
    throw new UsageError(`restartTarget: ${ph.restartTarget} is not inside the phase (it lasts ${opts.durationMs / 1000}s)`);
  return {
    name: ph.name,
    opts: { ...opts, thresholds: [] },
    thresholds,
    pauseMs: ph.pause !== undefined ? ms(ph.pause) * timeScale : 0,
    ...(ph.startTime !== undefined ? { startTimeMs: ms(ph.startTime) * timeScale } : {}),
    expectReconnects: ph.expect === 'reconnects',
    ...(restartTargetMs !== undefined ? { restartTargetMs } : {}),
  };
}

function asList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as string[]) : [v as string];
}

/** A built-in name, a file relative to the plan, or an inline profile; then the phase's stages, if it has some. */
function phaseProfile(ph: RawPhase, dir: string): Profile {
  const spec = ph.profile ?? 'normal';
  const base =
    typeof spec === 'object'
      ? validateProfile({ name: ph.name, ...spec }, 'profile')
      : loadProfile(BUILTIN_PROFILES.includes(spec) || !/[\\/]|\.(ya?ml|json)$/i.test(spec) ? spec : resolve(dir, spec));
  if (!ph.stages) return base;
  return {
    ...base,
    stages: ph.stages.map((s, i) => {
      if (base.closed && s.rate !== undefined) throw new UsageError(`stages[${i}].rate: a closed model has no rate (drop it)`);
      return { durationMs: ms(s.duration), clients: s.clients, ...(s.rate !== undefined ? { rate: s.rate } : {}) };
    }),
  };
}

function scaleProfile(p: Profile, scale: number, timeScale: number): Profile {
  if (scale === 1 && timeScale === 1) return p;
  return {
    ...p,
    clients: scaled(p.clients, scale),
    stages: p.stages.map((s) => ({ ...s, clients: scaled(s.clients, scale), durationMs: timed(s.durationMs, timeScale) })),
  };
}

/** The shipped plans' folder. */
export function plansDir(): string {
  return join(fileURLToPath(new URL('../..', import.meta.url)), 'plans');
}
