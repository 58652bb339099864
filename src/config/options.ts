/**
 * Run options: defaults, the old simulator's environment variables, and validation of everything
 * before any thread starts. Each problem is one UsageError line saying what and how to fix it.
 */
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError, describe, redactSecrets } from '../shared/errors.js';
import { parseThresholds } from './thresholds.js';
import { loadProfile } from './profile.js';
import { peakClients, stagesDurationMs } from './stages.js';
import type { Profile, TlsOptions, TransportKind } from '../shared/types.js';
import type { Shard } from './shard.js';
import type { RunOptions } from './types.js';
import { parseDuration } from './units.js';
import { checkCapacity } from './limits.js';
import { checkOutputs, parseStreamOutput } from './outputs.js';
import { parseHeaders } from './headers.js';
import { DEFAULT_LOCAL_PORTS, type PortRange } from './ports.js';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_SHARD_LINGER_MS,
  DEFAULT_DURATION,
  DEFAULT_METRICS_HOST,
  DEFAULT_PROGRESS_INTERVAL,
  DEFAULT_PROTOCOL_VERSION,
  DEFAULT_SUBPROTOCOL,
} from './defaults.js';
import type { RawRunOptions } from './option-table.js';
import { parseShard, parseStartAt, rateShareOf, shardProfile } from './shard.js';

const MAX_DRAIN_TIMEOUT_MS = 600_000;
const MAX_RATE_PER_CLIENT = 1_000_000;

export type { RawRunOptions };

export { applyLegacyEnv } from './option-table.js';

/** Repeatable options also accept comma-separated lists (handy in environment variables). */
function list(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function positiveInt(name: string, value: number | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${name}: must be a whole number from 1 to ${max.toLocaleString('en-US')} (got ${value})`);
  }
  return value;
}

function duration(name: string, value: string | undefined, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(String(value)) ? Number(value) : value);
  if (ms === undefined || (!allowZero && ms === 0)) {
    throw new UsageError(`--${name}: "${value}" is not a duration${allowZero ? '' : ' above zero'}; write it like 500ms, 30s, 5m (a bare number is seconds)`);
  }
  return ms;
}

export function validateUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url: "${redactSecrets(url)}" is not a URL; write it like ws://127.0.0.1:8080/mcp/ws`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(u.protocol)) {
    throw new UsageError(
      `--url: "${redactSecrets(url)}" has scheme ${u.protocol.replace(':', '')}; mcpload speaks MCP over WebSocket (use ws:// or wss://) or Streamable HTTP (use http:// or https://)`,
    );
  }
  return url;
}

/** --transport, or the URLs' scheme: http(s):// is Streamable HTTP, ws(s):// WebSocket; one per run. */
function resolveTransport(raw: string | undefined, urls: string[]): TransportKind {
  if (raw !== undefined && raw !== 'ws' && raw !== 'http') throw new UsageError(`--transport: must be ws or http (got ${raw})`);
  const schemes = new Set(urls.map((u) => (/^https?:/.test(u) ? 'http' : 'ws')));
  if (schemes.size > 1) throw new UsageError('--url: a run speaks one transport; give only ws(s):// URLs or only http(s):// URLs');
  const fromUrls = [...schemes][0] as TransportKind | undefined;
  const transport = raw ?? fromUrls ?? 'ws';
  if (fromUrls !== undefined && fromUrls !== transport) {
    const want = transport === 'http' ? 'http:// or https://' : 'ws:// or wss://';
    throw new UsageError(
      `--transport ${transport} does not match --url ${redactSecrets(urls[0])}: give ${want} URLs, or drop --transport (it follows the URL)`,
    );
  }
  return transport;
}

/** `--local-ports 10000-65535`: the source ports mcpload binds from on each --local-address. */
function portRange(value: string | undefined): PortRange {
  if (value === undefined) return DEFAULT_LOCAL_PORTS;
  const m = /^(\d+)-(\d+)$/.exec(value.trim());
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!(from >= 1 && to <= 65535 && from <= to)) {
    throw new UsageError(`--local-ports: "${value}" is not a port range; write it like 10000-65535`);
  }
  return { from, to };
}

/** `127.0.0.2`, `::1`, or a range `127.0.0.2-127.0.0.9` (IPv4, last octet varies). */
export function expandLocalAddresses(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const range = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+\.\d+\.\d+\.)?(\d+)$/.exec(v);
    if (range && (!range[3] || range[3] === range[1]) && isIP(range[1] + range[2]) === 4) {
      const from = Number(range[2]);
      const to = Number(range[4]);
      if (to < from || to > 255) throw new UsageError(`--local-address: range "${v}" must go up, within one /24 (last octet ≤ 255)`);
      for (let i = from; i <= to; i++) out.push(range[1] + i);
    } else if (isIP(v)) out.push(v);
    else throw new UsageError(`--local-address: "${v}" is not an IP address or a range like 127.0.0.2-127.0.0.9`);
  }
  return out;
}

/** --subprotocol: a token (RFC 6455: an HTTP token, as ws checks it), or `none` ('': offer none). */
function subprotocolOption(value: string | undefined): string {
  const v = (value ?? DEFAULT_SUBPROTOCOL).trim();
  if (v === 'none') return '';
  if (!/^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/.test(v)) {
    throw new UsageError(`--subprotocol: "${v}" is not a WebSocket subprotocol name (one token, no spaces or commas); give a name like mcp, or none`);
  }
  return v;
}

/** Apply the command line's overrides to a profile. */
function overrideProfile(profile: Profile, raw: RawRunOptions): Profile {
  const p = { ...profile };
  const clients = positiveInt('clients', raw.clients, 1_000_000);
  if (clients !== undefined) p.clients = clients;
  if (raw.rate !== undefined) {
    if (!(raw.rate > 0) || !Number.isFinite(raw.rate)) throw new UsageError(`--rate: requests per second per client must be above 0 (got ${raw.rate})`);
    // One session cannot send more than this through one socket; beyond it the number is a typo.
    if (raw.rate > MAX_RATE_PER_CLIENT)
      throw new UsageError(
        `--rate: at most ${MAX_RATE_PER_CLIENT.toLocaleString('en-US')} requests per second per client (got ${raw.rate}); for more load, add --clients`,
      );
    p.rate = raw.rate;
  }
  overrideModel(p, raw);
  const timeout = duration('timeout', raw.timeout, false);
  if (timeout !== undefined) p.timeoutMs = timeout;
  const tools = list(raw.tools);
  if (tools.length) p.discovery = { seed: p.discovery?.seed ?? 1, tools: [...(p.discovery?.tools ?? []), ...tools] };
  return p;
}

/** --model and --concurrency: the closed model has no rate, the open model no concurrency. */
function overrideModel(p: Profile, raw: RawRunOptions): void {
  if (raw.model !== undefined && raw.model !== 'open' && raw.model !== 'closed') throw new UsageError(`--model: must be open or closed (got ${raw.model})`);
  const concurrency = positiveInt('concurrency', raw.concurrency, 100_000);
  if (raw.model === 'closed' && !p.closed) {
    if (p.stages.some((s) => s.rate !== undefined))
      throw new UsageError("--model closed: the profile's stages set a rate, which a closed model has not (drop stages[].rate)");
    p.closed = { concurrency: 1, thinkMinMs: 0, thinkMaxMs: 0 };
  } else if (raw.model === 'open' && p.closed) {
    if (raw.rate === undefined) throw new UsageError('--model open: the profile is a closed model with no rate; give --rate too');
    p.closed = undefined;
    p.burst = Math.max(1, Math.ceil(p.rate * 0.1));
  }
  if (p.closed) {
    if (raw.rate !== undefined)
      throw new UsageError('--rate: a closed model has no rate (each client sends when a request ends); give --model open, or --concurrency');
    p.rate = 0;
    p.burst = 1;
    if (concurrency !== undefined) p.closed = { ...p.closed, concurrency };
  } else if (concurrency !== undefined) throw new UsageError('--concurrency: is for the closed model; give --model closed too (the open model has --rate)');
}

/** Shards split the profile the whole cluster runs: a shard with no client at its peak is bad input. */
function shardOf(raw: RawRunOptions, whole: Profile): { shard?: Shard; profile: Profile } {
  const shard = parseShard(raw.shard, raw.shards);
  if (!shard) return { profile: whole };
  const profile = shardProfile(whole, shard);
  if (peakClients(profile) === 0)
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: the profile's ${peakClients(whole)} clients leave this shard none; run at most ${peakClients(whole)} shards, or give more --clients`,
    );
  return { shard, profile };
}

/** `base`: a profile already loaded (a plan's phase, inline or with its stages replaced) instead of raw.profile. */
export function resolveRunOptions(raw: RawRunOptions, base?: Profile): RunOptions {
  const { shard, profile } = shardOf(raw, overrideProfile(base ?? loadProfile(raw.profile ?? 'normal'), raw));
  const startAtMs = parseStartAt(raw.startAt);
  const lingerMs = duration('linger', raw.linger, true) ?? (shard ? DEFAULT_SHARD_LINGER_MS : 0);
  const urls = list(raw.url).map(validateUrl);
  const transport = resolveTransport(raw.transport, urls);
  const stageMs = stagesDurationMs(profile);
  const durationMs: number = duration('duration', raw.duration, true) ?? (stageMs > 0 ? stageMs : (parseDuration(DEFAULT_DURATION) as number));
  const warmupMs = duration('warmup', raw.warmup, true) ?? 0;
  if (warmupMs > 0 && profile.arrivalRate !== undefined)
    throw new UsageError('--warmup: a profile with arrivalRate starts its sessions on its schedule; warm-up is for a fixed set of clients (drop --warmup)');
  const wholeConnectRate = raw.connectRate ?? 0;
  if (!(wholeConnectRate >= 0) || !Number.isFinite(wholeConnectRate))
    throw new UsageError(`--connect-rate: new sessions per second must be 0 (no limit) or more (got ${raw.connectRate})`);
  const connectRate = shard ? rateShareOf(wholeConnectRate, shard) : wholeConnectRate;
  const terminator = raw.frameTerminator ?? 'newline';
  if (terminator !== 'newline' && terminator !== 'none') throw new UsageError(`--frame-terminator: must be newline or none (got ${terminator})`);
  const protocolVersion = raw.protocolVersion ?? DEFAULT_PROTOCOL_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(protocolVersion))
    throw new UsageError(`--protocol-version: an MCP revision looks like ${DEFAULT_PROTOCOL_VERSION} (got ${protocolVersion})`);
  const progress = duration('progress-interval', raw.progressInterval ?? DEFAULT_PROGRESS_INTERVAL, false) as number;
  const metricsPort = raw.metricsPort ?? 0;
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
    throw new UsageError(`--metrics-port: must be a port number from 1 to 65535, or 0 to turn the metrics endpoint off (got ${raw.metricsPort})`);
  }
  const metricsHost = raw.metricsHost ?? DEFAULT_METRICS_HOST;
  if (!isIP(metricsHost) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(metricsHost)) {
    throw new UsageError(`--metrics-host: "${metricsHost}" is not an address or host name; write it like 0.0.0.0 (all interfaces) or 127.0.0.1`);
  }
  const processes = positiveInt('processes', raw.processes, 64) ?? 1;
  const localPorts = portRange(raw.localPorts);
  const localAddresses = expandLocalAddresses(list(raw.localAddress));
  checkCapacity({
    sessions: peakClients(profile),
    processes,
    targetInProcess: urls.length === 0,
    urls: Math.max(1, urls.length),
    localAddresses: localAddresses.length,
    localPorts: localPorts.to - localPorts.from + 1,
  });
  const thresholds = parseThresholds(raw.threshold);
  if (profile.closed) {
    const open = thresholds.find((t) => (t.metric.kind === 'ratio' && t.metric.of === 'dropped') || (t.metric.kind === 'rate' && t.relative));
    if (open) throw new UsageError(`--threshold '${open.expr}': a closed model has no schedule, so nothing is dropped and there is no target rate`);
  }
  if (raw.abortOnFail && thresholds.length === 0) throw new UsageError('--abort-on-fail: give at least one --threshold to abort on');
  const drainMs = duration('drain-timeout', raw.drainTimeout, true) ?? DEFAULT_DRAIN_TIMEOUT_MS;
  if (drainMs > MAX_DRAIN_TIMEOUT_MS)
    throw new UsageError(`--drain-timeout: at most 10m (got ${raw.drainTimeout}); keep it under the stop grace period of your orchestrator`);
  const tls = tlsOptions(raw);
  const streams = list(raw.out).map(parseStreamOutput);
  checkOutputs({ reportPath: raw.report, htmlPath: raw.html, streams });
  return {
    profile,
    urls,
    transport,
    localAddresses,
    durationMs: durationMs === 0 ? Infinity : durationMs,
    ...(warmupMs > 0 ? { warmupMs } : {}),
    connectRate,
    headers: parseHeaders(raw.header ?? []),
    protocolVersion,
    workers: positiveInt('workers', raw.workers, 256) ?? Math.max(1, Math.floor(availableParallelism() / processes)),
    processes,
    localPorts,
    frameTerminator: terminator,
    subprotocol: subprotocolOption(raw.subprotocol),
    reportPath: raw.report,
    progressIntervalMs: progress,
    quiet: raw.quiet ?? false,
    logLevel: raw.logLevel ?? 'info',
    metricsPort,
    metricsHost,
    thresholds,
    abortOnFail: raw.abortOnFail ?? false,
    htmlPath: raw.html,
    ...(streams.length ? { streams } : {}),
    drainMs,
    ...(tls ? { tls } : {}),
    ...(shard ? { shard } : {}),
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    ...(lingerMs > 0 ? { lingerMs } : {}),
    ...(raw.spin ? { spin: true } : {}),
    ...(raw.httpGetStream ? { httpGetStream: true } : {}),
  };
}

/** --ca FILE (PEM, read now so a bad file is bad input) and --insecure; undefined: verify against the system CAs. */
function tlsOptions(raw: RawRunOptions): TlsOptions | undefined {
  if (raw.ca !== undefined && raw.insecure) {
    throw new UsageError('--ca and --insecure contradict each other: --ca verifies the server against FILE, --insecure turns verification off; give one');
  }
  if (raw.insecure) return { insecure: true };
  if (raw.ca === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(raw.ca, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : describe(err);
    throw new UsageError(`--ca: cannot read ${raw.ca} (${why}); give the PEM file of the CA that signed the server's certificate`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new UsageError(`--ca: ${raw.ca} holds no PEM certificate; give a file with a -----BEGIN CERTIFICATE----- block`);
  }
  return { ca: pem };
}
