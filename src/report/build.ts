/**
 * The run's report: one JSON document (versioned; histograms encoded so `mcpload merge` can add
 * replicas exactly) and its text rendering for the terminal.
 */
import type { RunOptions } from '../config/types.js';
import { plannedClients, plannedRate } from '../config/stages.js';
import { ERROR_TYPES, type ErrorType } from '../shared/errors.js';
import { encodeHistogram, summarize, type LatencySummary } from '../shared/stats.js';
import type { Aggregate, TimelinePoint } from '../main/aggregate.js';
import type { ThresholdResult } from './thresholds.js';
import { SNAPSHOT_INTERVAL_MS } from '../config/defaults.js';
import { VERSION } from '../shared/version.js';

export const REPORT_VERSION = 1;

export interface MethodReport {
  sent: number;
  ok: number;
  rpcError: number;
  timeout: number;
  closed: number;
  dropped: number;
  latency: { corrected: LatencySummary; raw: LatencySummary };
}

export interface RunReport {
  reportVersion: number;
  tool: { name: 'mcpload'; version: string };
  profile: string;
  startedAt: string;
  endedAt: string;
  /** Seconds from the first established session to the end of sending: the window rates are measured over. */
  durationSeconds: number;
  interrupted?: string;
  /** Set by `mcpload merge`: how many replica reports this one adds up. */
  merged?: { replicas: number };
  config: {
    clients: number;
    ratePerClient: number;
    messageSize: number;
    urls: string[];
    workers: number;
    protocolVersion: string;
    connectRate: number;
    /** Present when the engines ran with --spin (sends on time, a busy core each). */
    spin?: true;
  };
  requests: { sent: number; ok: number; failed: number; dropped: number; successRate: number };
  /** Latency in microseconds: corrected = from the intended send time; raw = from the actual send time. */
  latency: { unit: 'us'; corrected: LatencySummary; raw: LatencySummary };
  throughput: {
    requestsPerSecond: number;
    targetRequestsPerSecond: number;
    /** Achieved over target. */
    achievedRatio: number;
    bytesSentPerSecond: number;
    bytesReceivedPerSecond: number;
  };
  sessions: { wanted: number; peak: number; established: number; reconnects: number; handshake: LatencySummary };
  errors: Record<ErrorType, number>;
  messages: { sent: Record<string, number>; received: Record<string, number> };
  methods: Record<string, MethodReport>;
  timeline: TimelinePoint[];
  /** How the generator itself did (absent in reports of older versions). */
  generator?: GeneratorReport;
  /** The --threshold results, when any were given (schema/report.schema.json documents every field). */
  thresholds?: ThresholdResult[];
  /** Encoded HdrHistograms (µs), for exact merging across replicas. */
  histograms: { latency: string; latencyRaw: string; handshake: string; methods: Record<string, { latency: string; latencyRaw: string }> };
}

export interface GeneratorReport {
  /** Seconds in which an engine, not the target, limited the rate (saturated event loop, late sends). */
  limitedSeconds: number;
  /** CPU seconds of the engine threads, all together and each (Linux; 0 and [] elsewhere). */
  cpuSeconds: number;
  engineCpuSeconds: number[];
  /** Engine CPU per request sent, µs (0 when nothing was sent or CPU is unknown). */
  cpuPerRequestUs: number;
  maxLoopUtilization: number;
  maxLoopLagMs: number;
  /** Set when limitedSeconds > 0: the achieved rate says more about mcpload than about the target. */
  warning?: string;
}

/** The warning a report (and the progress line) gives when the generator limited the rate. */
export function generatorWarning(limitedSeconds: number, durationSeconds: number): string | undefined {
  if (limitedSeconds <= 0) return undefined;
  return (
    `the generator limited the rate for ${limitedSeconds} of ${Math.max(1, Math.round(durationSeconds))} s (an engine's event loop was saturated and sent late): ` +
    'add --workers or --processes, or spread the clients over more replicas'
  );
}

/** Requests/s the profile asks for, averaged over the run (stages included). */
export function plannedRequestRate(opts: RunOptions): number {
  const { profile, durationMs } = opts;
  if (profile.stages.length === 0) return profile.clients * profile.rate;
  const steps = 1000;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const t = ((i + 0.5) / steps) * durationMs;
    sum += plannedClients(profile, t) * plannedRate(profile, t);
  }
  return sum / steps;
}

/** URLs without credentials (user:password@ never reaches a report). */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = 'redacted';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url;
  }
}

function generatorReport(agg: Aggregate, sent: number, seconds: number): GeneratorReport {
  const g = agg.generator;
  const engineCpuSeconds = Array.from(g.engineCpuSeconds, (c) => c ?? 0);
  const cpuSeconds = engineCpuSeconds.reduce((a, b) => a + b, 0);
  const limitedSeconds = Math.round((g.limitedIntervals * SNAPSHOT_INTERVAL_MS) / 1000);
  const warning = generatorWarning(limitedSeconds, seconds);
  return {
    limitedSeconds,
    cpuSeconds,
    engineCpuSeconds,
    cpuPerRequestUs: sent > 0 ? (cpuSeconds / sent) * 1e6 : 0,
    maxLoopUtilization: g.maxLoopUtilization,
    maxLoopLagMs: g.maxLoopLagMs,
    ...(warning ? { warning } : {}),
  };
}

export function buildReport(agg: Aggregate, opts: RunOptions, urls: string[], meta: { endedAtMs: number; workers: number; interrupted?: string }): RunReport {
  const t = agg.totals();
  const failed = t.rpcError + t.timeout + t.closed;
  const windowStart = agg.firstEstablishedAtMs || agg.startedAtMs;
  const windowEnd = agg.sendingStoppedAtMs || meta.endedAtMs;
  const seconds = Math.max(0.001, (windowEnd - windowStart) / 1000);
  const target = plannedRequestRate(opts);
  const rps = t.sent / seconds;
  const methods: Record<string, MethodReport> = {};
  const methodHists: RunReport['histograms']['methods'] = {};
  for (const [name, m] of agg.methods) {
    const { latency, latencyRaw, ...counts } = m;
    methods[name] = { ...counts, latency: { corrected: summarize(latency), raw: summarize(latencyRaw) } };
    methodHists[name] = { latency: encodeHistogram(latency), latencyRaw: encodeHistogram(latencyRaw) };
  }
  const errors = Object.fromEntries(ERROR_TYPES.map((e, i) => [e, agg.errors[i]])) as Record<ErrorType, number>;
  return {
    reportVersion: REPORT_VERSION,
    tool: { name: 'mcpload', version: VERSION },
    profile: opts.profile.name,
    startedAt: new Date(agg.startedAtMs).toISOString(),
    endedAt: new Date(meta.endedAtMs).toISOString(),
    durationSeconds: seconds,
    ...(meta.interrupted ? { interrupted: meta.interrupted } : {}),
    config: {
      clients: opts.profile.clients,
      ratePerClient: opts.profile.rate,
      messageSize: opts.profile.messageSize,
      urls: urls.map(redactUrl),
      workers: meta.workers,
      protocolVersion: opts.protocolVersion,
      connectRate: opts.connectRate,
      ...(opts.spin ? { spin: true as const } : {}),
    },
    requests: { sent: t.sent, ok: t.ok, failed, dropped: t.dropped, successRate: t.ok + failed > 0 ? t.ok / (t.ok + failed) : 0 },
    latency: { unit: 'us', corrected: summarize(agg.latency), raw: summarize(agg.latencyRaw) },
    throughput: {
      requestsPerSecond: rps,
      targetRequestsPerSecond: target,
      achievedRatio: target > 0 ? rps / target : 0,
      bytesSentPerSecond: agg.bytesSent / seconds,
      bytesReceivedPerSecond: agg.bytesReceived / seconds,
    },
    sessions: {
      wanted: opts.profile.stages.length ? Math.max(opts.profile.clients, ...opts.profile.stages.map((s) => s.clients)) : opts.profile.clients,
      peak: agg.peakSessionsOpen,
      established: agg.sessionsEstablished,
      reconnects: agg.reconnects,
      handshake: summarize(agg.handshake),
    },
    errors,
    messages: { sent: { ...agg.messagesSent }, received: { ...agg.messagesReceived } },
    methods,
    timeline: agg.timeline,
    generator: generatorReport(agg, t.sent, seconds),
    histograms: { latency: encodeHistogram(agg.latency), latencyRaw: encodeHistogram(agg.latencyRaw), handshake: encodeHistogram(agg.handshake), methods: methodHists },
  };
}
