/**
 * `mcpload plan FILE`: load and check the plan (bad input: one line, exit 2), serve /metrics with a
 * phase label, print a line as each phase starts and ends and a progress line per running phase, then
 * the plan's text report; the exit code is the plan's verdict.
 */
import { checkOutputs, describeOutput } from '../config/outputs.js';
import { parseDuration } from '../config/units.js';
import { parseShard, parseStartAt } from '../config/shard.js';
import { DEFAULT_METRICS_HOST, DEFAULT_SHARD_LINGER_MS } from '../config/defaults.js';
import { plainLine, progressFigures } from '../main/progress.js';
import type { RunOptions } from '../config/types.js';
import { UsageError } from '../shared/errors.js';
import type { StopSignal } from '../index.js';
import { loadPlan } from './file.js';
import { PlanMetrics, servePlanMetrics } from './metrics.js';
import { startPlan } from './runner.js';
import { describeFailover, renderPlanReport } from '../report/plan-text.js';
import type { PlanArgs } from './options.js';

export { PLAN_OPTIONS, type PlanArgs } from './options.js';

const list = (v: readonly string[] | undefined) => v?.flatMap((x) => x.split(',')).filter(Boolean);

export async function planCommand(file: string, a: PlanArgs, out: (text: string) => void, err: (line: string) => void): Promise<number> {
  checkOutputs({ reportPath: a.report, htmlPath: a.html });
  const progressMs = parseDuration(a.progressInterval ?? '5s');
  if (progressMs === undefined) throw new UsageError(`--progress-interval: "${a.progressInterval}" is not a duration; write it like 5s`);
  const metricsPort = a.metricsPort ?? 0;
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
    throw new UsageError(`--metrics-port: must be a port number, or 0 for none (got ${metricsPort})`);
  const shard = parseShard(a.shard, a.shards);
  const startAtMs = parseStartAt(a.startAt);
  const lingerRaw = a.linger === undefined ? undefined : parseDuration(/^\d+(\.\d+)?$/.test(a.linger) ? Number(a.linger) : a.linger);
  if (a.linger !== undefined && lingerRaw === undefined)
    throw new UsageError(`--linger: "${a.linger}" is not a duration; write it like 30s (a bare number is seconds)`);
  const lingerMs = lingerRaw ?? (shard ? DEFAULT_SHARD_LINGER_MS : 0);
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
    ...(shard ? { shard } : {}),
  });
  const run = startPlan(plan, { reportPath: a.report, htmlPath: a.html, ...(startAtMs !== undefined ? { startAtMs } : {}) });
  const metrics = metricsPort
    ? await servePlanMetrics(new PlanMetrics(plan, () => run.aggregates()), a.metricsHost ?? DEFAULT_METRICS_HOST, metricsPort, () => run.snapshotAnswer())
    : undefined;
  if (metrics) err(`mcpload plan: metrics on ${metrics.url} (label phase; /snapshot for mcpload watch)`);
  if (shard) err(`mcpload plan: shard ${shard.index}/${shard.count}: every phase runs its share`);
  run.on('target', (url) => err(`mcpload plan: no url given, so it started the built-in target at ${url}`));
  run.on('preflight', (line) => err(`mcpload plan: ${line}`));
  run.on('note', (m) => err(`mcpload plan: ${m}`));
  const phaseOpts = new Map<string, RunOptions>();
  run.on('phaseStart', (p) => {
    phaseOpts.set(p.name, p.opts);
    const load = p.opts.profile.closed ? `${p.opts.profile.closed.concurrency} in flight` : `${p.opts.profile.rate}/s`;
    err(`mcpload plan: phase ${p.name} started (${p.opts.profile.name}: ${p.opts.profile.clients} clients × ${load}, ${p.opts.durationMs / 1000}s)`);
  });
  run.on('phaseEnd', (p) => {
    const r = p.report;
    const fo = r.failover ? `, failover: ${describeFailover(r.failover)}` : '';
    err(`mcpload plan: phase ${p.name} ended: ${p.passed ? 'pass' : 'FAIL'} (sent ${r.requests.sent}, ok ${r.requests.ok}, failed ${r.requests.failed}${fo})`);
  });
  const lastLine = new Map<string, { at: number; interval: number }>();
  if (!a.quiet)
    run.on('snapshot', (phase, agg) => {
      const now = Date.now();
      const last = lastLine.get(phase) ?? { at: 0, interval: -1 };
      const opts = phaseOpts.get(phase);
      if (now - last.at < progressMs || !opts) return;
      // The newest whole second of the phase's run, and the rate over the seconds since the phase's last line.
      const interval = Math.max(0, Math.floor((now - agg.startedAtMs) / 1000) - 1);
      lastLine.set(phase, { at: now, interval });
      err(`[${phase}] ${plainLine(progressFigures(agg, opts, interval, last.interval))}`);
    });
  let signals = 0;
  const onSignal = (signal: StopSignal) => run.stop(signal, ++signals === 1 ? undefined : 0);
  const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, () => onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const { report, exitCode, outputs } = await run.result;
    out(renderPlanReport(report));
    for (const o of outputs) err(describeOutput(o));
    if (metrics && lingerMs > 0) {
      err(`mcpload plan: finished: /snapshot stays up until a watch reads the final one, at most ${Math.round(lingerMs / 1000)} s (--linger)`);
      await run.linger(lingerMs);
    }
    return exitCode;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    await metrics?.close();
  }
}
