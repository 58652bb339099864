/**
 * Messages between the main thread (coordinator) and engine threads: a typed discriminated union.
 * Everything is structured-clone safe plain data.
 */
import type { OutcomeCounts, ReceivedCounts, SentCounts, StreamCounts, StreamLatency } from './counters.js';
import type { ErrorDetail } from './error-details.js';
import type { HistogramDelta } from './stats.js';
import type { FrameTerminator, Profile, TlsOptions, TransportKind } from './types.js';
import type { KernelThread } from './kernel-thread.js';

/** What one engine needs to run its share of the sessions. */
export interface EngineConfig {
  engineId: number;
  engineCount: number;
  profile: Profile;
  urls: string[];
  localAddresses: string[];
  /** This engine's slice of the source port range (used with localAddresses). */
  localPorts: { from: number; to: number };
  headers: Record<string, string>;
  protocolVersion: string;
  /** How sessions talk to the target; absent: from the URLs' scheme (http(s):// is Streamable HTTP). */
  transport?: TransportKind;
  /** The most sessions this engine holds at once (the peak of the stages, its share): sizes its HTTP pools. */
  sessionsPerEngine: number;
  /** The open-files soft limit of the process, read once on the main thread (Infinity: none known). */
  openFilesSoft: number;
  frameTerminator: FrameTerminator;
  /** The WebSocket subprotocol offered ('' offers none); absent: the default (config/defaults.ts). */
  subprotocol?: string;
  /** New sessions per second for this engine (its share of the global rate); 0 = unlimited. */
  connectRate: number;
  /** Connection attempts this engine keeps in progress at most (its share of the global bound). */
  maxConnecting: number;
  /** Run length; the engine stops sending at startAtMs + durationMs. */
  durationMs: number;
  /** Wall-clock start shared by all engines (ms since epoch), so stages line up: with a warm-up, the start of measuring. */
  startAtMs: number;
  /**
   * --warmup: the engine starts warming this long before startAtMs. Requests due before startAtMs are
   * counted in EngineSnapshot.warmup only. 0 or absent: none (whatever is sent before startAtMs is measured).
   */
  warmupMs?: number;
  /** How often to post a snapshot. */
  snapshotIntervalMs: number;
  /** How long to wait for in-flight responses after sending stops. */
  drainMs: number;
  /** wss:// verification (--ca, --insecure); absent = against the system CAs. */
  tls?: TlsOptions;
  /** --spin: poll the send schedule in a busy loop between socket events (RunOptions.spin). */
  spin?: boolean;
  /** --http-get-stream (RunOptions.httpGetStream). */
  httpGetStream?: boolean;
}

/**
 * Per-method counters (deltas since the previous snapshot: the outcomes of counters.ts) and latency
 * histograms (deltas, encoded).
 */
export interface MethodDelta extends OutcomeCounts {
  /** Latency from the intended send time (coordinated-omission corrected), µs, as an HDR delta. */
  latency: HistogramDelta;
  /** Latency from the actual send time, µs, as an HDR delta. */
  latencyRaw: HistogramDelta;
  /** Requests that asked for progress (`progress: true`): their notifications' timing; absent: none did. */
  progress?: ProgressDelta;
}

/** Progress of the requests that asked for it (µs, HDR deltas): from the send to the first notification, between notifications, send to answer. */
export interface ProgressDelta {
  notifications: number;
  first: HistogramDelta;
  gap: HistogramDelta;
  total: HistogramDelta;
}

/** Requests due in the warm-up (counted apart, in no histogram): deltas since the previous snapshot. */
export interface WarmupCounts {
  sent: number;
  ok: number;
  /** The failed outcomes (counters.ts FAILED_OUTCOMES): rpc and tool errors, timeouts, closed. */
  failed: number;
  dropped: number;
}

export interface EngineSnapshot {
  engineId: number;
  /** When the snapshot was taken (ms since epoch). */
  atMs: number;
  /** True for the last snapshot an engine sends. */
  final: boolean;
  /**
   * Which interval of the run the deltas belong to: interval k covers [k, k+1) × snapshotIntervalMs
   * from the shared start. Engines post on those boundaries, so every engine files its k-th
   * snapshot under the same k whatever the delivery jitter.
   */
  interval: number;
  // Gauges: values now.
  sessionsWanted: number;
  sessionsConnecting: number;
  sessionsOpen: number;
  /** Sessions that gave up: their reconnect attempts ran out (profile reconnect.maxAttempts). */
  sessionsFailed: number;
  inFlight: number;
  /** Requests per second this engine is asked to send now (sum over its open sessions' rates). */
  targetRate: number;
  // Deltas since the previous snapshot.
  /** Keyed by method, in the order of the profile's mix (targeted requests included). */
  methods: Record<string, MethodDelta>;
  /** Keyed by target (`tools/call echo`: targets.ts), capped; these requests are in `methods` too. */
  targets: Record<string, MethodDelta>;
  /** Keyed by flow request step (its key, shared/types.ts FlowStep); these requests are in `methods` (and `targets`) too. Absent: no flow. */
  steps?: Record<string, MethodDelta>;
  /** Flows (sessions running the profile's flow) started and run to their end this interval; absent: no flow. */
  /** `abandoned`: arrivals that gave up connecting (worker/session/ending.ts ARRIVAL_CONNECT_ATTEMPTS). */
  flows?: { started: number; completed: number; abandoned: number };
  /** Indexed like ERROR_TYPES. */
  errors: number[];
  /** The servers' reasons for this interval's rpc and tool errors: at most MAX_SNAPSHOT_DETAILS, messages redacted and cut. */
  errorDetails: ErrorDetail[];
  /** Sessions that completed the MCP handshake. */
  sessionsEstablished: number;
  /** Connection attempts after the first one of a session. */
  reconnects: number;
  /** Sessions established over WebSocket, by the subprotocol the server selected ('none': it selected none); absent: none. */
  subprotocols?: Record<string, number>;
  /** Handshake latency (connect + initialize), µs, as an HDR delta. */
  handshake: HistogramDelta;
  messagesSent: SentCounts;
  messagesReceived: ReceivedCounts;
  /** The streaming surface's events (counters.ts STREAM_EVENTS); absent: all zero. */
  streams?: StreamCounts;
  /** The streaming surface's latencies (STREAM_LATENCIES), µs HDR deltas; absent: none recorded. */
  streamLatency?: Partial<Record<StreamLatency, HistogramDelta>>;
  bytesSent: number;
  bytesReceived: number;
  /** When this engine's first session completed its handshake (ms since epoch; 0 = not yet). */
  firstEstablishedAtMs: number;
  /** When this engine stopped sending (ms since epoch; 0 = still sending). */
  sendingStoppedAtMs: number;
  /** The worst lateness of the engine's 1 ms ticker over the interval, ms: its event-loop lag. */
  loopLagMs: number;
  /** Time the engine's thread spent in garbage-collection pauses over the interval, ms (perf_hooks 'gc' entries). */
  gcPauseMs: number;
  /** Engine event-loop busy share over the interval, 0..1 (event loop utilization). */
  loopUtilization: number;
  /** CPU time of the engine's thread over the interval, seconds (-1 where the OS does not tell: not Linux). */
  cpuSeconds: number;
  /**
   * Mean lateness of the requests sent over the interval, ms: actual send minus intended time. Near
   * zero when the engine keeps up; grows when it (or the in-flight bound) holds requests back.
   */
  sendLagMs: number;
  /** --warmup: the warm-up's requests counted since the previous snapshot (absent without a warm-up). */
  warmup?: WarmupCounts;
}

export type MainToEngine =
  | { type: 'start'; config: EngineConfig }
  /** Stop sending now, drain for drainMs at most, then post the final snapshot. */
  | { type: 'stop'; drainMs: number };

export type EngineToMain =
  /** The thread has loaded and waits for 'start'; `thread`: which kernel thread it is (Linux), so it keeps its priority. */
  | { type: 'ready'; thread?: KernelThread }
  | { type: 'snapshot'; snapshot: EngineSnapshot }
  /** A connection problem worth a log line (engines rate-limit these). */
  | { type: 'note'; engineId: number; message: string }
  | { type: 'fatal'; engineId: number; message: string };

/** Messages between the coordinator and an engine host process (`--processes`), tagged with the engine. */
export type HostMessage = { engineId: number; msg: MainToEngine };
export type HostReply = { engineId: number; msg: EngineToMain };
