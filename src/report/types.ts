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

/** Timing of the requests that asked for progress (µs): send to first notification, between notifications, send to answer. */
export interface ProgressReport {
  notifications: number;
  firstProgress: LatencySummary;
  gap: LatencySummary;
  total: LatencySummary;
}

/** One request step of the flow: outcomes and latency (corrected: from when the flow meant to send it). */
export interface StepReport extends MethodReport {
  method: string;
  /** The tool or prompt name or resource URI it acts on, if any. */
  target?: string;
  progress?: ProgressReport;
}

/** Encoded HdrHistograms of the progress timing (µs). */
export interface ProgressHistograms {
  first: string;
  gap: string;
  total: string;
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
  /**
   * Seconds from startedAt (timeline second 0) to the end of sending: timeline second N covers [N, N+1), so
   * the last second of sending is partial unless this is whole, and seconds past it hold only the drain.
   * Absent in reports of older versions.
   */
  sendingSeconds?: number;
  interrupted?: string;
  /** Set by `mcpload merge` (and `mcpload watch`): how many replica reports this one adds up, and each one's headline figures. */
  merged?: {
    replicas: number;
    runIds?: string[];
    byReplica?: ReplicaSummary[];
    /** The shards it adds up, by index (present when the replicas ran with --shard). */
    shards?: ShardReport[];
    /** `mcpload watch`: replicas that vanished before their run finished (their figures end at their last snapshot). */
    vanished?: VanishedReplica[];
  };
  /** --shard i/n: which share of the profile this run was, and with --start-at how late it started. */
  shard?: ShardReport;
  /**
   * --warmup: the sessions connected and sent this long before startedAt; the requests due then are
   * counted here only (in no latency, rate, timeline or threshold). Absent: no warm-up.
   */
  warmup?: { seconds: number; sent: number; ok: number; failed: number; dropped: number };
  /** Present on a live `GET /snapshot` answer only, never in a report file. */
  snapshot?: { finished: boolean };
  /** Random per run; `mcpload merge` refuses the same run twice (absent in reports of earlier builds). */
  runId?: string;
  config: {
    clients: number;
    ratePerClient: number;
    messageSize: number;
    urls: string[];
    workers: number;
    /** V8's background thread pool where the engines ran (main/engines.ts v8PoolSize); absent in older reports and in a merge of replicas that differ. */
    v8PoolSize?: number;
    /** Nice steps the process's threads other than the engines' ran below them (main/priority.ts); absent when none was lowered, and in a merge of replicas that differ. */
    othersNice?: number;
    protocolVersion: string;
    connectRate: number;
    /** Present when the engines ran with --spin (sends on time, a busy core each). */
    spin?: true;
    /** The closed model: requests in flight per session, and the think time between a request's end and the next. */
    concurrency?: number;
    thinkTimeMs?: { min: number; max: number };
    /** The profile's stages, when it has any: each ramps from the previous target (the clients above first) to its own. */
    stages?: { durationSeconds: number; clients: number; rate?: number }[];
    /** Session arrivals: new sessions per second at the start (stages may ramp it). */
    arrivalRate?: number;
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
  /** Sessions that ran the profile's flow: started (arrived, or began it) and run to their end; absent without a flow. */
  /** `abandoned`: arrivals that gave up connecting after their attempts (absent in reports of older mcpload). */
  flows?: { started: number; completed: number; abandoned?: number };
  /** Per request step of the flow, keyed by its name, in flow order (absent without a flow). */
  steps?: Record<string, StepReport>;
  /** Progress timing of every request that asked for it (absent when none did). */
  progress?: ProgressReport;
  /** The most frequent rpc and tool error reasons of each method, redacted and cut (absent in reports of older versions). */
  errorDetails?: ErrorDetail[];
  timeline: TimelinePoint[];
  /** How the generator itself did (absent in reports of older versions). */
  generator?: GeneratorReport;
  /** The --threshold results, when any were given (schema/report.schema.json documents every field). */
  thresholds?: ThresholdResult[];
  /** A plan phase's failover window (expect: reconnects): absent elsewhere. */
  failover?: FailoverReport;
  /** Set on the report of `mcpload plan`: this report is the plan's total, each phase's report is in here. */
  plan?: PlanReport;
  /** Encoded HdrHistograms (µs), for exact merging across replicas. */
  histograms: {
    latency: string;
    latencyRaw: string;
    handshake: string;
    methods: Record<string, { latency: string; latencyRaw: string }>;
    /** Like methods, per target (absent in reports of older versions). */
    targets?: Record<string, { latency: string; latencyRaw: string }>;
    /** Like methods, per flow step, with its progress when it asked for it (absent without a flow). */
    steps?: Record<string, { latency: string; latencyRaw: string; progress?: ProgressHistograms }>;
    /** The progress timing of `progress` (absent when no request asked for progress). */
    progress?: ProgressHistograms;
    /** The streaming surface's latencies by kind (absent without any). */
    streams?: Record<string, string>;
  };
}

export interface ShardReport {
  index: number;
  count: number;
  /** --start-at, as given (ISO). */
  startAt?: string;
  /** How late this shard's engines started after --start-at (ms; 0 on time). */
  startSkewMs?: number;
}

export interface VanishedReplica {
  /** Where it was watched (its /snapshot URL). */
  source: string;
  shard?: { index: number; count: number };
  /** When it last answered (ISO); absent if it never did. */
  lastSeenAt?: string;
}

/** The report's totals, latency, throughput, sessions and errors: the figures thresholds are measured on. */
export type RunFigures = Pick<RunReport, 'requests' | 'latency' | 'throughput' | 'sessions' | 'errors' | 'failover'>;

/**
 * A failover window: sessions closed under the load (a server replica restarted) and how long until
 * every session was back. Seen on the main thread's snapshots, so times are good to about a second.
 */
export interface FailoverReport {
  /** Sessions closed: the deepest drop in open sessions below the number held before the first close. */
  closedSessions: number;
  /** Reconnects counted in the phase. */
  reconnects: number;
  /** Seconds of the phase at which open sessions first fell (null: no close was seen). */
  firstCloseSecond: number | null;
  /** Seconds from the first close until open sessions were back to what they were before it (null: not back by the end). */
  recoverySeconds: number | null;
}

/** `mcpload plan`: the plan's phases, each with its own full report; the enclosing report is their exact merge. */
export interface PlanReport {
  name: string;
  /** The handshake checked before the first phase. */
  preflight?: { url: string; server: string; protocolVersion: string; ms: number };
  phases: PhaseReport[];
  /** Every phase and every plan threshold passed. */
  passed: boolean;
  /** A snapshot taken while the plan runs (/snapshot): the phases under way, whose reports are their figures so far. */
  running?: string[];
}

export interface PhaseReport {
  name: string;
  /** Seconds from the plan's start to this phase's start. */
  startSecond: number;
  /** Its own report: counters and exact histograms of this phase only, thresholds evaluated on it. */
  report: RunReport;
  passed: boolean;
}

/**
 * What thresholds are evaluated on: a run's figures and the histogram behind each latency series (for the
 * percentiles the summaries do not hold). Made from a report (its encoded histograms, decoded) or, while
 * the run is under way, from the Aggregate itself (build.ts liveFigures: nothing encoded).
 */
export interface ThresholdSource extends RunFigures {
  histogramOf(series: 'corrected' | 'raw' | 'handshake'): Histogram | undefined;
}

/** One replica of a merged report, as a row of its table (merged reports of merged reports list every replica). */
export interface ReplicaSummary {
  /** The file it was read from (its base name), or "report N". */
  source: string;
  runId?: string;
  profile: string;
  startedAt: string;
  durationSeconds: number;
  clients: number;
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  requestsPerSecond: number;
  targetRequestsPerSecond: number;
  /** Corrected latency, µs (raw in the closed model). */
  p50: number;
  p99: number;
  /** Generator: seconds it limited the rate, and its busiest event loop (absent when the replica's report has no generator figures). */
  limitedSeconds?: number;
  maxLoopUtilization?: number;
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
  /** GC pause seconds of the engine threads over the run, summed (absent in reports of mcpload before it was measured). */
  gcSeconds?: number;
  /** The worst engine's GC pauses in one snapshot interval, ms per second (absent likewise). */
  maxGcMsPerSecond?: number;
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
