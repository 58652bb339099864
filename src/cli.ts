/**
 * The command line: yargs turns argv and MCPLOAD_* variables into options; everything with
 * behaviour lives elsewhere. Bad input is one line on stderr and exit code 2.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import yargs, { type Argv, type Options } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyLegacyEnv, resolveRunOptions } from './config/options.js';
import { RUN_OPTIONS, booleanFlags, envOf, flagOf, parsedOptions, type OptionTable } from './config/option-table.js';
import { BUILTIN_PROFILES, loadProfile, profilesDir } from './config/profile.js';
import { parseDuration } from './config/units.js';
import { checkOutputs, describeOutput, writeOutput } from './config/outputs.js';
import { EXIT, McploadError, UsageError, describe, headerSecrets, redactSecrets } from './shared/errors.js';
import { VERSION } from './shared/version.js';
import { createLogger } from './main/log.js';
import { Progress } from './main/progress.js';
import { NoteLog } from './main/notes.js';
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
import { discoverCommand } from './discover/command.js';

/** A table's options as yargs declares them: the flag in kebab case, everything but the legacy variables. */
function yargsOptions(table: OptionTable): Record<string, Options> {
  return Object.fromEntries(Object.entries(table).map(([key, { legacyEnv: _legacy, ...spec }]) => [flagOf(key), spec]));
}

function runOptions(y: Argv) {
  // MCPLOAD_* variables are run options: read them for `run` only, so that a container that sets
  // them can still run `mcpload profiles` or `mcpload validate` under strict parsing.
  return y.env('MCPLOAD').options(yargsOptions(RUN_OPTIONS));
}

/** `mcpload serve`: the reference target's knobs. */
const SERVE_OPTIONS = {
  host: { type: 'string', array: true, default: ['127.0.0.1'], describe: 'listen address, repeatable' },
  processes: { type: 'number', describe: 'target processes sharing the port (each has its own open-files limit)', default: 1 },
  port: { type: 'number', default: 8080, describe: 'listen port (WebSocket and Streamable HTTP share it)' },
  path: { type: 'string', default: '/mcp/ws', describe: 'WebSocket endpoint' },
  httpPath: { type: 'string', default: '/mcp', describe: 'MCP Streamable HTTP endpoint' },
  sse: { type: 'boolean', default: false, describe: 'answer Streamable HTTP requests as SSE streams instead of JSON' },
  delay: { type: 'string', describe: 'added delay per response, e.g. 5ms' },
  jitter: { type: 'string', describe: 'plus a random 0..jitter' },
  errorRate: { type: 'number', describe: 'share of requests answered with a JSON-RPC error, 0..1', default: 0 },
  stallEvery: { type: 'string', describe: 'hold all responses periodically, e.g. 10s' },
  stallFor: { type: 'string', describe: 'for this long, e.g. 1s' },
  pingInterval: { type: 'string', describe: 'send server->client pings this often' },
  allowedHosts: {
    type: 'string',
    array: true,
    describe: 'Host headers answered, repeatable or comma-separated; * = any (default: loopback names when bound to loopback, else any)',
  },
  allowedOrigins: {
    type: 'string',
    array: true,
    describe: 'Origin headers answered, e.g. https://app.example.com; * = any (default: loopback origins; no Origin always passes)',
  },
  fixtures: { type: 'boolean', default: false, describe: 'also serve the tools, resources and prompts of the MCP conformance suite (test_simple_text, ...)' },
  updateRate: {
    type: 'number',
    default: 0,
    describe: 'update every subscribed resource this many times per second (notifications/resources/updated to each subscriber)',
  },
} as const satisfies OptionTable;

/** `mcpload discover`: what to ask a server and where to write the starter profile. */
const DISCOVER_OPTIONS = {
  write: { type: 'string', describe: 'write a starter profile (YAML) whose mix calls what was found' },
  tools: { type: 'string', array: true, describe: 'tools to call beyond the readOnlyHint ones, repeatable or a,b (the only way in for destructiveHint tools)' },
  seed: { type: 'number', default: 1, describe: "seed of the arguments sampled from each tool's inputSchema" },
  name: { type: 'string', describe: "the written profile's name (default: from the server's name)" },
  header: { alias: 'H', type: 'string', array: true, describe: "extra header, repeatable: 'Authorization: Bearer TOKEN'" },
  timeout: { type: 'string', default: '10s', describe: 'how long each list call may take' },
  probeTimeout: { type: 'string', default: '2s', describe: 'with --write: each target is called once; slower ones are left out' },
  protocolVersion: { type: 'string', describe: 'MCP revision to speak (default 2025-11-25)' },
  frameTerminator: { type: 'string', choices: ['newline', 'none'], default: 'newline', describe: 'end of each WebSocket frame' },
} as const satisfies OptionTable;

async function runCommand(args: Record<string, unknown>): Promise<number> {
  const raw = parsedOptions(RUN_OPTIONS, args);
  const opts = resolveRunOptions(raw);
  // With the built-in target in this process, leave it a core.
  if (raw.workers === undefined && opts.urls.length === 0 && (opts.processes ?? 1) === 1) opts.workers = Math.max(1, availableParallelism() - 1);
  const log = createLogger(opts.logLevel);
  const progress = new Progress(process.stderr, opts.progressIntervalMs);
  const run = start(opts);
  run.on('target', (url) => process.stderr.write(`mcpload: no --url given, so it started the built-in target at ${url}\n`));
  run.on('metrics', (url) => process.stderr.write(`mcpload: metrics on ${url}\n`));
  // Header values (Authorization: Bearer …) and URL credentials never reach the log.
  const secrets = headerSecrets(opts.headers);
  const notes = new NoteLog((line) => log.warn(line));
  run.on('note', (message) => notes.add(redactSecrets(message, secrets)));
  // The servers' reasons for rpc and tool errors (redacted and cut by the engines): each in full once, then counts.
  const reasons = new NoteLog((line) => log.warn(line), true);
  run.on('snapshot', (s) => {
    for (const d of s.errorDetails) reasons.add(describeDetail(d), d.count);
  });
  const flushNotes = setInterval(() => (notes.flush(), reasons.flush()), opts.progressIntervalMs).unref();
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
  reasons.flush();
  progress.end();
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

async function serveCommand(args: Record<string, unknown>): Promise<number> {
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

/**
 * yargs reads every MCPLOAD_* variable as an option, so a stray one fails strict parsing as
 * "Unknown argument: fooBar". Name the variable instead, which is what the user has to change.
 */
function unknownEnvironmentVariable(msg: string): string | undefined {
  const m = /^Unknown arguments?: (.+)$/.exec(msg.trim());
  if (!m) return undefined;
  for (const arg of m[1].split(', ')) {
    const name = envOf(flagOf(arg));
    if (process.env[name] !== undefined) return name;
  }
  return undefined;
}

/** The boolean options of every command. */
const BOOLEAN_OPTIONS = booleanFlags(RUN_OPTIONS, SERVE_OPTIONS, DISCOVER_OPTIONS);
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
    const key = envOf(name);
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
  const load = p.closed ? `${p.closed.concurrency} in flight (closed model)` : `${p.rate}/s`;
  process.stdout.write(`${file}: ok (profile ${p.name}: ${p.clients} clients × ${load}, ${p.mix.length} methods, ${p.stages.length} stages)\n`);
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
      result = runCommand(args);
    })
    .command(
      'serve',
      'run the reference MCP target over WebSocket and Streamable HTTP',
      (y) => y.options(yargsOptions(SERVE_OPTIONS)),
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
        result = mergeCommand(args.reports, args);
      },
    )
    .command(
      'discover <url>',
      "list a server's tools, resources, templates and prompts; --write a starter profile",
      (y) => y.positional('url', { type: 'string', demandOption: true }).options(yargsOptions(DISCOVER_OPTIONS)),
      (args) => {
        const a = parsedOptions(DISCOVER_OPTIONS, args);
        result = discoverCommand(
          { ...a, url: String(args.url) },
          (text) => process.stdout.write(text),
          (line) => process.stderr.write(line + '\n'),
        );
      },
    )
    .command(
      'profiles [name]',
      'list the built-in profiles, or print one',
      (y) => y.positional('name', { type: 'string' }),
      (args) => {
        result = Promise.resolve().then(() => profilesCommand(args.name));
      },
    )
    .command(
      'validate <file>',
      'check a profile file',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      (args) => {
        result = Promise.resolve().then(() => validateCommand(args.file));
      },
    )
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
