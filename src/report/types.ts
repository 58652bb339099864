/**
 * The shape of a run's report, declared once: what `--report` writes (schema/report.schema.json
 * documents every field), what `mcpload merge` reads and writes, and what the text and HTML
 * renderings and threshold evaluation read.
 */
import type { Op } from '../config/thresholds.js';
import type { ErrorType, OutcomeCounts } from '../shared/counters.js';
import type { ErrorDetail } from '../shared/error-details.js';
import type { Histogram, LatencySummary } from '../shared/stats.js';
import type { LostEngine, TimelinePoint } from '../main/aggregate.js';

export const REPORT_VERSION = 1;

/** One method's outcomes (counters.ts) and latency summaries. */
export interface MethodReport extends OutcomeCounts {
  latency: { corrected: LatencySummary; raw: LatencySummary };
}

/** One target's figures (a tool, prompt or resource URI of a method: shared/targets.ts). */
export interface TargetReport extends MethodReport {
  method: string;
  /** The tool or prompt name, the resource URI, or "(other)" past the cap. */
  target: string;
}

export interface RunReport {
  reportVersion: number;
  tool: { name: 'mcpload'; version: string };
  profile: string;
  /**
   * open: each client sends at its rate on schedule (dropped, target rate and corrected latency apply);
   * closed: each client keeps `config.concurrency` requests in flight (no schedule: nothing is dropped,
   * there is no target rate, and corrected latency equals raw). Absent in reports of earlier builds: open.
   */
  model?: 'open' | 'closed';
  startedAt: string;
  endedAt: string;
  /** Seconds from the first established session to the end of sending: the window rates are measured over. */
  durationSeconds: number;
  interrupted?: string;
  /** Set by `mcpload merge`: how many replica reports this one adds up. */
  merged?: { replicas: number; runIds?: string[] };
  /** Random per run; `mcpload merge` refuses the same run twice (absent in reports of earlier builds). */
  runId?: string;
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
    /** The closed model: requests in flight per session, and the think time between a request's end and the next. */
    concurrency?: number;
    thinkTimeMs?: { min: number; max: number };
  };
  requests: {
    sent: number;
    ok: number;
    failed: number;
    dropped: number;
    /** Never sent: still waiting inside mcpload for a pooled connection (Streamable HTTP) at their timeout or the run's end. Absent in reports of older versions. */
    queued?: number;
    successRate: number;
  };
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
  /**
   * lost: sessions open on engines that died (present only when an engine died). subprotocols: sessions
   * established over WebSocket by the subprotocol the server selected, 'none' for none (absent without any).
   */
  sessions: {
    wanted: number;
    peak: number;
    established: number;
    reconnects: number;
    lost?: number;
    subprotocols?: Record<string, number>;
    handshake: LatencySummary;
  };
  /** Engines that died before their final snapshot: the figures have a gap there (absent when none did). */
  lostEngines?: LostEngine[];
  errors: Record<ErrorType, number>;
  messages: { sent: Record<string, number>; received: Record<string, number> };
  /**
   * The streaming surface (subscriptions, cancellation, server requests, 2026-07-28 retries): events by
   * kind and latencies by kind, µs (counters.ts STREAM_EVENTS, STREAM_LATENCIES); absent when a run saw none.
   */
  streams?: { events: Record<string, number>; latency: Record<string, LatencySummary> };
  methods: Record<string, MethodReport>;
  /** Per target, keyed `method target` (`tools/call echo`), capped at MAX_TARGETS (absent in reports of older versions). */
  targets?: Record<string, TargetReport>;
  /** The most frequent rpc and tool error reasons of each method, redacted and cut (absent in reports of older versions). */
  errorDetails?: ErrorDetail[];
  timeline: TimelinePoint[];
  /** How the generator itself did (absent in reports of older versions). */
  generator?: GeneratorReport;
  /** The --threshold results, when any were given (schema/report.schema.json documents every field). */
  thresholds?: ThresholdResult[];
  /** Encoded HdrHistograms (µs), for exact merging across replicas. */
  histograms: {
    latency: string;
    latencyRaw: string;
    handshake: string;
    methods: Record<string, { latency: string; latencyRaw: string }>;
    /** Like methods, per target (absent in reports of older versions). */
    targets?: Record<string, { latency: string; latencyRaw: string }>;
    /** The streaming surface's latencies by kind (absent without any). */
    streams?: Record<string, string>;
  };
}

/** The report's totals, latency, throughput, sessions and errors: the figures thresholds are measured on. */
export type RunFigures = Pick<RunReport, 'requests' | 'latency' | 'throughput' | 'sessions' | 'errors'>;

/**
 * What thresholds are evaluated on: a run's figures and the histogram behind each latency series (for the
 * percentiles the summaries do not hold). Made from a report (its encoded histograms, decoded) or, while
 * the run is under way, from the Aggregate itself (build.ts liveFigures: nothing encoded).
 */
export interface ThresholdSource extends RunFigures {
  histogramOf(series: 'corrected' | 'raw' | 'handshake'): Histogram | undefined;
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

export interface ThresholdResult {
  expr: string;
  metric: string;
  op: Op;
  /** The measured value (µs, fraction, req/s, sessions); NaN when the report has no samples for it. */
  actual: number;
  /** The value compared against, resolved (a relative rate becomes req/s). */
  limit: number;
  passed: boolean;
  /** The actual value as a person reads it: "189ms", "2.31%", "1,877 req/s", "no samples". */
  pretty: string;
  prettyLimit: string;
}
