/**
 * What each command does once yargs has parsed it (src/cli.ts declares the commands and loads this
 * module only when one runs, so `--help` and `--version` stay fast).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { resolveRunOptions } from './config/options.js';
import { RUN_OPTIONS, SERVE_OPTIONS, flagOf, parsedOptions } from './config/option-table.js';
import { DEFAULT_METRICS_PORT } from './config/defaults.js';
import { BUILTIN_PROFILES, loadProfile, profilesDir } from './config/profile.js';
import { parseDuration } from './config/units.js';
import { checkOutputs, describeOutput, writeOutput } from './config/outputs.js';
import { EXIT, UsageError, describe, headerSecrets, redactSecrets } from './shared/errors.js';
import { RunLog, createLogger } from './main/log.js';
import { Progress, planLines } from './main/progress.js';
import { NoteLog } from './main/notes.js';
import type { Aggregate } from './main/aggregate.js';
import { describeDetail } from './shared/error-details.js';
import { renderReport } from './report/text.js';
import { mergeReportFiles } from './report/merge.js';
import { renderHtml } from './report/html.js';
import { parseThresholds } from './config/thresholds.js';
import { evaluateThresholds, renderThresholds } from './report/thresholds.js';
import { start, type StopSignal } from './index.js';
import type { RunReport } from './report/types.js';
import { resolveTargetOptions, startTarget } from './reference-server/server.js';
import { startTargetCluster } from './reference-server/cluster.js';
import type { ResultTypeFault } from './reference-server/stateless.js';
import { watchCommand as watchReplicas } from './watch/command.js';
import { validatePlanFile } from './plan/validate.js';
import { flowRequests } from './shared/flow.js';

export async function runCommand(args: Record<string, unknown>): Promise<number> {
  const raw = parsedOptions(RUN_OPTIONS, args);
  const opts = resolveRunOptions(raw);
  // The command line's metrics endpoint: the default port gives way to a free one when busy; an asked-for one does not.
  if (raw.metricsPort === undefined) Object.assign(opts, { metricsPort: DEFAULT_METRICS_PORT, metricsPortFallback: true });
  // With the built-in target in this process, leave it a core.
  if (raw.workers === undefined && opts.urls.length === 0 && (opts.processes ?? 1) === 1) opts.workers = Math.max(1, availableParallelism() - 1);
  // This process is mcpload's: its engines get the cores first, unless the built-in target runs on its main thread.
  if (opts.urls.length > 0) opts.enginesFirst = true;
  const tty = process.stderr.isTTY === true;
  // On a terminal the line is redrawn every second unless an interval was asked for; piped, one line per interval.
  const progress = new Progress(process.stderr, opts, { intervalMs: raw.progressInterval === undefined && tty ? 1000 : opts.progressIntervalMs });
  // --quiet keeps the warnings and errors, not the run's info lines (unless a level was asked for).
  const log = await createLogger(raw.logLevel === undefined && opts.quiet ? 'warn' : opts.logLevel, (text) => progress.log(text));
  const say = (line: string) => progress.log(`mcpload: ${line}\n`);
  const runLog = new RunLog(log, opts);
  const run = start(opts);
  run.on('target', (url) => say(`no --url given, so it started the built-in target at ${url}`));
  run.on('metrics', (url, busyPort) => {
    say(busyPort ? `metrics on ${url} (port ${busyPort} is in use, so it took a free one; --metrics-port P asks for a port)` : `metrics on ${url}`);
  });
  if (!opts.quiet) run.on('plan', (plan) => progress.log(planLines(plan).join('\n') + '\n'));
  // Header values (Authorization: Bearer …) and URL credentials never reach the log.
  const secrets = headerSecrets(opts.headers);
  const notes = new NoteLog((line) => log.warn(line));
  run.on('note', (message) => notes.add(redactSecrets(message, secrets)));
  // The servers' reasons for rpc and tool errors (redacted and cut by the engines): each in full once, then counts.
  const reasons = new NoteLog((line) => log.warn(line), true);
  let startAtMs = 0;
  let aggregate: Aggregate | undefined;
  run.on('started', (at, engines) => {
    startAtMs = at;
    runLog.started(at, engines);
  });
  run.on('snapshot', (s, agg) => {
    aggregate = agg;
    for (const d of s.errorDetails) reasons.add(describeDetail(d), d.count);
    runLog.snapshot(s);
  });
  run.on('interval', (k, agg) => {
    runLog.interval(k, agg);
    if (opts.quiet) return;
    progress.interval(k, agg);
    if (agg.sendingStoppedAtMs > 0) progress.stop();
  });
  const flushNotes = setInterval(() => (notes.flush(), reasons.flush()), opts.progressIntervalMs).unref();
  let signals = 0;
  const onSignal = (signal: StopSignal) => {
    signals++;
    progress.stop();
    runLog.stopped();
    // The first signal drains; a second one stops at once. Both still write the report.
    run.stop(signal, signals === 1 ? undefined : 0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));
  const { report, exitCode, outputs } = await run.result;
  clearInterval(flushNotes);
  notes.flush();
  reasons.flush();
  const elapsedMs = startAtMs ? Date.now() - startAtMs : 0;
  if (aggregate) runLog.finished(aggregate, elapsedMs);
  progress.end(aggregate, elapsedMs);
  process.stdout.write(renderReport(report) + renderThresholds(report.thresholds ?? []));
  for (const o of outputs) process.stderr.write(describeOutput(o) + '\n');
  if (exitCode === EXIT.cannotStart) process.stderr.write(cannotStartLine(report, notes.last) + '\n');
  return exitCode;
}

/** Why no session could be established, in one line: the error counts and the newest connection problem. */
function cannotStartLine(report: RunReport, lastNote: string | undefined): string {
  const counts = Object.entries(report.errors)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n.toLocaleString('en-US')} ${kind}`);
  const what = counts.length ? counts.join(', ') + ' error' + (counts.length === 1 && counts[0].startsWith('1 ') ? '' : 's') : 'no attempt finished';
  return `mcpload: no session could be established (${what}${lastNote ? `; last: ${lastNote}` : ''}); check that an MCP server answers at ${report.config.urls.join(', ')}`;
}

/** A repeatable option that also takes comma-separated values; undefined when not given. */
function list(values: readonly string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).filter(Boolean);
}

export async function serveCommand(args: Record<string, unknown>): Promise<number> {
  const a = parsedOptions(SERVE_OPTIONS, args);
  const ms = (key: 'delay' | 'jitter' | 'stallEvery' | 'stallFor' | 'pingInterval') => {
    const v = a[key];
    if (v === undefined) return undefined;
    const parsed = parseDuration(/^\d+(\.\d+)?$/.test(String(v)) ? Number(v) / 1000 : v);
    if (parsed === undefined) throw new UsageError(`--${flagOf(key)}: "${v}" is not a duration; write it like 5ms or 1s (a bare number is milliseconds here)`);
    return parsed;
  };
  const opts = {
    port: a.port,
    path: a.path,
    httpPath: a.httpPath,
    httpSse: a.sse,
    delayMs: ms('delay'),
    jitterMs: ms('jitter'),
    errorRate: a.errorRate,
    stallEveryMs: ms('stallEvery'),
    stallForMs: ms('stallFor'),
    pingIntervalMs: ms('pingInterval'),
    allowedHosts: list(a.allowedHosts),
    allowedOrigins: list(a.allowedOrigins),
    fixtures: a.fixtures,
    updateRateHz: a.updateRate,
    listTtlMs: a.listTtl,
    resultTypeFault: a.resultTypeFault as ResultTypeFault,
    rejectVersions: list(a.rejectVersion),
    rejectVersionRequests: a.rejectVersionRequests,
  };
  const hosts = list(a.host) ?? [];
  const processes = a.processes ?? 1;
  if (!Number.isInteger(processes) || processes < 1 || processes > 64)
    throw new UsageError(`--processes: must be a whole number from 1 to 64 (got ${processes})`);
  resolveTargetOptions({ ...opts, host: hosts[0] }); // one line for bad knobs, before any process starts
  let close: () => Promise<void>;
  let urls: string[];
  let httpUrls: string[] | undefined;
  if (processes === 1 && hosts.length === 1) {
    const target = await startTarget({ ...opts, host: hosts[0] });
    close = () => target.close();
    urls = [target.url];
    httpUrls = [target.httpUrl];
  } else {
    const cluster = await startTargetCluster(opts, hosts, processes);
    urls = cluster.urls;
    close = () => cluster.close();
  }
  // Each process also serves Streamable HTTP on the same port, at --http-path.
  httpUrls ??= urls.map((u) => u.replace(/^ws/, 'http').replace(/\/[^:]*$/, opts.httpPath ?? '/mcp'));
  process.stderr.write(
    `mcpload serve: listening on ${urls.join(', ')}${processes > 1 ? ` (${processes} processes)` : ''} (Streamable HTTP: ${httpUrls.join(', ')})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await close();
  return EXIT.ok;
}

export async function mergeCommand(files: string[], args: { report?: string; html?: string; threshold?: string[] }): Promise<number> {
  const thresholds = parseThresholds(args.threshold);
  checkOutputs({ reportPath: args.report, htmlPath: args.html });
  const report = mergeReportFiles(files);
  if (thresholds.length) report.thresholds = evaluateThresholds(thresholds, report);
  process.stdout.write(renderReport(report) + renderThresholds(report.thresholds ?? []));
  const write = (flag: string, path: string, text: string) => {
    try {
      writeOutput(path, text);
    } catch (err) {
      throw new UsageError(`${flag}: could not write ${path} (${describe(err)})`);
    }
  };
  if (args.report) write('--report', args.report, JSON.stringify(report, null, 2) + '\n');
  if (args.html) write('--html', args.html, renderHtml(report));
  return report.thresholds?.some((t) => !t.passed) ? EXIT.thresholdFailed : EXIT.ok;
}

export function profilesCommand(name: string | undefined): number {
  if (name) {
    loadProfile(name); // validates, and fails with one line for an unknown name
    process.stdout.write(readFileSync(join(profilesDir(), `${name}.yaml`), 'utf8'));
    return EXIT.ok;
  }
  for (const n of BUILTIN_PROFILES) {
    const p = loadProfile(n);
    process.stdout.write(`${n.padEnd(16)} ${String(p.clients).padStart(4)} clients × ${p.rate}/s, ${p.messageSize} B  ${p.description ?? ''}\n`);
  }
  return EXIT.ok;
}

export function validateCommand(file: string): number {
  const plan = validatePlanFile(file);
  if (plan !== undefined) {
    process.stdout.write(plan);
    return EXIT.ok;
  }
  const p = loadProfile(file);
  const load = p.closed ? `${p.closed.concurrency} in flight (closed model)` : `${p.rate}/s`;
  const who = p.arrivalRate !== undefined ? `${p.arrivalRate} sessions/s arriving` : `${p.clients} clients × ${load}`;
  const flow = p.flow ? `, a flow of ${flowRequests(p.flow).length} request steps` : '';
  process.stdout.write(`${file}: ok (profile ${p.name}: ${who}, ${p.mix.length} methods${flow}, ${p.stages.length} stages)\n`);
  return EXIT.ok;
}

/** `mcpload watch`: the merged text report on stdout, events and progress on stderr; SIGTERM/SIGINT end it with a report. */
export async function watchCommand(args: Parameters<typeof watchReplicas>[0]): Promise<number> {
  const stopped = new Promise<number>((resolve) => {
    process.once('SIGTERM', () => resolve(EXIT.sigterm));
    process.once('SIGINT', () => resolve(EXIT.sigint));
  });
  const { exitCode, report } = await watchReplicas(args, { err: (line) => process.stderr.write(line + '\n'), stopped });
  // Shards of a plan: the plan's report (a section and a verdict per phase), merged across the replicas.
  if (report?.plan) process.stdout.write((await import('./report/plan-text.js')).renderPlanReport(report));
  else if (report) process.stdout.write(renderReport(report) + renderThresholds(report.thresholds ?? []));
  return exitCode;
}
