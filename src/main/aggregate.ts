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
import { SNAPSHOT_INTERVAL_MS } from '../config/defaults.js';
import { DetailTally, MAX_KEPT_DETAILS } from '../shared/error-details.js';
import type { EngineSnapshot, MethodDelta, WarmupCounts } from '../shared/messages.js';
import { addDelta, newHistogram, type Histogram } from '../shared/stats.js';
import { FlowTotals } from './flow-totals.js';

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
  /** GC pause seconds of each engine thread (index = engine id), the final snapshot's included. */
  engineGcSeconds: number[];
  /** The worst engine-interval's GC pauses, ms per second of that interval. */
  maxGcMsPerSecond: number;
}

/**
 * One second of the run, for progress lines, charts and --out. The gauges (wanted, targetRate) are the
 * engines' as of their last regular snapshot in that second, added up; a second with none (the run
 * ended in it) holds the second before's. Absent in reports of older versions: dropped and what follows it.
 */
export interface TimelinePoint {
  /** Seconds since the run started. */
  second: number;
  sent: number;
  ok: number;
  failed: number;
  sessionsOpen: number;
  p50: number;
  p99: number;
  dropped?: number;
  /** Sessions the stages wanted. */
  wanted?: number;
  /** Requests per second the open sessions were asked to send. */
  targetRate?: number;
  /** CPU seconds of the engine threads in this second, all together (0 where the OS does not tell). */
  cpuSeconds?: number;
  /** The busiest engine's event-loop utilization (0..1) and its worst loop lag (ms). */
  loopUtilization?: number;
  loopLagMs?: number;
}

/** Second `second` of a timeline, before anything is counted in it. */
export function emptyPoint(second: number): TimelinePoint {
  return {
    second,
    sent: 0,
    ok: 0,
    failed: 0,
    sessionsOpen: 0,
    p50: 0,
    p99: 0,
    dropped: 0,
    wanted: 0,
    targetRate: 0,
    cpuSeconds: 0,
    loopUtilization: 0,
    loopLagMs: 0,
  };
}

/** A second still being filled: its latency histogram and each engine's gauges at its last regular snapshot there. */
interface OpenSecond {
  latency: Histogram;
  gauges: Map<number, { wanted: number; targetRate: number }>;
}

/** A second is closed this far behind the newest even if an engine has not reported it yet (a stalled engine). */
const LATE_SECONDS = 10;

export class Aggregate {
  readonly methods = new Map<string, MethodTotals>();
  /** Per target (`tools/call echo`: targets.ts); these requests are in `methods` too. */
  readonly targets = new Map<string, MethodTotals>();
  /** Flow steps, progress and flows started/completed (flow-totals.ts). */
  readonly flow = new FlowTotals();
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
  /** --warmup: its requests, added up (counted in nothing else); undefined: the run had no warm-up. */
  warmup: WarmupCounts | undefined;
  readonly generator: GeneratorTotals = {
    engineCpuSeconds: [],
    limitedIntervals: 0,
    maxLoopUtilization: 0,
    maxLoopLagMs: 0,
    engineGcSeconds: [],
    maxGcMsPerSecond: 0,
  };
  private readonly limited = new Set<number>();
  private readonly latest = new Map<number, EngineSnapshot>();
  /** The open seconds of the timeline (snapshots arrive a little out of order). */
  private readonly openSeconds = new Map<number, OpenSecond>();
  /** Each running engine's latest interval (Infinity after its final snapshot): a second closes once every engine is past it. */
  private readonly reached = new Map<number, number>();
  /** Seconds 0 .. closedThrough are closed, none of them still open. */
  private closedThrough = -1;
  /** Closed seconds not handed on yet. */
  private readonly finished = new Set<number>();
  /** Called with each second once it is closed, in order, each once (--out streams them). */
  onSecond: ((point: TimelinePoint) => void) | undefined;

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

  /** The engines that will post snapshots (ids 0 .. count-1): no second closes before each has reported it. */
  expectEngines(count: number): void {
    for (let id = 0; id < count; id++) if (!this.reached.has(id)) this.reached.set(id, -1);
  }

  add(s: EngineSnapshot): void {
    this.latest.set(s.engineId, s);
    this.watchGenerator(s);
    // Filed by the interval the engine says the deltas belong to, not by arrival time.
    const second = Math.max(0, Math.floor((s.interval * this.intervalMs) / 1000));
    const point = this.point(second);
    // A second already handed on (an engine far behind) keeps its counts here, but its percentiles and gauges stay as they were.
    let open = this.openSeconds.get(second);
    if (!open && second > this.closedThrough) this.openSeconds.set(second, (open = { latency: newHistogram(), gauges: new Map() }));
    // Once an engine stopped sending its gauges describe the drain (nothing wanted, nothing asked), not the second's load.
    if (!s.final && !s.sendingStoppedAtMs) open?.gauges.set(s.engineId, { wanted: s.sessionsWanted, targetRate: s.targetRate });
    for (const [method, d] of Object.entries(s.methods)) {
      const m = this.method(method);
      addOutcomes(m, d);
      this.addLatency(m, d, open?.latency);
      point.sent += d.sent;
      point.ok += d.ok;
      point.failed += failedOf(d);
      point.dropped! += d.dropped;
    }
    if (s.cpuSeconds > 0) point.cpuSeconds! += s.cpuSeconds;
    if (!s.final) {
      point.loopUtilization = Math.max(point.loopUtilization!, s.loopUtilization);
      point.loopLagMs = Math.max(point.loopLagMs!, s.loopLagMs);
    }
    for (const [key, d] of Object.entries(s.targets)) {
      const t = this.totalsOf(this.targets, key);
      addOutcomes(t, d);
      addDelta(t.latency, d.latency);
      addDelta(t.latencyRaw, d.latencyRaw);
    }
    if (s.warmup) {
      const w = (this.warmup ??= { sent: 0, ok: 0, failed: 0, dropped: 0 });
      w.sent += s.warmup.sent;
      w.ok += s.warmup.ok;
      w.failed += s.warmup.failed;
      w.dropped += s.warmup.dropped;
    }
    this.flow.add(s);
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
    this.reached.set(s.engineId, s.final ? Infinity : Math.max(this.reached.get(s.engineId) ?? -1, s.interval));
    this.closeSeconds();
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
    // It holds no second back any more (a new engine in its place reports afresh).
    this.reached.delete(engineId);
    this.closeSeconds();
    this.errors[ErrorIndex.lost] += lost.inFlight;
    this.sessionsLost += lost.sessions;
    this.lostEngines.push(lost);
    return lost;
  }

  private watchGenerator(s: EngineSnapshot): void {
    const g = this.generator;
    if (s.cpuSeconds >= 0) g.engineCpuSeconds[s.engineId] = (g.engineCpuSeconds[s.engineId] ?? 0) + s.cpuSeconds;
    g.engineGcSeconds[s.engineId] = (g.engineGcSeconds[s.engineId] ?? 0) + s.gcPauseMs / 1000;
    // The final snapshot covers a partial interval and the drain: not a measure of keeping up.
    if (s.final) return;
    g.maxLoopUtilization = Math.max(g.maxLoopUtilization, s.loopUtilization);
    g.maxLoopLagMs = Math.max(g.maxLoopLagMs, s.loopLagMs);
    g.maxGcMsPerSecond = Math.max(g.maxGcMsPerSecond, s.gcPauseMs / (SNAPSHOT_INTERVAL_MS / 1000));
    if (generatorLimited(s) && !this.limited.has(s.interval)) {
      this.limited.add(s.interval);
      g.limitedIntervals++;
    }
  }

  private addLatency(m: MethodTotals, d: MethodDelta, secondHist: Histogram | undefined): void {
    addDelta(m.latency, d.latency);
    addDelta(this.latency, d.latency);
    if (secondHist) addDelta(secondHist, d.latency);
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

  /**
   * Close the seconds every engine has reported (an engine posts interval k once it is done with k), and
   * those LATE_SECONDS behind the newest whatever a stalled engine does: fix their percentiles and
   * gauges, free their histograms, and hand them on in order.
   */
  private closeSeconds(): void {
    let upTo = Infinity;
    for (const k of this.reached.values()) upTo = Math.min(upTo, k);
    upTo = Math.max(upTo === Infinity ? this.timeline.length - 1 : upTo, this.timeline.length - 1 - LATE_SECONDS);
    for (const second of [...this.openSeconds.keys()].sort((a, b) => a - b)) if (second <= upTo) this.finishSecond(second);
    this.release(Math.min(upTo, this.timeline.length - 1));
  }

  private finishSecond(second: number): void {
    const open = this.openSeconds.get(second)!;
    const point = this.timeline[second];
    // Only the two percentiles a timeline point shows: summarize() also walks the histogram for its mean and
    // five more percentiles, 15-30 ms of this thread each second at 25K req/s (bench/RESULTS.md, issue 20).
    const h = open.latency;
    point.p50 = h.totalCount === 0 ? 0 : h.getValueAtPercentile(50);
    point.p99 = h.totalCount === 0 ? 0 : h.getValueAtPercentile(99);
    // Sums of floating-point deltas: kept to the µs, so a report or --out line reads 0.26, not 0.25999999999999995.
    point.cpuSeconds = Math.round(point.cpuSeconds! * 1e6) / 1e6;
    point.loopUtilization = Math.round(point.loopUtilization! * 1e4) / 1e4;
    point.loopLagMs = Math.round(point.loopLagMs! * 1e3) / 1e3;
    // Engines that posted no regular snapshot in this second (the run ended in it) keep their previous gauges.
    const before = this.timeline[second - 1];
    if (open.gauges.size === 0 && before) {
      point.wanted = before.wanted;
      point.targetRate = before.targetRate;
    } else {
      point.wanted = point.targetRate = 0;
      for (const g of open.gauges.values()) {
        point.wanted += g.wanted;
        point.targetRate += g.targetRate;
      }
    }
    this.openSeconds.delete(second);
    this.finished.add(second);
  }

  /** Hand on the closed seconds through `upTo`, stopping at one still open (and filling the gaps no snapshot was filed in). */
  private release(upTo: number): void {
    while (this.closedThrough < upTo && !this.openSeconds.has(this.closedThrough + 1)) {
      const point = this.timeline[++this.closedThrough];
      // A second no snapshot was filed in (every engine skipped it) holds the gauges of the one before.
      const before = this.timeline[this.closedThrough - 1];
      if (!this.finished.delete(this.closedThrough) && before) {
        point.wanted = before.wanted;
        point.targetRate = before.targetRate;
      }
      this.onSecond?.(point);
    }
  }

  /** At the end of the run: fix and hand on every second left. */
  finish(): void {
    for (const second of [...this.openSeconds.keys()].sort((a, b) => a - b)) this.finishSecond(second);
    this.release(this.timeline.length - 1);
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
