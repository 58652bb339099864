/**
 * `mcpload plan FILE`: load and check the plan (bad input: one line, exit 2), serve /metrics with a
 * phase label, print a line as each phase starts and ends and a progress line per running phase, then
 * the plan's text report; the exit code is the plan's verdict.
 */
import type { OptionTable, ParsedOptions } from '../config/option-table.js';
import { checkOutputs, describeOutput } from '../config/outputs.js';
import { DEFAULT_METRICS_HOST } from '../config/defaults.js';
import { parseDuration } from '../config/units.js';
import { progressLine } from '../main/progress.js';
import { UsageError } from '../shared/errors.js';
import type { StopSignal } from '../index.js';
import { loadPlan } from './file.js';
import { PlanMetrics, servePlanMetrics } from './metrics.js';
import { startPlan } from './runner.js';
import { describeFailover, renderPlanReport } from './text.js';

export const PLAN_OPTIONS = {
  scale: { type: 'number', describe: "sessions: every phase's clients (and stages) times this, e.g. 0.01 on a laptop (default 1)" },
  timeScale: { type: 'number', describe: 'time: every duration, pause and start offset times this, e.g. 0.05 for a quick rehearsal (default 1)' },
  url: { alias: 'u', type: 'string', array: true, describe: 'target URL for every phase (wins over the file); none in either = the built-in target' },
  workers: { alias: 'w', type: 'number', describe: 'engine threads per process, per phase' },
  processes: { type: 'number', describe: 'engine processes per phase (open-files limit)' },
  localAddress: { type: 'string', array: true, describe: 'source addresses, repeatable, ranges like 127.0.0.2-127.0.0.9' },
  localPorts: { type: 'string', describe: 'source ports on each --local-address (default 10000-65535)' },
  header: { alias: 'H', type: 'string', array: true, describe: "extra header for every phase, repeatable: 'Authorization: Bearer TOKEN'" },
  protocolVersion: { type: 'string', describe: 'MCP revision every phase speaks' },
  report: { type: 'string', describe: "write the plan's JSON report (the total, every phase inside) to this file" },
  html: { type: 'string', describe: "write the plan's HTML report to this file" },
  metricsPort: { type: 'number', default: 0, describe: '/metrics with a phase label on this port (0 = off)' },
  metricsHost: { type: 'string', default: DEFAULT_METRICS_HOST, describe: 'address the metrics endpoint listens on' },
  progressInterval: { type: 'string', default: '5s', describe: 'time between progress lines (one per running phase)' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines' },
} as const satisfies OptionTable;

export type PlanArgs = ParsedOptions<typeof PLAN_OPTIONS>;

const list = (v: readonly string[] | undefined) => v?.flatMap((x) => x.split(',')).filter(Boolean);

export async function planCommand(file: string, a: PlanArgs, out: (text: string) => void, err: (line: string) => void): Promise<number> {
  checkOutputs({ reportPath: a.report, htmlPath: a.html });
  const progressMs = parseDuration(a.progressInterval ?? '5s');
  if (progressMs === undefined) throw new UsageError(`--progress-interval: "${a.progressInterval}" is not a duration; write it like 5s`);
  const metricsPort = a.metricsPort ?? 0;
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
    throw new UsageError(`--metrics-port: must be a port number, or 0 for none (got ${metricsPort})`);
  const plan = loadPlan(file, {
    url: list(a.url),
    workers: a.workers,
    processes: a.processes,
    localAddress: list(a.localAddress),
    localPorts: a.localPorts,
    header: a.header,
    protocolVersion: a.protocolVersion,
    scale: a.scale,
    timeScale: a.timeScale,
  });
  const run = startPlan(plan, { reportPath: a.report, htmlPath: a.html });
  const metrics = metricsPort
    ? await servePlanMetrics(new PlanMetrics(plan, () => run.aggregates()), a.metricsHost ?? DEFAULT_METRICS_HOST, metricsPort)
    : undefined;
  if (metrics) err(`mcpload plan: metrics on ${metrics.url} (label phase)`);
  run.on('target', (url) => err(`mcpload plan: no url given, so it started the built-in target at ${url}`));
  run.on('preflight', (line) => err(`mcpload plan: ${line}`));
  run.on('note', (m) => err(`mcpload plan: ${m}`));
  run.on('phaseStart', (p) => {
    const load = p.opts.profile.closed ? `${p.opts.profile.closed.concurrency} in flight` : `${p.opts.profile.rate}/s`;
    err(`mcpload plan: phase ${p.name} started (${p.opts.profile.name}: ${p.opts.profile.clients} clients × ${load}, ${p.opts.durationMs / 1000}s)`);
  });
  run.on('phaseEnd', (p) => {
    const r = p.report;
    const fo = r.failover ? `, failover: ${describeFailover(r.failover)}` : '';
    err(`mcpload plan: phase ${p.name} ended: ${p.passed ? 'pass' : 'FAIL'} (sent ${r.requests.sent}, ok ${r.requests.ok}, failed ${r.requests.failed}${fo})`);
  });
  const lastLine = new Map<string, number>();
  if (!a.quiet)
    run.on('snapshot', (phase, agg) => {
      const now = Date.now();
      if (now - (lastLine.get(phase) ?? 0) < progressMs) return;
      lastLine.set(phase, now);
      err(`[${phase}] ${progressLine(agg, now)}`);
    });
  let signals = 0;
  const onSignal = (signal: StopSignal) => run.stop(signal, ++signals === 1 ? undefined : 0);
  const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, () => onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const { report, exitCode, outputs } = await run.result;
    out(renderPlanReport(report));
    for (const o of outputs) err(describeOutput(o));
    return exitCode;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    await metrics?.close();
  }
}
