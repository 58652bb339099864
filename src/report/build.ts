/**
 * The run's report: one JSON document (versioned; histograms encoded so `mcpload merge` can add
 * replicas exactly) and its text rendering for the terminal.
 */
import type { RunOptions } from '../config/types.js';
import { peakClients, plannedRequestRate } from '../config/stages.js';
import { ERROR_TYPES, ErrorIndex, failedOf, pickOutcomes, type ErrorType } from '../shared/counters.js';
import { encodeHistogram, summarize } from '../shared/stats.js';
import { distinctTargets } from '../shared/targets.js';
import type { Aggregate, MethodTotals } from '../main/aggregate.js';
import {
  REPORT_VERSION,
  type GeneratorReport,
  type MethodReport,
  type RunFigures,
  type RunReport,
  type ShardReport,
  type TargetReport,
  type ThresholdSource,
} from './types.js';
import { SNAPSHOT_INTERVAL_MS } from '../config/defaults.js';
import { VERSION } from '../shared/version.js';
import { flowReport } from './flow-report.js';
import { streamsOf } from './streams.js';

/** The warning a report (and the progress line) gives when the generator limited the rate. */
export function generatorWarning(limitedSeconds: number, durationSeconds: number): string | undefined {
  if (limitedSeconds <= 0) return undefined;
  return (
    `the generator limited the rate for ${limitedSeconds} of ${Math.max(1, Math.round(durationSeconds))} s (an engine's event loop was saturated and sent late): ` +
    'add --workers or --processes, or spread the clients over more replicas'
  );
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
    gcSeconds: g.engineGcSeconds.reduce((a, b) => a + (b ?? 0), 0),
    maxGcMsPerSecond: g.maxGcMsPerSecond,
    ...(warning ? { warning } : {}),
  };
}

/** Seconds from the first established session to the end of sending (or `endedAtMs`): the window rates are measured over. */
function windowSeconds(agg: Aggregate, opts: RunOptions, endedAtMs: number): number {
  // After a warm-up the sessions were established before measuring started: the window starts with it.
  const windowStart = opts.warmupMs ? Math.max(agg.firstEstablishedAtMs, agg.startedAtMs) : agg.firstEstablishedAtMs || agg.startedAtMs;
  const windowEnd = agg.sendingStoppedAtMs || endedAtMs;
  return Math.max(0.001, (windowEnd - windowStart) / 1000);
}

/** The report's totals, latency, throughput and sessions: what thresholds read. */
function runFigures(agg: Aggregate, opts: RunOptions, seconds: number): RunFigures {
  const errors = Object.fromEntries(ERROR_TYPES.map((e, i) => [e, agg.errors[i]])) as Record<ErrorType, number>;
  const t = agg.totals();
  // Requests in flight on an engine that died never got an outcome: they failed.
  const failed = failedOf(t) + agg.errors[ErrorIndex.lost];
  const target = plannedRequestRate(opts);
  const rps = t.sent / seconds;
  return {
    requests: { sent: t.sent, ok: t.ok, failed, dropped: t.dropped, queued: t.queued, successRate: t.ok + failed > 0 ? t.ok / (t.ok + failed) : 0 },
    latency: { unit: 'us', corrected: summarize(agg.latency), raw: summarize(agg.latencyRaw) },
    throughput: {
      requestsPerSecond: rps,
      targetRequestsPerSecond: target,
      achievedRatio: target > 0 ? rps / target : 0,
      bytesSentPerSecond: agg.bytesSent / seconds,
      bytesReceivedPerSecond: agg.bytesReceived / seconds,
    },
    sessions: {
      wanted: peakClients(opts.profile),
      peak: agg.peakSessionsOpen,
      established: agg.sessionsEstablished,
      reconnects: agg.reconnects,
      ...(agg.sessionsLost > 0 || agg.lostEngines.length > 0 ? { lost: agg.sessionsLost } : {}),
      ...(Object.keys(agg.subprotocols).length > 0 ? { subprotocols: { ...agg.subprotocols } } : {}),
      handshake: summarize(agg.handshake),
    },
    errors,
  };
}

function methodReport(m: MethodTotals): MethodReport {
  return { ...pickOutcomes(m), latency: { corrected: summarize(m.latency), raw: summarize(m.latencyRaw) } };
}

/** The report's targets and their histograms, in mix order. */
function targetReports(agg: Aggregate, opts: RunOptions): { targets: Record<string, TargetReport>; hists: NonNullable<RunReport['histograms']['targets']> } {
  const targets: Record<string, TargetReport> = {};
  const hists: NonNullable<RunReport['histograms']['targets']> = {};
  for (const { key, method, target } of distinctTargets(opts.profile.mix)) {
    const t = agg.targets.get(key);
    if (!t) continue;
    targets[key] = { method, target, ...methodReport(t) };
    hists[key] = { latency: encodeHistogram(t.latency), latencyRaw: encodeHistogram(t.latencyRaw) };
  }
  return { targets, hists };
}

/**
 * The run so far as thresholds read it, straight from the Aggregate: the report's figures without
 * building the rest of the report or encoding any histogram (--abort-on-fail asks every second).
 */
export function liveFigures(agg: Aggregate, opts: RunOptions, nowMs: number): ThresholdSource {
  return {
    ...runFigures(agg, opts, windowSeconds(agg, opts, nowMs)),
    histogramOf: (series) => (series === 'handshake' ? agg.handshake : series === 'raw' ? agg.latencyRaw : agg.latency),
  };
}

function closedConfig(opts: RunOptions): Pick<RunReport['config'], 'concurrency' | 'thinkTimeMs'> {
  const c = opts.profile.closed;
  return c ? { concurrency: c.concurrency, thinkTimeMs: { min: c.thinkMinMs, max: c.thinkMaxMs } } : {};
}

/** --shard and --start-at, as the report records them. */
function shardReport(opts: RunOptions, startSkewMs: number | undefined): ShardReport | undefined {
  if (!opts.shard) return undefined;
  return {
    ...opts.shard,
    ...(opts.startAtMs !== undefined ? { startAt: new Date(opts.startAtMs).toISOString() } : {}),
    ...(startSkewMs !== undefined ? { startSkewMs } : {}),
  };
}

export function buildReport(
  agg: Aggregate,
  opts: RunOptions,
  urls: string[],
  meta: { endedAtMs: number; workers: number; v8PoolSize?: number; othersNice?: number; interrupted?: string; startSkewMs?: number },
): RunReport {
  const shard = shardReport(opts, meta.startSkewMs);
  const seconds = windowSeconds(agg, opts, meta.endedAtMs);
  const figures = runFigures(agg, opts, seconds);
  const methods: Record<string, MethodReport> = {};
  const methodHists: RunReport['histograms']['methods'] = {};
  for (const [name, m] of agg.methods) {
    methods[name] = methodReport(m);
    methodHists[name] = { latency: encodeHistogram(m.latency), latencyRaw: encodeHistogram(m.latencyRaw) };
  }
  const targets = targetReports(agg, opts);
  const flow = flowReport(agg.flow, opts.profile);
  const streams = streamsOf(agg);
  const { errors, ...rest } = figures;
  return {
    reportVersion: REPORT_VERSION,
    tool: { name: 'mcpload', version: VERSION },
    runId: agg.runId,
    profile: opts.profile.name,
    model: opts.profile.closed ? 'closed' : 'open',
    startedAt: new Date(agg.startedAtMs).toISOString(),
    endedAt: new Date(meta.endedAtMs).toISOString(),
    durationSeconds: seconds,
    sendingSeconds: Math.max(0, ((agg.sendingStoppedAtMs || meta.endedAtMs) - agg.startedAtMs) / 1000),
    ...(meta.interrupted ? { interrupted: meta.interrupted } : {}),
    ...(shard ? { shard } : {}),
    ...(opts.warmupMs ? { warmup: { seconds: opts.warmupMs / 1000, ...(agg.warmup ?? { sent: 0, ok: 0, failed: 0, dropped: 0 }) } } : {}),
    config: {
      clients: opts.profile.clients,
      ratePerClient: opts.profile.rate,
      messageSize: opts.profile.messageSize,
      urls: urls.map(redactUrl),
      workers: meta.workers,
      ...(meta.v8PoolSize !== undefined ? { v8PoolSize: meta.v8PoolSize } : {}),
      ...(meta.othersNice !== undefined ? { othersNice: meta.othersNice } : {}),
      protocolVersion: opts.protocolVersion,
      connectRate: opts.connectRate,
      ...(opts.spin ? { spin: true as const } : {}),
      ...closedConfig(opts),
      ...(opts.profile.stages.length
        ? {
            stages: opts.profile.stages.map((s) => ({
              durationSeconds: s.durationMs / 1000,
              clients: s.clients,
              ...(s.rate !== undefined ? { rate: s.rate } : {}),
            })),
          }
        : {}),
      ...(opts.profile.arrivalRate !== undefined ? { arrivalRate: opts.profile.arrivalRate } : {}),
    },
    ...rest,
    errors,
    messages: { sent: { ...agg.messagesSent }, received: { ...agg.messagesReceived } },
    ...(streams.streams ? { streams: streams.streams } : {}),
    methods,
    targets: targets.targets,
    ...flow.part,
    errorDetails: agg.errorDetails.top(),
    timeline: agg.timeline,
    ...(agg.lostEngines.length ? { lostEngines: agg.lostEngines.map((e) => ({ ...e })) } : {}),
    generator: generatorReport(agg, figures.requests.sent, seconds),
    histograms: {
      latency: encodeHistogram(agg.latency),
      latencyRaw: encodeHistogram(agg.latencyRaw),
      handshake: encodeHistogram(agg.handshake),
      methods: methodHists,
      targets: targets.hists,
      ...flow.hists,
      ...(streams.histograms && Object.keys(streams.histograms).length ? { streams: streams.histograms } : {}),
    },
  };
}
