/**
 * The command line: yargs turns argv and MCPLOAD_* variables into options; everything with
 * behaviour lives elsewhere. Bad input is one line on stderr and exit code 2.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from './config/defaults.js';
import { applyLegacyEnv, resolveRunOptions, type RawRunOptions } from './config/options.js';
import { BUILTIN_PROFILES, loadProfile, profilesDir } from './config/profile.js';
import { parseDuration } from './config/units.js';
import { checkOutputs, describeOutput, writeOutput } from './config/outputs.js';
import { EXIT, McploadError, UsageError, describe, headerSecrets, redactSecrets } from './shared/errors.js';
import { VERSION } from './shared/version.js';
import { createLogger } from './main/log.js';
import { Progress } from './main/progress.js';
import { NoteLog } from './main/notes.js';
import { renderReport } from './report/text.js';
import { mergeReportFiles } from './report/merge.js';
import { renderHtml } from './report/html.js';
import { parseThresholds } from './config/thresholds.js';
import { evaluateThresholds, renderThresholds } from './report/thresholds.js';
import { start, type StopSignal } from './index.js';
import type { RunReport } from './report/types.js';
import { resolveTargetOptions, startTarget } from './reference-server/server.js';
import { startTargetCluster } from './reference-server/cluster.js';

function runOptions(y: Argv) {
  return y
    // MCPLOAD_* variables are run options: read them for `run` only, so that a container that sets
    // them can still run `mcpload profiles` or `mcpload validate` under strict parsing.
    .env('MCPLOAD')
    .option('profile', { alias: 'p', type: 'string', describe: 'built-in profile name or a profile file (.yaml/.json)', default: 'normal' })
    .option('clients', { alias: 'c', type: 'number', describe: 'concurrent MCP sessions (overrides the profile)' })
    .option('rate', { alias: 'r', type: 'number', describe: 'requests per second per client (overrides the profile)' })
    .option('duration', { alias: 'd', type: 'string', describe: 'run length, e.g. 60s, 5m; 0 = until SIGTERM/SIGINT (default 60s, or the stages)' })
    .option('url', { alias: 'u', type: 'string', array: true, describe: 'target ws(s):// or http(s):// (Streamable HTTP) URL, repeatable; none = start the built-in target' })
    .option('transport', { type: 'string', choices: ['ws', 'http'], describe: 'WebSocket or MCP Streamable HTTP (default: from the --url scheme, else ws)' })
    .option('local-address', { type: 'string', array: true, describe: 'source address to bind, repeatable, ranges like 127.0.0.2-127.0.0.9' })
    .option('connect-rate', { type: 'number', describe: 'new sessions per second across all engines (0 = no limit)', default: 0 })
    .option('timeout', { type: 'string', describe: 'request timeout (overrides the profile), e.g. 5s' })
    .option('header', { alias: 'H', type: 'string', array: true, describe: "extra header (WebSocket upgrade, or every HTTP request), repeatable: 'Authorization: Bearer TOKEN'" })
    .option('protocol-version', { type: 'string', describe: 'MCP revision to speak (default 2025-11-25)' })
    .option('workers', { alias: 'w', type: 'number', describe: 'engine threads per process (default: cores / processes, or cores-1 with the built-in target)' })
    .option('processes', { type: 'number', describe: 'engine processes, when one process cannot hold the sessions (open-files limit)' })
    .option('local-ports', { type: 'string', describe: 'source ports to bind from on each --local-address (default 10000-65535)' })
    .option('frame-terminator', { type: 'string', choices: ['newline', 'none'], describe: 'end of each frame (erlmcp needs newline)', default: 'newline' })
    .option('report', { type: 'string', describe: 'write the JSON report to this file' })
    .option('html', { type: 'string', describe: 'write a self-contained HTML report with charts to this file' })
    .option('threshold', { type: 'string', array: true, describe: "pass/fail criterion, repeatable: 'p99<500ms', 'errors<1%', 'rate>=0.99*target', 'sessions>=100%'; any failure exits 1" })
    .option('abort-on-fail', { type: 'boolean', default: false, describe: 'stop the run once a threshold has failed for good' })
    .option('metrics-port', { type: 'number', describe: 'serve Prometheus /metrics and /healthz on this port (0 = off)', default: DEFAULT_METRICS_PORT })
    .option('metrics-host', { type: 'string', describe: 'address the metrics endpoint listens on', default: DEFAULT_METRICS_HOST })
    .option('progress-interval', { type: 'string', describe: 'time between progress lines', default: '5s' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress lines', default: false })
    .option('log-level', { type: 'string', choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'], default: 'info' })
    .option('drain-timeout', { type: 'string', describe: 'on stop (end of run, SIGTERM/SIGINT), wait this long at most for in-flight responses; a second signal stops at once', default: '5s' })
    .option('ca', { type: 'string', describe: 'PEM file of the CA to verify wss:// servers against (instead of the system CAs)' })
    .option('insecure', { type: 'boolean', describe: 'do not verify wss:// certificates (test setups only)', default: false })
    .option('spin', { type: 'boolean', describe: 'send on time to 1/16 ms instead of per 1 ms tick, at the cost of one busy core per engine', default: false });
}

type RunArgs = Awaited<ReturnType<ReturnType<typeof runOptions>['parse']>>;

async function runCommand(args: RunArgs): Promise<number> {
  const raw: RawRunOptions = {
    profile: args.profile,
    clients: args.clients,
    rate: args.rate,
    duration: args.duration,
    url: args.url,
    localAddress: args['local-address'],
    connectRate: args['connect-rate'],
    timeout: args.timeout,
    header: args.header,
    protocolVersion: args['protocol-version'],
    transport: args.transport,
    workers: args.workers,
    processes: args.processes,
    localPorts: args['local-ports'],
    frameTerminator: args['frame-terminator'],
    report: args.report,
    progressInterval: args['progress-interval'],
    quiet: args.quiet,
    logLevel: args['log-level'],
    html: args.html,
    threshold: args.threshold,
    abortOnFail: args['abort-on-fail'],
    metricsPort: args['metrics-port'],
    metricsHost: args['metrics-host'],
    drainTimeout: args['drain-timeout'],
    ca: args.ca,
    insecure: args.insecure,
    spin: args.spin,
  };
  const opts = resolveRunOptions(raw);
  // With the built-in target in this process, leave it a core.
  if (args.workers === undefined && opts.urls.length === 0 && (opts.processes ?? 1) === 1) opts.workers = Math.max(1, availableParallelism() - 1);
  const log = createLogger(opts.logLevel);
  const progress = new Progress(process.stderr, opts.progressIntervalMs);
  const run = start(opts);
  run.on('target', (url) => process.stderr.write(`mcpload: no --url given, so it started the built-in target at ${url}\n`));
  run.on('metrics', (url) => process.stderr.write(`mcpload: metrics on ${url}\n`));
  // Header values (Authorization: Bearer …) and URL credentials never reach the log.
  const secrets = headerSecrets(opts.headers);
  const notes = new NoteLog((line) => log.warn(line));
  run.on('note', (message) => notes.add(redactSecrets(message, secrets)));
  const flushNotes = setInterval(() => notes.flush(), opts.progressIntervalMs).unref();
  if (!opts.quiet) run.on('snapshot', (_s, agg) => progress.update(agg));
  let signals = 0;
  const onSignal = (signal: StopSignal) => {
    signals++;
    // The first signal drains; a second one stops at once. Both still write the report.
    run.stop(signal, signals === 1 ? undefined : 0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));
  const { report, exitCode, outputs } = await run.result;
  clearInterval(flushNotes);
  notes.flush();
  progress.end();
  process.stdout.write(renderReport(report) + renderThresholds(report.thresholds ?? []));
  for (const o of outputs) process.stderr.write(describeOutput(o) + '\n');
  if (exitCode === EXIT.cannotStart) process.stderr.write(cannotStartLine(report, notes.last) + '\n');
  return exitCode;
}

/** Why no session could be established, in one line: the error counts and the newest connection problem. */
function cannotStartLine(report: RunReport, lastNote: string | undefined): string {
  const counts = Object.entries(report.errors).filter(([, n]) => n > 0).map(([kind, n]) => `${n.toLocaleString('en-US')} ${kind}`);
  const what = counts.length ? counts.join(', ') + ' error' + (counts.length === 1 && counts[0].startsWith('1 ') ? '' : 's') : 'no attempt finished';
  return `mcpload: no session could be established (${what}${lastNote ? `; last: ${lastNote}` : ''}); check that an MCP server answers at ${report.config.urls.join(', ')}`;
}

async function serveCommand(args: Record<string, unknown>): Promise<number> {
  const ms = (name: string) => {
    const v = args[name];
    if (v === undefined) return undefined;
    const parsed = parseDuration(/^\d+(\.\d+)?$/.test(String(v)) ? Number(v) / 1000 : v);
    if (parsed === undefined) throw new UsageError(`--${name}: "${v}" is not a duration; write it like 5ms or 1s (a bare number is milliseconds here)`);
    return parsed;
  };
  const opts = {
    port: args.port as number,
    path: args.path as string,
    httpPath: args['http-path'] as string,
    httpSse: args.sse as boolean,
    delayMs: ms('delay'),
    jitterMs: ms('jitter'),
    errorRate: args['error-rate'] as number,
    stallEveryMs: ms('stall-every'),
    stallForMs: ms('stall-for'),
    pingIntervalMs: ms('ping-interval'),
  };
  const hosts = (args.host as string[]).flatMap((h) => h.split(',')).filter(Boolean);
  const processes = (args.processes as number | undefined) ?? 1;
  if (!Number.isInteger(processes) || processes < 1 || processes > 64) throw new UsageError(`--processes: must be a whole number from 1 to 64 (got ${processes})`);
  resolveTargetOptions({ ...opts, host: hosts[0] }); // one line for bad knobs, before any process starts
  let close: () => Promise<void>;
  let urls: string[];
  let httpUrls: string[] | undefined;
  if (processes === 1 && hosts.length === 1) {
    const target = await startTarget({ ...opts, host: hosts[0] });
    ({ close } = target);
    urls = [target.url];
    httpUrls = [target.httpUrl];
  } else {
    ({ urls, close } = await startTargetCluster(opts, hosts, processes));
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

/**
 * yargs reads every MCPLOAD_* variable as an option, so a stray one fails strict parsing as
 * "Unknown argument: fooBar". Name the variable instead, which is what the user has to change.
 */
function unknownEnvironmentVariable(msg: string): string | undefined {
  const m = /^Unknown arguments?: (.+)$/.exec(msg.trim());
  if (!m) return undefined;
  for (const arg of m[1].split(', ')) {
    const name = 'MCPLOAD_' + arg.replace(/[A-Z]/g, (c) => '_' + c).replace(/-/g, '_').toUpperCase();
    if (process.env[name] !== undefined) return name;
  }
  return undefined;
}

/** The boolean options of every command. */
const BOOLEAN_OPTIONS = ['quiet', 'insecure', 'spin', 'abort-on-fail', 'sse'];
const YES = new Set(['true', '1', 'yes', 'on']);
const NO = new Set(['false', '0', 'no', 'off']);

function yesNo(value: string, where: string): 'true' | 'false' {
  const v = value.trim().toLowerCase();
  if (YES.has(v)) return 'true';
  if (NO.has(v)) return 'false';
  throw new UsageError(`${where}: "${value}" is not a yes/no value; write true or false (1/0, yes/no and on/off work too)`);
}

/**
 * yargs takes only "true" and "false" for a boolean given a value (--quiet=1, MCPLOAD_QUIET=1) and
 * silently reads anything else as false, so MCPLOAD_QUIET=1 in a stack file would not quiet anything.
 * The usual spellings are translated; anything else is bad input.
 */
export function normalizeBooleans(argv: string[], env: NodeJS.ProcessEnv): string[] {
  for (const name of BOOLEAN_OPTIONS) {
    const key = 'MCPLOAD_' + name.replace(/-/g, '_').toUpperCase();
    const value = env[key];
    if (value !== undefined) env[key] = yesNo(value, `environment variable ${key}`);
  }
  return argv.map((arg) => {
    const m = /^--([a-z-]+)=([^]*)$/.exec(arg);
    if (!m || !BOOLEAN_OPTIONS.includes(m[1])) return arg;
    return `--${m[1]}=${yesNo(m[2], `--${m[1]}`)}`;
  });
}

async function mergeCommand(files: string[], args: { report?: string; html?: string; threshold?: string[] }): Promise<number> {
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

function profilesCommand(name: string | undefined): number {
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

function validateCommand(file: string): number {
  const p = loadProfile(file);
  process.stdout.write(`${file}: ok (profile ${p.name}: ${p.clients} clients × ${p.rate}/s, ${p.mix.length} methods, ${p.stages.length} stages)\n`);
  return EXIT.ok;
}

export async function main(rawArgv = hideBin(process.argv)): Promise<number> {
  applyLegacyEnv(process.env);
  let argv: string[];
  try {
    argv = normalizeBooleans(rawArgv, process.env);
  } catch (err) {
    return reportFailure(err);
  }
  let result: Promise<number> = Promise.resolve(EXIT.ok);
  const parser = yargs(argv)
    .scriptName('mcpload')
    .strict()
    .command(['run', '$0'], 'run a load test (the main job)', runOptions, (args) => {
      result = runCommand(args as RunArgs);
    })
    .command(
      'serve',
      'run the reference MCP target over WebSocket and Streamable HTTP',
      (y) =>
        y
          .option('host', { type: 'string', array: true, default: ['127.0.0.1'], describe: 'listen address, repeatable' })
          .option('processes', { type: 'number', describe: 'target processes sharing the port (each has its own open-files limit)', default: 1 })
          .option('port', { type: 'number', default: 8080 })
          .option('path', { type: 'string', default: '/mcp/ws', describe: 'WebSocket endpoint' })
          .option('http-path', { type: 'string', default: '/mcp', describe: 'MCP Streamable HTTP endpoint' })
          .option('sse', { type: 'boolean', default: false, describe: 'answer Streamable HTTP requests as SSE streams instead of JSON' })
          .option('delay', { type: 'string', describe: 'added delay per response, e.g. 5ms' })
          .option('jitter', { type: 'string', describe: 'plus a random 0..jitter' })
          .option('error-rate', { type: 'number', describe: 'share of requests answered with a JSON-RPC error, 0..1', default: 0 })
          .option('stall-every', { type: 'string', describe: 'hold all responses periodically, e.g. 10s' })
          .option('stall-for', { type: 'string', describe: 'for this long, e.g. 1s' })
          .option('ping-interval', { type: 'string', describe: 'send server->client pings this often' }),
      (args) => {
        result = serveCommand(args);
      },
    )
    .command(
      'merge <reports..>',
      'merge replica reports into one (percentiles exact)',
      (y) =>
        y
          .positional('reports', { type: 'string', array: true, demandOption: true })
          .option('report', { type: 'string', describe: 'write the merged JSON report here' })
          .option('html', { type: 'string', describe: 'write the merged HTML report here' })
          .option('threshold', { type: 'string', array: true, describe: 'evaluate on the merged report; any failure exits 1' }),
      (args) => {
        result = mergeCommand(args.reports as string[], args as { report?: string; html?: string; threshold?: string[] });
      },
    )
    .command('profiles [name]', 'list the built-in profiles, or print one', (y) => y.positional('name', { type: 'string' }), (args) => {
      result = Promise.resolve().then(() => profilesCommand(args.name));
    })
    .command('validate <file>', 'check a profile file', (y) => y.positional('file', { type: 'string', demandOption: true }), (args) => {
      result = Promise.resolve().then(() => validateCommand(args.file as string));
    })
    .fail((msg, err) => {
      if (err instanceof McploadError) throw err;
      const fromEnv = msg ? unknownEnvironmentVariable(msg) : undefined;
      if (fromEnv) throw new UsageError(`environment variable ${fromEnv} is not an mcpload option: unset it or fix its name (see mcpload --help)`);
      // yargs' own messages can span lines ("Invalid values:\n  Argument: …"): keep them to one.
      throw new UsageError((msg ?? describe(err)).replace(/\s*\n\s*/g, ' ') + ' (see mcpload --help)');
    })
    .help()
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 110));
  try {
    await parser.parseAsync();
    return await result;
  } catch (err) {
    return reportFailure(err);
  }
}

/** One line on stderr; the exit code of an mcpload error, else bad input. */
function reportFailure(err: unknown): number {
  if (err instanceof McploadError) {
    process.stderr.write(`mcpload: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`mcpload: ${describe(err)}\n`);
  return EXIT.badInput;
}
