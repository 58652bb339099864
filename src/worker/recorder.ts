/**
 * What an engine counts between two snapshots. The hot path only bumps numbers and records into
 * histograms here; `take()` turns it into a snapshot (histogram deltas) once per interval
 * and starts over, so nothing grows with the request rate.
 */
import {
  ERROR_TYPES,
  ErrorIndex,
  failedOf,
  MESSAGES_RECEIVED,
  MESSAGES_SENT,
  OUTCOME_NAMES,
  STREAM_EVENTS,
  STREAM_LATENCIES,
  pickOutcomes,
  zeroCounts,
  type ErrorType,
  type OutcomeCounts,
  type StreamLatency,
} from '../shared/counters.js';
import { DetailTally, MAX_SNAPSHOT_DETAILS, detailMessage, type ErrorDetail } from '../shared/error-details.js';
import type { EngineSnapshot, MethodDelta, ProgressDelta, WarmupCounts } from '../shared/messages.js';
import type { Target } from '../shared/targets.js';
import { addDelta, takeDelta, newHistogram, recordMicros, type Histogram } from '../shared/stats.js';

/** How a request was answered: a result, a JSON-RPC error, or a tools/call result with `isError: true`. */
export const enum Answer {
  Ok,
  RpcError,
  ToolError,
  /** A result that breaks the revision's rules (2026-07-28: resultType missing or unknown): a protocol error. */
  Invalid,
}

/** Progress timing of the requests that asked for it (session/progress-watch.ts records into it). */
export class ProgressRecorder {
  notifications = 0;
  readonly first: Histogram = newHistogram();
  readonly gap: Histogram = newHistogram();
  readonly total: Histogram = newHistogram();

  absorb(d: ProgressDelta): void {
    this.notifications += d.notifications;
    addDelta(this.first, d.first);
    addDelta(this.gap, d.gap);
    addDelta(this.total, d.total);
  }

  take(): ProgressDelta {
    const d: ProgressDelta = { notifications: this.notifications, first: takeDelta(this.first), gap: takeDelta(this.gap), total: takeDelta(this.total) };
    this.notifications = 0;
    this.first.reset();
    this.gap.reset();
    this.total.reset();
    return d;
  }
}

/**
 * One method's outcomes (counters.ts OUTCOMES) as plain numeric fields, so the hot path bumps a field
 * (`m.sent++`); `implements` makes a declared outcome without its field a compile error.
 */
export class MethodRecorder implements OutcomeCounts {
  sent = 0;
  ok = 0;
  rpcError = 0;
  toolError = 0;
  timeout = 0;
  closed = 0;
  dropped = 0;
  queued = 0;
  cancelled = 0;
  invalid = 0;
  readonly latency: Histogram = newHistogram();
  readonly latencyRaw: Histogram = newHistogram();

  /** A tools/call entry: its results are looked at for `isError` (inbound.ts). */
  readonly toolCall: boolean;
  /** Made when a request counted here asks for progress (or a delta with progress is absorbed). */
  progress: ProgressRecorder | undefined;

  /** `target`: the tool, prompt or URI this recorder counts (Recorder.targets); undefined: the method's untargeted requests. */
  constructor(
    readonly method: string,
    readonly target?: Target,
  ) {
    this.toolCall = method === 'tools/call';
  }

  /** Add a delta of one of this method's targets (once per snapshot, not per request). */
  absorb(d: MethodDelta): void {
    for (const n of OUTCOME_NAMES) this[n] += d[n];
    addDelta(this.latency, d.latency);
    addDelta(this.latencyRaw, d.latencyRaw);
    if (d.progress !== undefined) (this.progress ??= new ProgressRecorder()).absorb(d.progress);
  }

  take(): MethodDelta {
    const delta: MethodDelta = { ...pickOutcomes(this), latency: takeDelta(this.latency), latencyRaw: takeDelta(this.latencyRaw) };
    if (this.progress !== undefined) delta.progress = this.progress.take();
    for (const n of OUTCOME_NAMES) this[n] = 0;
    this.latency.reset();
    this.latencyRaw.reset();
    return delta;
  }
}

export class Recorder {
  /** One per distinct method of the mix, in mix order. */
  readonly methods: MethodRecorder[];
  /**
   * One per distinct target of the mix (targets.ts), in mix order. The requests of a targeted entry are
   * counted here only, and added into their method's recorder when a snapshot is taken: the hot path
   * bumps one recorder per request whatever the breakdown.
   */
  readonly targets: MethodRecorder[];
  /**
   * One per request step of the profile's flow, keyed by the step's key. Its requests are counted here
   * only and added into their target's (or method's) recorder when a snapshot is taken.
   */
  readonly steps: { key: string; rec: MethodRecorder }[];
  /** Flows started (sessions that began the profile's flow) and run to their end, this interval. */
  flowsStarted = 0;
  flowsCompleted = 0;
  /** Arrivals that gave up connecting (ending.ts ARRIVAL_CONNECT_ATTEMPTS). */
  flowsAbandoned = 0;
  /** The server's reasons for this interval's rpc and tool errors (bounded: error-details.ts). */
  private readonly details = new DetailTally(MAX_SNAPSHOT_DETAILS);
  readonly errors = new Float64Array(ERROR_TYPES.length);
  readonly handshake: Histogram = newHistogram();
  sessionsEstablished = 0;
  /** Wall clock of the first completed handshake; kept across snapshots. */
  firstEstablishedAtMs = 0;
  reconnects = 0;
  /** Sessions established over WebSocket, by the subprotocol the server selected ('none': it selected none). */
  subprotocols: Record<string, number> = {};
  sent = zeroCounts(MESSAGES_SENT);
  received = zeroCounts(MESSAGES_RECEIVED);
  /** The streaming surface's events (counters.ts STREAM_EVENTS): bumped by name off the hot path. */
  streams = zeroCounts(STREAM_EVENTS);
  /** The streaming surface's latencies, one histogram per STREAM_LATENCIES kind (made on first use). */
  private streamLatency: Partial<Record<StreamLatency, Histogram>> = {};
  bytesSent = 0;
  bytesReceived = 0;
  /** Sum over the requests sent this interval of how late they left (actual send - intended time, ≥ 0), ms. */
  sendLagSumMs = 0;

  /** `secrets`: what error messages must not carry into a report (header values). */
  constructor(
    methods: string[],
    targets: readonly Target[] = [],
    private readonly secrets: readonly string[] = [],
    /** The flow's request steps: key, method and target of each. */
    steps: readonly { key: string; method: string; target: Target | undefined }[] = [],
  ) {
    this.methods = methods.map((m) => new MethodRecorder(m));
    this.targets = targets.map((t) => new MethodRecorder(t.method, t));
    this.steps = steps.map((s) => ({ key: s.key, rec: new MethodRecorder(s.method, s.target) }));
  }

  /** The recorder that counts requests of `method` with `target` (undefined: none named). */
  recorderOf(method: string, target: Target | undefined): MethodRecorder {
    const list = target ? this.targets : this.methods;
    return list.find((m) => m.method === method && m.target?.key === target?.key)!;
  }

  error(type: ErrorType, n = 1): void {
    this.errors[ErrorIndex[type]] += n;
  }

  /** A response arrived for a request of method `m`; times in ms on the performance clock. */
  response(m: MethodRecorder, answer: Answer, intended: number, sentAt: number, now: number): void {
    if (answer === Answer.Ok) m.ok++;
    else if (answer === Answer.RpcError) {
      m.rpcError++;
      this.error('rpc');
    } else if (answer === Answer.ToolError) {
      m.toolError++;
      this.error('tool');
    } else {
      m.invalid++;
      this.error('protocol');
    }
    // From the intended time, or from the send if it went early (the ticker sends up to half a tick
    // ahead): a request is never credited with time before it left.
    recordMicros(m.latency, (now - (intended < sentAt ? intended : sentAt)) * 1000);
    recordMicros(m.latencyRaw, (now - sentAt) * 1000);
  }

  /** Why a request of `m` failed, in the server's words (not on the hot path: errors are parsed in full). */
  errorDetail(m: MethodRecorder, type: ErrorDetail['type'], code: unknown, message: unknown): void {
    this.details.add({
      method: m.method,
      ...(m.target ? { target: m.target.target } : {}),
      type,
      ...(typeof code === 'number' && Number.isFinite(code) ? { code } : {}),
      message: detailMessage(message, this.secrets),
    });
  }

  /** One latency of the streaming surface (µs). */
  streamLatencyMicros(kind: StreamLatency, micros: number): void {
    recordMicros((this.streamLatency[kind] ??= newHistogram()), micros);
  }

  /** `subprotocol`: what the server selected at the WebSocket upgrade ('' none; undefined: not WebSocket). */
  handshakeDone(startedAt: number, now: number, subprotocol?: string): void {
    this.sessionsEstablished++;
    if (subprotocol !== undefined) {
      const name = subprotocol === '' ? 'none' : subprotocol;
      this.subprotocols[name] = (this.subprotocols[name] ?? 0) + 1;
    }
    if (this.firstEstablishedAtMs === 0) this.firstEstablishedAtMs = Date.now();
    recordMicros(this.handshake, (now - startedAt) * 1000);
  }

  /** --warmup is over: the traffic counted so far (bytes, messages, send lateness) was the warm-up's. */
  startMeasuring(): void {
    this.sendLagSumMs = 0;
    this.bytesSent = this.bytesReceived = 0;
    this.sent = zeroCounts(MESSAGES_SENT);
    this.received = zeroCounts(MESSAGES_RECEIVED);
  }

  /** The warm-up's recorder: its requests' counts since the last call, and a fresh start (its histograms are never reported). */
  takeWarmup(): WarmupCounts {
    const counts: WarmupCounts = { sent: 0, ok: 0, failed: 0, dropped: 0 };
    const each = (m: MethodRecorder) => {
      counts.sent += m.sent;
      counts.ok += m.ok;
      counts.failed += failedOf(m);
      counts.dropped += m.dropped;
      for (const n of OUTCOME_NAMES) m[n] = 0;
      m.latency.reset();
      m.latencyRaw.reset();
      m.progress?.take();
    };
    // Each request is counted in one of these only (its step's, its target's, or its method's).
    this.methods.forEach(each);
    this.targets.forEach(each);
    for (const s of this.steps) each(s.rec);
    this.errors.fill(0);
    this.details.take();
    return counts;
  }

  take(
    gauges: Pick<
      EngineSnapshot,
      | 'engineId'
      | 'atMs'
      | 'final'
      | 'interval'
      | 'sessionsWanted'
      | 'sessionsConnecting'
      | 'sessionsOpen'
      | 'sessionsFailed'
      | 'inFlight'
      | 'targetRate'
      | 'loopUtilization'
      | 'loopLagMs'
      | 'gcPauseMs'
      | 'sendingStoppedAtMs'
      | 'cpuSeconds'
    >,
  ): EngineSnapshot {
    let sent = 0;
    for (const m of this.methods) sent += m.sent;
    for (const t of this.targets) sent += t.sent;
    let steps: Record<string, MethodDelta> | undefined;
    if (this.steps.length > 0) {
      steps = {};
      for (const { key, rec } of this.steps) {
        sent += rec.sent;
        const d = (steps[key] = rec.take());
        this.recorderOf(rec.method, rec.target).absorb(d);
      }
    }
    const targets: Record<string, MethodDelta> = {};
    for (const t of this.targets) {
      const d = (targets[t.target!.key] = t.take());
      this.methods.find((m) => m.method === t.method)!.absorb(d);
    }
    const methods: Record<string, MethodDelta> = {};
    for (const m of this.methods) methods[m.method] = m.take();
    const snapshot: EngineSnapshot = {
      ...gauges,
      methods,
      targets,
      ...(steps ? { steps, flows: { started: this.flowsStarted, completed: this.flowsCompleted, abandoned: this.flowsAbandoned } } : {}),
      errors: Array.from(this.errors),
      errorDetails: this.details.take(),
      sessionsEstablished: this.sessionsEstablished,
      reconnects: this.reconnects,
      subprotocols: this.subprotocols,
      handshake: takeDelta(this.handshake),
      messagesSent: this.sent,
      messagesReceived: this.received,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      firstEstablishedAtMs: this.firstEstablishedAtMs,
      sendLagMs: sent > 0 ? this.sendLagSumMs / sent : 0,
    };
    if (STREAM_EVENTS.some((e) => this.streams[e.name] > 0)) snapshot.streams = this.streams;
    const latencies = STREAM_LATENCIES.filter((k) => this.streamLatency[k.name] !== undefined);
    if (latencies.length > 0) {
      snapshot.streamLatency = {};
      for (const { name } of latencies) {
        snapshot.streamLatency[name] = takeDelta(this.streamLatency[name]!);
        this.streamLatency[name]!.reset();
      }
    }
    this.streams = zeroCounts(STREAM_EVENTS);
    this.sendLagSumMs = 0;
    this.flowsStarted = this.flowsCompleted = this.flowsAbandoned = 0;
    this.errors.fill(0);
    this.handshake.reset();
    this.sessionsEstablished = this.reconnects = this.bytesSent = this.bytesReceived = 0;
    this.subprotocols = {};
    this.sent = zeroCounts(MESSAGES_SENT);
    this.received = zeroCounts(MESSAGES_RECEIVED);
    return snapshot;
  }
}
