/**
 * Every `mcpload run` option, declared once. The command line (flags, MCPLOAD_* variables, --help),
 * the old simulator's variables, the yes/no reading of booleans and the RawRunOptions type are all
 * derived from this table.
 */
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, DEFAULT_PROGRESS_INTERVAL, DEFAULT_SUBPROTOCOL } from './defaults.js';

/** One command-line option. Its flag is the key in kebab case, its variable MCPLOAD_ plus the flag. */
export interface OptionSpec {
  readonly type: 'string' | 'number' | 'boolean';
  /** Repeatable; a list in one variable or flag also splits at commas (see resolveRunOptions). */
  readonly array?: true;
  readonly alias?: string;
  readonly describe?: string;
  readonly default?: string | number | boolean | readonly string[];
  readonly choices?: readonly string[];
  /** The --help section it is listed under. */
  readonly group?: string;
  /**
   * The old Go simulator's variables, for drop-in use in the erlmcp stack, in the order they apply.
   * Each sets this option's MCPLOAD_ variable where that one is not set (the command line wins over
   * both); `convert` may rewrite the value, or drop it with undefined.
   */
  readonly legacyEnv?: readonly { readonly name: string; readonly convert?: (value: string, env: NodeJS.ProcessEnv) => string | undefined }[];
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** What one option holds after parsing. */
type Value<S extends OptionSpec> = S['type'] extends 'number' ? number : S['type'] extends 'boolean' ? boolean : string;
/** A table's options as parsed, before validation: every one may be missing. */
export type ParsedOptions<T extends OptionTable> = { -readonly [K in keyof T]?: T[K] extends { array: true } ? Value<T[K]>[] : Value<T[K]> };

const LOAD = 'Load:';
const TARGET = 'Target:';
const RESULTS = 'Results:';
const OBSERVE = 'Progress, logs and metrics:';
const DISTRIBUTED = 'Distributed runs:';

export const RUN_OPTIONS = {
  profile: {
    alias: 'p',
    type: 'string',
    describe: 'built-in profile name or a profile file (.yaml/.json)',
    default: 'normal',
    group: LOAD,
    legacyEnv: [{ name: 'CLIENT_TYPE' }],
  },
  clients: { alias: 'c', type: 'number', describe: 'concurrent MCP sessions (overrides the profile)', group: LOAD, legacyEnv: [{ name: 'CLIENT_COUNT' }] },
  rate: { alias: 'r', type: 'number', describe: 'requests per second per client (overrides the profile)', group: LOAD, legacyEnv: [{ name: 'MESSAGE_RATE' }] },
  model: {
    type: 'string',
    choices: ['open', 'closed'],
    describe: 'open: each client sends at --rate on schedule; closed: each keeps --concurrency requests in flight (overrides the profile)',
    group: LOAD,
  },
  concurrency: { type: 'number', describe: 'closed model: requests in flight per client, each sent when one ends (overrides the profile)', group: LOAD },
  duration: {
    alias: 'd',
    type: 'string',
    describe: 'run length, e.g. 60s, 5m; 0 = until SIGTERM/SIGINT (default 60s, or the stages)',
    group: LOAD,
    legacyEnv: [{ name: 'DURATION_SECONDS' }],
  },
  warmup: {
    type: 'string',
    describe:
      "connect and send at the profile's rate this long before measuring starts, e.g. 5s (counted apart in the report, not in latency, rates or thresholds); --duration follows it",
    group: LOAD,
  },
  url: {
    alias: 'u',
    type: 'string',
    array: true,
    describe: 'target ws(s):// or http(s):// (Streamable HTTP) URL, repeatable; none = start the built-in target',
    group: TARGET,
    legacyEnv: [{ name: 'TARGET_SERVERS', convert: legacyTargets }],
  },
  transport: { type: 'string', choices: ['ws', 'http'], describe: 'WebSocket or MCP Streamable HTTP (default: from the --url scheme, else ws)', group: TARGET },
  localAddress: { type: 'string', array: true, describe: 'source address to bind, repeatable, ranges like 127.0.0.2-127.0.0.9', group: TARGET },
  connectRate: { type: 'number', describe: 'new sessions per second across all engines (0 = no limit)', default: 0, group: LOAD },
  timeout: { type: 'string', describe: 'request timeout (overrides the profile), e.g. 5s', group: LOAD },
  header: {
    alias: 'H',
    type: 'string',
    array: true,
    describe: "extra header (WebSocket upgrade, or every HTTP request), repeatable: 'Authorization: Bearer TOKEN'",
    group: TARGET,
  },
  protocolVersion: { type: 'string', describe: 'MCP revision to speak (default 2025-11-25)', group: TARGET },
  workers: {
    alias: 'w',
    type: 'number',
    describe: 'engine threads per process (default: cores / processes, or cores-1 with the built-in target)',
    group: LOAD,
  },
  processes: { type: 'number', describe: 'engine processes, when one process cannot hold the sessions (open-files limit)', group: LOAD },
  localPorts: { type: 'string', describe: 'source ports to bind from on each --local-address (default 10000-65535)', group: TARGET },
  httpGetStream: {
    type: 'boolean',
    describe: 'Streamable HTTP: each session also opens a GET stream for server-initiated messages (a 405 answer: the server has none)',
    default: false,
    group: TARGET,
  },
  frameTerminator: { type: 'string', choices: ['newline', 'none'], describe: 'end of each frame (erlmcp needs newline)', default: 'newline', group: TARGET },
  subprotocol: {
    type: 'string',
    describe: 'WebSocket subprotocol to offer, or none; a server that selects none is accepted either way (the report says which)',
    default: DEFAULT_SUBPROTOCOL,
    group: TARGET,
  },
  report: { type: 'string', describe: 'write the JSON report to this file', group: RESULTS },
  html: { type: 'string', describe: 'write a self-contained HTML report with charts to this file', group: RESULTS },
  out: {
    type: 'string',
    array: true,
    describe: 'stream results while running, a line per second, repeatable: json=FILE (NDJSON) or csv=FILE (a fixed header, then a row)',
    group: RESULTS,
  },
  threshold: {
    type: 'string',
    array: true,
    describe: "pass/fail criterion, repeatable: 'p99<500ms', 'errors<1%', 'rate>=0.99*target', 'sessions>=100%'; any failure exits 1",
    group: RESULTS,
  },
  abortOnFail: { type: 'boolean', default: false, describe: 'stop the run once a threshold has failed for good', group: RESULTS },
  metricsPort: {
    type: 'number',
    // No yargs default: a port nobody asked for that is busy gives way to a free one (said in a line); an asked-for one must be free.
    describe: `serve Prometheus /metrics and /healthz (also /health) on this port; 0 = off (default ${DEFAULT_METRICS_PORT}, or a free port when that one is busy)`,
    group: OBSERVE,
    // METRICS_ENABLED first: a disabled endpoint wins over a port.
    legacyEnv: [{ name: 'METRICS_ENABLED', convert: (v) => (/^(false|0|no|off)$/i.test(v.trim()) ? '0' : undefined) }, { name: 'METRICS_PORT' }],
  },
  metricsHost: {
    type: 'string',
    describe: 'address the metrics endpoint listens on; 0.0.0.0 for all interfaces (the image and the stack set it, so Prometheus can scrape)',
    default: DEFAULT_METRICS_HOST,
    group: OBSERVE,
  },
  progressInterval: {
    type: 'string',
    describe: `time between progress lines (default ${DEFAULT_PROGRESS_INTERVAL}; on a terminal the line is redrawn in place every 1s)`,
    group: OBSERVE,
  },
  quiet: {
    alias: 'q',
    type: 'boolean',
    describe: 'no plan, no progress lines and only warnings and errors logged (the report still comes)',
    default: false,
    group: OBSERVE,
  },
  logLevel: {
    type: 'string',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
    describe:
      'least severe log line written on stderr (default info, warn with --quiet): info says when engines start, stages change, all sessions are open, reconnect storms; debug adds each engine each second (JSON with level names when piped, pretty on a TTY)',
    group: OBSERVE,
  },
  drainTimeout: {
    type: 'string',
    describe: 'on stop (end of run, SIGTERM/SIGINT), wait this long at most for in-flight responses; a second signal stops at once',
    default: '5s',
    group: LOAD,
  },
  ca: { type: 'string', describe: 'PEM file of the CA to verify wss:// servers against (instead of the system CAs)', group: TARGET },
  insecure: { type: 'boolean', describe: 'do not verify wss:// certificates (test setups only)', default: false, group: TARGET },
  tools: {
    type: 'string',
    array: true,
    describe: "tools that mix entries with discover may call beyond the readOnlyHint ones (added to the profile's discovery.tools), repeatable or a,b",
    group: LOAD,
  },
  shard: {
    type: 'string',
    describe: "run share i of n of the profile (clients, stages, arrivals, connect rate split exactly): '2/3', or the index with --shards",
    group: DISTRIBUTED,
    // Kubernetes Indexed Jobs number pods from 0; read only with MCPLOAD_SHARDS, the count (an Indexed Job that is no shard is left alone).
    legacyEnv: [
      {
        name: 'JOB_COMPLETION_INDEX',
        convert: (v, env) => (env.MCPLOAD_SHARDS === undefined ? undefined : /^\d+$/.test(v.trim()) ? String(Number(v) + 1) : v),
      },
    ],
  },
  shards: { type: 'number', describe: "how many shards, when --shard gives only the index (Kubernetes: the Job's completions)", group: DISTRIBUTED },
  startAt: {
    type: 'string',
    describe: 'start sending at this instant (ISO time, or ms since the epoch), so every shard starts together; the report records the skew',
    group: DISTRIBUTED,
  },
  linger: {
    type: 'string',
    describe: 'after the run, keep /snapshot up until a watch has read the final one, at most this long (default 30s with --shard, else 0)',
    group: DISTRIBUTED,
  },
  spin: { type: 'boolean', describe: 'send on time to 1/16 ms instead of per 1 ms tick, at the cost of one busy core per engine', default: false, group: LOAD },
  plan: {
    type: 'string',
    describe: "run a test plan file instead of one profile: the same as mcpload plan FILE (then the plan's options apply: --scale, --time-scale, ...)",
    group: LOAD,
  },
} as const satisfies OptionTable;

/** `mcpload serve`: the reference target's knobs. */
export const SERVE_OPTIONS = {
  host: { type: 'string', array: true, default: ['127.0.0.1'], describe: 'listen address, repeatable' },
  processes: { type: 'number', describe: 'target processes sharing the port (each has its own open-files limit)', default: 1 },
  port: { type: 'number', default: 8080, describe: 'listen port; WebSocket (--path) and Streamable HTTP (--http-path) share it; 0 = a free one' },
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
  listTtl: { type: 'number', default: 60000, describe: '2026-07-28: the ttlMs cache hint on list results (ms)' },
  resultTypeFault: { type: 'string', default: 'none', describe: "2026-07-28: write results' resultType wrong on purpose: none, missing, unknown" },
  rejectVersion: { type: 'string', array: true, describe: '2026-07-28: answer requests of this version UnsupportedProtocolVersion (-32022), repeatable' },
  rejectVersionRequests: { type: 'number', default: 0, describe: 'with --reject-version: refuse only this many requests, then accept it (0 = always)' },
} as const satisfies OptionTable;

/** `mcpload discover`: what to ask a server and where to write the starter profile. */
export const DISCOVER_OPTIONS = {
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

/** `mcpload merge`: what to write from the merged report. */
export const MERGE_OPTIONS = {
  report: { type: 'string', describe: 'write the merged JSON report here' },
  html: { type: 'string', describe: 'write the merged HTML report here' },
  threshold: { type: 'string', array: true, describe: 'evaluate on the merged report, repeatable; any failure exits 1' },
} as const satisfies OptionTable;

/** What the command line (or the environment) gave, before validation. */
export type RawRunOptions = ParsedOptions<typeof RUN_OPTIONS>;

/** `localAddress` -> `local-address`: the flag of a table key. */
export function flagOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** `local-address` -> `MCPLOAD_LOCAL_ADDRESS`, the variable yargs reads for a flag. */
export function envOf(flag: string): string {
  return 'MCPLOAD_' + flag.replace(/-/g, '_').toUpperCase();
}

/** A table's options out of what yargs parsed (yargs also gives each kebab-case flag its camelCase key). */
export function parsedOptions<T extends OptionTable>(table: T, args: Readonly<Record<string, unknown>>): ParsedOptions<T> {
  return Object.fromEntries(Object.keys(table).map((key) => [key, args[key]])) as ParsedOptions<T>;
}

/**
 * The old Go simulator's variables (CLIENT_TYPE, TARGET_SERVERS, ...), as the run options name them:
 * each applies only where the option's own MCPLOAD_ variable is not set.
 */
export function applyLegacyEnv(env: NodeJS.ProcessEnv): void {
  for (const [key, spec] of Object.entries<OptionSpec>(RUN_OPTIONS)) {
    const to = envOf(flagOf(key));
    for (const { name, convert } of spec.legacyEnv ?? []) {
      const value = env[name];
      if (value === undefined || value === '' || env[to] !== undefined) continue;
      const converted = convert ? convert(value, env) : value;
      if (converted !== undefined) env[to] = converted;
    }
  }
}

/** The old simulator's variables a table reads (CLIENT_TYPE, TARGET_SERVERS, ...). */
export function legacyEnvNames(...tables: OptionTable[]): string[] {
  return tables.flatMap((table) => Object.values(table).flatMap((o) => (o.legacyEnv ?? []).map((l) => l.name)));
}

/** The flags of the tables' boolean options. */
export function booleanFlags(...tables: OptionTable[]): string[] {
  return tables.flatMap((table) => Object.keys(table).filter((key) => table[key].type === 'boolean')).map(flagOf);
}

/** `host:port,host2:port` -> ws URLs on erlmcp's WebSocket path. Full URLs pass through. */
function legacyTargets(value: string): string {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => (/^(wss?|https?):\/\//.test(t) ? t : `ws://${t}/mcp/ws`))
    .join(',');
}
