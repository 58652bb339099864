/**
 * What an engine counts between two snapshots. The hot path only bumps numbers and records into
 * histograms here; `take()` turns it into a snapshot (histogram deltas) once per interval
 * and starts over, so nothing grows with the request rate.
 */
import {
  ERROR_TYPES,
  ErrorIndex,
  MESSAGES_RECEIVED,
  MESSAGES_SENT,
  OUTCOME_NAMES,
  pickOutcomes,
  zeroCounts,
  type ErrorType,
  type OutcomeCounts,
} from '../shared/counters.js';
import type { EngineSnapshot, MethodDelta } from '../shared/messages.js';
import { takeDelta, newHistogram, recordMicros, type Histogram } from '../shared/stats.js';

/**
 * One method's outcomes (counters.ts OUTCOMES) as plain numeric fields, so the hot path bumps a field
 * (`m.sent++`); `implements` makes a declared outcome without its field a compile error.
 */
export class MethodRecorder implements OutcomeCounts {
  sent = 0;
  ok = 0;
  rpcError = 0;
  timeout = 0;
  closed = 0;
  dropped = 0;
  queued = 0;
  readonly latency: Histogram = newHistogram();
  readonly latencyRaw: Histogram = newHistogram();

  constructor(readonly method: string) {}

  take(): MethodDelta {
    const delta: MethodDelta = { ...pickOutcomes(this), latency: takeDelta(this.latency), latencyRaw: takeDelta(this.latencyRaw) };
    for (const n of OUTCOME_NAMES) this[n] = 0;
    this.latency.reset();
    this.latencyRaw.reset();
    return delta;
  }
}

export class Recorder {
  /** One per distinct method of the mix, in mix order. */
  readonly methods: MethodRecorder[];
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
  bytesSent = 0;
  bytesReceived = 0;
  /** Sum over the requests sent this interval of how late they left (actual send - intended time, ≥ 0), ms. */
  sendLagSumMs = 0;

  constructor(methods: string[]) {
    this.methods = methods.map((m) => new MethodRecorder(m));
  }

  error(type: ErrorType, n = 1): void {
    this.errors[ErrorIndex[type]] += n;
  }

  /** A response arrived for a request of method `m`; times in ms on the performance clock. */
  response(m: MethodRecorder, ok: boolean, intended: number, sentAt: number, now: number): void {
    if (ok) m.ok++;
    else m.rpcError++;
    // From the intended time, or from the send if it went early (the ticker sends up to half a tick
    // ahead): a request is never credited with time before it left.
    recordMicros(m.latency, (now - (intended < sentAt ? intended : sentAt)) * 1000);
    recordMicros(m.latencyRaw, (now - sentAt) * 1000);
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
      | 'sendingStoppedAtMs'
      | 'cpuSeconds'
    >,
  ): EngineSnapshot {
    let sent = 0;
    for (const m of this.methods) sent += m.sent;
    const methods: Record<string, MethodDelta> = {};
    for (const m of this.methods) methods[m.method] = m.take();
    const snapshot: EngineSnapshot = {
      ...gauges,
      methods,
      errors: Array.from(this.errors),
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
    this.sendLagSumMs = 0;
    this.errors.fill(0);
    this.handshake.reset();
    this.sessionsEstablished = this.reconnects = this.bytesSent = this.bytesReceived = 0;
    this.subprotocols = {};
    this.sent = zeroCounts(MESSAGES_SENT);
    this.received = zeroCounts(MESSAGES_RECEIVED);
    return snapshot;
  }
}
