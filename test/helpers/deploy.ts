/**
 * Helpers for the deployment tests (test/deploy.test.ts, test/deploy-rehearsal.test.ts): the files
 * under deploy/ and the Dockerfile read as their tools read them, a small PromQL reader that finds
 * metric names, labels and aggregation mistakes, promtool, and real processes (mcpload replicas and
 * a Prometheus started from a config object), each stopped by PID and bounded in time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startPrometheusWithConfig, type RunningPrometheus } from './prometheus.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const at = (p: string) => join(ROOT, p);
export const FILES = {
  dockerfile: at('Dockerfile'),
  dockerignore: at('.dockerignore'),
  stack: at('deploy/swarm/stack.yml'),
  prometheusConfig: at('deploy/prometheus/prometheus.yml'),
  alerts: at('deploy/prometheus/alerts.yml'),
  alertsTest: at('deploy/prometheus/alerts.test.yml'),
  dashboard: at('deploy/grafana/dashboards/mcpload.json'),
  datasources: at('deploy/grafana/provisioning/datasources/mcpload.yml'),
  dashboardProviders: at('deploy/grafana/provisioning/dashboards/mcpload.yml'),
  healthcheck: at('deploy/docker/healthcheck.mjs'),
  bin: at('dist/bin.js'),
};

/** Parsed YAML or JSON, read loosely: the tests check its shape. */

export type Doc = any;

/** YAML as Docker reads a stack file: `<<` merge keys resolved. */
export function readYaml(path: string): Doc {
  return parseYaml(readFileSync(path, 'utf8'), { merge: true });
}

/** Go durations as Compose writes them (`30s`, `1m30s`, `500ms`), in ms. */
export function durationMs(text: string): number {
  const parts = [...String(text).matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== String(text)) throw new Error(`not a duration: ${text}`);
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

/** Run promtool; fails (never skips) without it, saying how to get it. */
export function promtool(args: string[], cwd = ROOT): { status: number | null; output: string } {
  const bin = process.env.PROMTOOL_BIN ?? 'promtool';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `"${bin}" not found or not working: install Prometheus (Debian: apt-get install prometheus, which brings promtool; .ci/run does) or set PROMTOOL_BIN`,
    );
  }
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// ---------------------------------------------------------------------------------------------
// PromQL, read just enough to check names, labels and aggregation.

export interface Matcher {
  label: string;
  op: string;
  value: string;
}
export interface Selector {
  name: string;
  matchers: Matcher[];
  aggregated: boolean;
}
export interface PromqlFacts {
  selectors: Selector[];
  groupingLabels: string[];
  problems: string[];
}

const AGGREGATORS = new Set(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values']);
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([...LABEL_LISTS, 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
const TOKEN =
  /\s+|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([a-zA-Z_:][a-zA-Z0-9_:]*)|(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|(=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}[\]@])|(\S)/gy;

function tokenize(expr: string): { kind: 'str' | 'id' | 'num' | 'op'; v: string }[] {
  const out: { kind: 'str' | 'id' | 'num' | 'op'; v: string }[] = [];
  for (const m of expr.matchAll(TOKEN)) {
    if (m[1]) out.push({ kind: 'str', v: m[1].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[2]) out.push({ kind: 'id', v: m[2] });
    else if (m[3]) out.push({ kind: 'num', v: m[3] });
    else if (m[4]) out.push({ kind: 'op', v: m[4] });
    else if (m[5]) throw new Error(`PromQL: unexpected "${m[5]}" in ${expr}`);
  }
  return out;
}

/**
 * Metric selectors (with their label matchers, and whether an aggregation encloses them), labels
 * named in by/without/on lists, and aggregation problems across replicas: a selector outside any
 * aggregation, a division inside one (a sum of ratios), histogram_quantile of anything but
 * `sum by (..., le) (...)`. Names with a colon (recording rules) are already aggregated.
 */
export function analyzePromql(expr: string): PromqlFacts {
  const t = tokenize(expr);
  const facts: PromqlFacts = { selectors: [], groupingLabels: [], problems: [] };
  const frames: { kind: 'agg' | 'labels' | 'call' | 'group'; aggList?: boolean }[] = [];
  let closedAggList = false;
  for (let i = 0; i < t.length; i++) {
    const { kind, v } = t[i];
    const prev = t[i - 1];
    if (kind === 'op' && v === '(') {
      const f: (typeof frames)[number] =
        prev?.kind === 'id' && AGGREGATORS.has(prev.v)
          ? { kind: 'agg' }
          : prev?.kind === 'id' && LABEL_LISTS.has(prev.v)
            ? { kind: 'labels', aggList: t[i - 2]?.kind === 'id' && AGGREGATORS.has(t[i - 2].v) }
            : prev?.v === ')' && closedAggList
              ? { kind: 'agg' }
              : prev?.kind === 'id'
                ? { kind: 'call' }
                : { kind: 'group' };
      frames.push(f);
      closedAggList = false;
    } else if (kind === 'op' && v === ')') {
      closedAggList = frames.pop()?.aggList === true;
      continue;
    } else if (kind === 'op' && v === '[') {
      while (i < t.length && t[i].v !== ']') i++;
    } else if (kind === 'op' && v === '/' && frames.some((f) => f.kind === 'agg')) {
      facts.problems.push(`a division inside an aggregation (a sum of ratios?): ${expr}`);
    } else if (kind === 'id' && frames.at(-1)?.kind === 'labels') {
      facts.groupingLabels.push(v);
    } else if (kind === 'id' && v === 'histogram_quantile') {
      let j = i + 2;
      for (let depth = 0; j < t.length && !(depth === 0 && t[j].v === ','); j++) depth += t[j].v === '(' ? 1 : t[j].v === ')' ? -1 : 0;
      const labels: string[] = [];
      for (let k = j + 4; k < t.length && t[k].v !== ')'; k++) if (t[k].kind === 'id') labels.push(t[k].v);
      if (t[j + 1]?.v !== 'sum' || t[j + 2]?.v !== 'by' || !labels.includes('le')) {
        facts.problems.push(`histogram_quantile must take sum by (..., le) (...): ${expr}`);
      }
    } else if (kind === 'id' && !KEYWORDS.has(v) && t[i + 1]?.v !== '(' && !(AGGREGATORS.has(v) && LABEL_LISTS.has(t[i + 1]?.v))) {
      const sel: Selector = { name: v, matchers: [], aggregated: v.includes(':') || frames.some((f) => f.kind === 'agg') };
      if (t[i + 1]?.v === '{') {
        for (i += 2; i < t.length && t[i].v !== '}'; i++) {
          if (t[i].kind === 'id') {
            sel.matchers.push({ label: t[i].v, op: t[i + 1].v, value: t[i + 2].v });
            i += 2;
          }
        }
      }
      facts.selectors.push(sel);
    }
    closedAggList = false;
  }
  return facts;
}

/** Grafana's variables with values a test Prometheus understands (all profiles, a 10 s window). */
export function grafanaToPromql(expr: string, rateInterval = '10s'): string {
  return expr
    .replace(/\$(?:__rate_interval|\{__rate_interval\})/g, rateInterval)
    .replace(/\$(?:__interval|\{__interval\})/g, '1s')
    .replace(/\$\{?\w+\}?/g, '.*');
}

export interface Query {
  where: string;
  expr: string;
}

/** Every PromQL of a dashboard: panel targets and template variable queries (label_values(m, l) → m). */
export function dashboardQueries(dash: Doc): Query[] {
  const out: Query[] = [];
  const walk = (panels: Doc[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const lv = /^label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)$/.exec(q ?? '');
    if (lv) out.push({ where: `variable $${v.name}`, expr: `count by (${lv[2]}) (${lv[1]})` });
  }
  return out;
}

export function ruleQueries(rules: Doc): (Query & { record?: string; alert?: string })[] {
  return rules.groups.flatMap((g: Doc) => g.rules.map((r: Doc) => ({ where: `rule ${r.record ?? r.alert}`, expr: r.expr, record: r.record, alert: r.alert })));
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore.

export interface Instruction {
  cmd: string;
  args: string;
  stage: number;
}

export function dockerfileInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let buf = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    buf += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line)) continue;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(buf);
    buf = '';
    if (!m) continue;
    const cmd = m[1].toUpperCase();
    if (cmd === 'FROM') stage++;
    out.push({ cmd, args: m[2].trim(), stage });
  }
  return out;
}

/** Whether a path is in the build context under these .dockerignore lines (the last match wins). */
export function dockerignoreIncludes(lines: string[], path: string): boolean {
  let included = true;
  for (const raw of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const negate = raw.startsWith('!');
    const pattern = raw.replace(/^!/, '').replace(/^\/+|\/+$/g, '');
    // NUL stands in for '**' while single stars are rewritten: no path holds one.
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .split('**')
        .join('\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .split('\u0000')
        .join('.*')}(/.*)?$`,
    );
    if (re.test(path)) included = negate;
  }
  return included;
}

// ---------------------------------------------------------------------------------------------
// Real processes.

export interface Replica {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** SIGTERM by PID (as Swarm stops a task), SIGKILL after graceMs. Idempotent. */
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** `node dist/bin.js ARGS` with only PATH, HOME and `env` in its environment. */
export function spawnMcpload(args: string[], env: Record<string, string> = {}): Replica {
  const child = spawn(process.execPath, [FILES.bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
  // 'close' comes after the process exited and its stderr was read to the end.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) =>
    child.once('close', (code, signal) => done({ code, signal, stderr })),
  );
  let stopping: ReturnType<Replica['stop']> | undefined;
  return {
    pid: child.pid as number,
    exited,
    stop: (graceMs) =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid as number, 'SIGTERM');
          const killer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid as number, 'SIGKILL'), graceMs);
          const r = await exited;
          clearTimeout(killer);
          return r;
        }
        return exited;
      })()),
  };
}

/**
 * The stack's own Prometheus config for loopback: DNS discovery of `tasks.<service>` replaced by
 * static targets labelled with their service (what the stack's relabelling derives from the DNS
 * name), localhost:9090 by the test Prometheus, rule files by absolute paths, intervals shortened.
 */
export function rehearsalPrometheusConfig(opts: { promAddress: string; targets: { address: string; service: string }[]; intervalS: number }): Doc {
  const cfg = readYaml(FILES.prometheusConfig);
  const s = `${opts.intervalS}s`;
  cfg.global = { ...cfg.global, scrape_interval: s, scrape_timeout: s, evaluation_interval: s };
  cfg.rule_files = cfg.rule_files.map((f: string) => resolve(dirname(FILES.prometheusConfig), f));
  for (const job of cfg.scrape_configs) {
    if (job.dns_sd_configs) {
      const names = new Set(job.dns_sd_configs.flatMap((d: Doc) => d.names));
      for (const t of opts.targets) if (!names.has(`tasks.${t.service}`)) throw new Error(`job ${job.job_name} does not discover tasks.${t.service}`);
      delete job.dns_sd_configs;
      job.static_configs = opts.targets.map((t) => ({ targets: [t.address], labels: { service: t.service } }));
    }
    for (const sc of job.static_configs ?? []) sc.targets = sc.targets.map((a: string) => (a === 'localhost:9090' ? opts.promAddress : a));
  }
  return cfg;
}

/** A real Prometheus (the Debian binary) on loopback with this config; stop() by PID, SIGKILL after 5 s. */
export function startPrometheusWith(config: Doc, port: number): Promise<RunningPrometheus> {
  return startPrometheusWithConfig(stringifyYaml(config), port);
}
