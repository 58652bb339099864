/**
 * The main thread's merged view of a run: cumulative counters and histograms built from every
 * engine's snapshot deltas, the engines' latest gauges, and a per-second timeline for reports.
 * Adding encoded deltas keeps it exact: the merged percentiles are those of one histogram that
 * holds every sample.
 */
import { randomUUID } from 'node:crypto';
import {
  ERROR_TYPES,
  ErrorIndex,
  MESSAGES_RECEIVED,
  MESSAGES_SENT,
  STREAM_EVENTS,
  STREAM_LATENCIES,
  type StreamLatency,
  addOutcomes,
  failedOf,
  zeroCounts,
  zeroOutcomes,
  type OutcomeCounts,
} from '../shared/counters.js';
import { DetailTally, MAX_KEPT_DETAILS } from '../shared/error-details.js';
import type { EngineSnapshot, MethodDelta } from '../shared/messages.js';
import { addDelta, newHistogram, summarize, type Histogram } from '../shared/stats.js';

/** One method's outcomes over the run (counters.ts) and its latency histograms. */
/** An engine that died before its final snapshot (report.lostEngines). */
export interface LostEngine {
  engineId: number;
  /** Second of the run it was noticed in. */
  second: number;
  /** Its open sessions and requests in flight at its last snapshot. */
  sessions: number;
  inFlight: number;
}

export interface MethodTotals extends OutcomeCounts {
  latency: Histogram;
  latencyRaw: Histogram;
}

export interface Gauges {
  sessionsWanted: number;
  sessionsConnecting: number;
  sessionsOpen: number;
  sessionsFailed: number;
  inFlight: number;
  targetRate: number;
  loopUtilization: number;
  /** The worst engine's event-loop lag over the last interval, ms. */
  loopLagMs: number;
  /** Some engine limited the rate over its last interval (see generatorLimited). */
  generatorLimited: boolean;
}

/** Event-loop utilization at or above which an engine counts as saturated. */
export const SATURATED_LOOP_UTILIZATION = 0.9;
/** Mean send lateness (ms) that, on a saturated engine, says it is falling behind its schedule. */
const LIMITING_SEND_LAG_MS = 1;

/**
 * The engine, not the target, held the rate back over this interval: its event loop was saturated
 * and its requests left late (or overflowed the bucket). A slow target shows as late sends too (the
 * in-flight bound holds tokens back) but with an idle event loop, so it is not counted here.
 */
export function generatorLimited(s: EngineSnapshot): boolean {
  if (s.loopUtilization < SATURATED_LOOP_UTILIZATION) return false;
  let sent = 0;
  let dropped = 0;
  for (const d of Object.values(s.methods)) {
    sent += d.sent;
    dropped += d.dropped;
  }
  return s.sendLagMs >= LIMITING_SEND_LAG_MS || dropped > 0.01 * (sent + dropped);
}

/** How the generator itself did: CPU per engine and the intervals in which it was the bottleneck. */
export interface GeneratorTotals {
  /** CPU seconds of each engine thread (index = engine id); empty where the OS does not tell. */
  engineCpuSeconds: number[];
  /** Snapshot intervals in which at least one engine limited the rate. */
  limitedIntervals: number;
  maxLoopUtilization: number;
  maxLoopLagMs: number;
}

/** One second of the run, for progress lines and charts. */
export interface TimelinePoint {
  /** Seconds since the run started. */
  second: number;
  sent: number;
  ok: number;
  failed: number;
  sessionsOpen: number;
  p50: number;
  p99: number;
}

/** Second `second` of a timeline, before anything is counted in it. */
export function emptyPoint(second: number): TimelinePoint {
  return { second, sent: 0, ok: 0, failed: 0, sessionsOpen: 0, p50: 0, p99: 0 };
}

export class Aggregate {
  readonly methods = new Map<string, MethodTotals>();
  /** Per target (`tools/call echo`: targets.ts); these requests are in `methods` too. */
  readonly targets = new Map<string, MethodTotals>();
  /** The servers' reasons for rpc and tool errors, added up (bounded: error-details.ts). */
  readonly errorDetails = new DetailTally(MAX_KEPT_DETAILS);
  readonly latency = newHistogram();
  readonly latencyRaw = newHistogram();
  readonly handshake = newHistogram();
  readonly errors: number[] = ERROR_TYPES.map(() => 0);
  sessionsEstablished = 0;
  reconnects = 0;
  /** Sessions established over WebSocket, by the subprotocol the server selected ('none': none). */
  readonly subprotocols: Record<string, number> = {};
  readonly messagesSent = zeroCounts(MESSAGES_SENT);
  readonly messagesReceived = zeroCounts(MESSAGES_RECEIVED);
  /** The streaming surface's events and latencies (counters.ts STREAM_EVENTS, STREAM_LATENCIES). */
  readonly streams = zeroCounts(STREAM_EVENTS);
  readonly streamLatency: Partial<Record<StreamLatency, Histogram>> = {};
  bytesSent = 0;
  bytesReceived = 0;
  peakSessionsOpen = 0;
  firstEstablishedAtMs = 0;
  sendingStoppedAtMs = 0;
  readonly timeline: TimelinePoint[] = [];
  readonly generator: GeneratorTotals = { engineCpuSeconds: [], limitedIntervals: 0, maxLoopUtilization: 0, maxLoopLagMs: 0 };
  private readonly limited = new Set<number>();
  private readonly latest = new Map<number, EngineSnapshot>();
  /** The open seconds of the timeline with their latency histograms (snapshots arrive a little out of order). */
  private readonly openSeconds = new Map<number, Histogram>();

  /** Random per run (the report's runId): merging the same run twice is refused. */
  readonly runId = randomUUID();
  /** Sessions open on engines that died, at their last snapshot (their requests in flight count as errors.lost). */
  sessionsLost = 0;
  /** Each engine that died before its final snapshot: when, and what it held then. */
  readonly lostEngines: LostEngine[] = [];

  constructor(
    public startedAtMs: number,
    /** The engines' snapshot interval. */
    private readonly intervalMs = 1000,
  ) {}

  add(s: EngineSnapshot): void {
    this.latest.set(s.engineId, s);
    this.watchGenerator(s);
    // Filed by the interval the engine says the deltas belong to, not by arrival time.
    const second = Math.max(0, Math.floor((s.interval * this.intervalMs) / 1000));
    const point = this.point(second);
    let secondHist = this.openSeconds.get(second);
    if (!secondHist) this.openSeconds.set(second, (secondHist = newHistogram()));
    for (const [method, d] of Object.entries(s.methods)) {
      const m = this.method(method);
      addOutcomes(m, d);
      this.addLatency(m, d, secondHist);
      point.sent += d.sent;
      point.ok += d.ok;
      point.failed += failedOf(d);
    }
    for (const [key, d] of Object.entries(s.targets)) {
      const t = this.totalsOf(this.targets, key);
      addOutcomes(t, d);
      addDelta(t.latency, d.latency);
      addDelta(t.latencyRaw, d.latencyRaw);
    }
    this.errorDetails.addAll(s.errorDetails);
    s.errors.forEach((n, i) => (this.errors[i] += n));
    addDelta(this.handshake, s.handshake);
    this.sessionsEstablished += s.sessionsEstablished;
    this.reconnects += s.reconnects;
    if (s.subprotocols) for (const [name, n] of Object.entries(s.subprotocols)) this.subprotocols[name] = (this.subprotocols[name] ?? 0) + n;
    for (const { name } of MESSAGES_SENT) this.messagesSent[name] += s.messagesSent[name];
    for (const { name } of MESSAGES_RECEIVED) this.messagesReceived[name] += s.messagesReceived[name];
    if (s.streams) for (const { name } of STREAM_EVENTS) this.streams[name] += s.streams[name] ?? 0;
    if (s.streamLatency) {
      for (const { name } of STREAM_LATENCIES) {
        const d = s.streamLatency[name];
        if (d !== undefined) addDelta((this.streamLatency[name] ??= newHistogram()), d);
      }
    }
    this.bytesSent += s.bytesSent;
    this.bytesReceived += s.bytesReceived;
    if (s.firstEstablishedAtMs && (!this.firstEstablishedAtMs || s.firstEstablishedAtMs < this.firstEstablishedAtMs)) {
      this.firstEstablishedAtMs = s.firstEstablishedAtMs;
    }
    if (s.sendingStoppedAtMs) this.sendingStoppedAtMs = Math.max(this.sendingStoppedAtMs, s.sendingStoppedAtMs);
    const gauges = this.gauges();
    this.peakSessionsOpen = Math.max(this.peakSessionsOpen, gauges.sessionsOpen);
    point.sessionsOpen = Math.max(point.sessionsOpen, gauges.sessionsOpen);
    this.closeOldSeconds(second);
  }

  /**
   * Engine `engineId` died before its final snapshot: what it held at its last snapshot is lost (its
   * open sessions, its requests in flight, and whatever it counted since). Its gauges leave the sums.
   */
  engineLost(engineId: number, atMs: number): LostEngine {
    const s = this.latest.get(engineId);
    const lost: LostEngine = {
      engineId,
      second: Math.max(0, Math.floor((atMs - this.startedAtMs) / 1000)),
      sessions: s?.sessionsOpen ?? 0,
      inFlight: s?.inFlight ?? 0,
    };
    this.latest.delete(engineId);
    this.errors[ErrorIndex.lost] += lost.inFlight;
    this.sessionsLost += lost.sessions;
    this.lostEngines.push(lost);
    return lost;
  }

  private watchGenerator(s: EngineSnapshot): void {
    const g = this.generator;
    if (s.cpuSeconds >= 0) g.engineCpuSeconds[s.engineId] = (g.engineCpuSeconds[s.engineId] ?? 0) + s.cpuSeconds;
    // The final snapshot covers a partial interval and the drain: not a measure of keeping up.
    if (s.final) return;
    g.maxLoopUtilization = Math.max(g.maxLoopUtilization, s.loopUtilization);
    g.maxLoopLagMs = Math.max(g.maxLoopLagMs, s.loopLagMs);
    if (generatorLimited(s) && !this.limited.has(s.interval)) {
      this.limited.add(s.interval);
      g.limitedIntervals++;
    }
  }

  private addLatency(m: MethodTotals, d: MethodDelta, secondHist: Histogram): void {
    addDelta(m.latency, d.latency);
    addDelta(this.latency, d.latency);
    addDelta(secondHist, d.latency);
    addDelta(m.latencyRaw, d.latencyRaw);
    addDelta(this.latencyRaw, d.latencyRaw);
  }

  private method(name: string): MethodTotals {
    return this.totalsOf(this.methods, name);
  }

  private totalsOf(map: Map<string, MethodTotals>, key: string): MethodTotals {
    let m = map.get(key);
    if (!m) {
      m = { ...zeroOutcomes(), latency: newHistogram(), latencyRaw: newHistogram() };
      map.set(key, m);
    }
    return m;
  }

  private point(second: number): TimelinePoint {
    while (this.timeline.length <= second) {
      this.timeline.push(emptyPoint(this.timeline.length));
    }
    return this.timeline[second];
  }

  /** Seconds two behind the newest can no longer change: fix their percentiles and free the histogram. */
  private closeOldSeconds(newest: number): void {
    for (const [second, h] of this.openSeconds) {
      if (second <= newest - 2) this.finishSecond(second, h);
    }
  }

  private finishSecond(second: number, h: Histogram): void {
    const sum = summarize(h);
    this.timeline[second].p50 = sum.p50;
    this.timeline[second].p99 = sum.p99;
    this.openSeconds.delete(second);
  }

  /** At the end of the run: fix every open second. */
  finish(): void {
    for (const [second, h] of this.openSeconds) this.finishSecond(second, h);
  }

  /** Sum of the engines' latest gauges. */
  gauges(): Gauges {
    const g: Gauges = {
      sessionsWanted: 0,
      sessionsConnecting: 0,
      sessionsOpen: 0,
      sessionsFailed: 0,
      inFlight: 0,
      targetRate: 0,
      loopUtilization: 0,
      loopLagMs: 0,
      generatorLimited: false,
    };
    for (const s of this.latest.values()) {
      g.sessionsWanted += s.sessionsWanted;
      g.sessionsConnecting += s.sessionsConnecting;
      g.sessionsOpen += s.sessionsOpen;
      g.sessionsFailed += s.sessionsFailed;
      g.inFlight += s.inFlight;
      g.targetRate += s.targetRate;
      g.loopUtilization = Math.max(g.loopUtilization, s.loopUtilization);
      g.loopLagMs = Math.max(g.loopLagMs, s.loopLagMs);
      if (!s.final && generatorLimited(s)) g.generatorLimited = true;
    }
    return g;
  }

  /** Each engine's latest snapshot, for per-engine gauges (the metrics' event-loop utilization). */
  engines(): IterableIterator<EngineSnapshot> {
    return this.latest.values();
  }

  /** Every method's outcomes added up. */
  totals(): OutcomeCounts {
    const t = zeroOutcomes();
    for (const m of this.methods.values()) addOutcomes(t, m);
    return t;
  }

  /** The latest interval's latency, for the progress line (cumulative until a second closes). */
  recentPoint(): TimelinePoint | undefined {
    for (let i = this.timeline.length - 1; i >= 0; i--) if (!this.openSeconds.has(i)) return this.timeline[i];
    return undefined;
  }
}
