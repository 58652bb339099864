/**
 * An engine owns its share of the sessions and drives them from one coarse ticker: every
 * millisecond it starts sessions the stages want (within the connect rate), wakes the sessions
 * whose time has come, and expires timed-out requests. Once per interval it posts a snapshot.
 * It does no rendering and knows nothing of threads: worker.ts wires it to a parentPort.
 */
import { performance, PerformanceObserver, type PerformanceObserverEntryList } from 'node:perf_hooks';
import type { EngineConfig, EngineSnapshot } from '../shared/messages.js';
import type { Profile, TlsOptions } from '../shared/types.js';
import { distinctTargets, mixTargets } from '../shared/targets.js';
import { ProgressRecorder, Recorder, type MethodRecorder } from './recorder.js';
import { ProgressFrames, withProgressToken } from './progress-frame.js';
import { compileFlow, type FlowNode } from './session/flow.js';
import { flowRequests, profileRequests, requestsPerFlow } from '../shared/flow.js';
import { CancelTemplate, FrameTemplate, mixSequence, type RequestFrames } from './frames.js';
import { isTemplated, TemplatedFrame } from './templated-frame.js';
import { Session, State, type SessionHost } from './session/session.js';
import { isStatelessRevision } from './session/handshake.js';
import { declaredCapabilities, MULTI_ROUND_METHODS } from './session/server-requests.js';
import { CACHEABLE_METHODS } from './session/list-cache.js';
import type { Connect } from './transport/transport.js';
import { connectorFor, speaksHttp, type Connector } from './transport/pick.js';
import { TimeoutQueue, Wheel } from './wheel.js';
import { LocalPorts } from './local-ports.js';
import { arrivalsBy, plannedArrivalRate, plannedClients, plannedRate } from '../config/stages.js';
import { DEFAULT_SUBPROTOCOL } from '../config/defaults.js';
import { threadCpuSeconds } from './thread-cpu.js';
import { SnapshotClock } from './intervals.js';
import { VERSION } from '../shared/version.js';
import { headerSecrets, redactThenTruncate } from '../shared/errors.js';

const TICK_MS = 1;
/**
 * Wheel slots of 1/16 ms: between ticks the wheel is also advanced on every socket event, so under
 * load a request leaves within tens of µs of its intended time instead of up to a tick later
 * (corrected latency would carry that delay). bench/accuracy.mjs measures what is left.
 */
const WHEEL_SLOTS_PER_MS = 16;
/**
 * The ticker sends what is due up to half a tick ahead. A ticker quantizes sends to its period
 * whatever it does; looking half a tick ahead centres that error on the schedule (±0.5 ms) instead
 * of making every request up to a whole tick late, which corrected latency would carry on an idle
 * engine. Early requests are measured from their actual send (recorder.ts).
 */
const LOOK_AHEAD_MS = Number(process.env.BENCH_LOOK_AHEAD_MS ?? TICK_MS / 2); // BENCH_*: for measurements only
/**
 * Between ticks (on socket events) the wheel is looked at two slots ahead, which centres those sends'
 * error too. bench/accuracy (c) at 50 % load, 2 rounds each: corrected p50 − raw p50 83 µs at 0,
 * 56 µs at 0.0625 ms, 31 µs at 0.125 ms (bench/RESULTS.md).
 */
const POLL_AHEAD_MS = Number(process.env.BENCH_POLL_AHEAD_MS ?? 2 / WHEEL_SLOTS_PER_MS);
/** At most this many connection problems are logged per engine per snapshot interval. */
const NOTES_PER_INTERVAL = 5;

/**
 * A ramp's garbage outlives it. The objects of a connect in flight (upgrade request, HTTP parser,
 * handshake) live long enough to be promoted, then die in old space; an engine that then holds idle
 * sessions allocates too little for V8 to start a major GC or its memory reducer (not within 60 s at
 * 100K sessions), so RSS kept ~3.7 KB per idle session more than the live heap: 7.2-7.4 KiB per added
 * session against 5.3 KiB for a bare ws client doing the same work; with the GCs below 3.7-4.4 KiB
 * against 5.0-5.5 (bench/scale.mjs, bench/RESULTS.md 2026-12-03 "a ramp's garbage"). So once an engine's
 * connects are done (none queued or in flight) after at least this many, it runs full GCs: three
 * pauses, counted in the engine's GC figures like any other. Engine hosts and threads get `gc` from
 * --expose-gc (src/main/engines.ts); without it, or with BENCH_ENGINE_RAMP_GC=0 (A/B runs), nothing happens.
 */
const RAMP_GC_MIN_CONNECTS = process.env.BENCH_ENGINE_RAMP_GC === '0' ? Infinity : 1000;
const RAMP_GC_ROUNDS = 3;
const RAMP_GC_GAP_MS = 1000;

/**
 * Three full GCs a second apart: the first frees the garbage but leaves its pages committed, and each
 * later one compacts a share of the emptied pages and gives them back (a scratch heap of 77 MB with
 * 12 MB live: committed 77, 45, then 12 MB; each pause 20-33 ms).
 */
function collectRampGarbage(rounds = RAMP_GC_ROUNDS): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  if (rounds > 1) setTimeout(collectRampGarbage, RAMP_GC_GAP_MS, rounds - 1).unref();
}

export interface EngineEvents {
  snapshot(snapshot: EngineSnapshot): void;
  note(message: string): void;
}

export class Engine implements SessionHost<Session> {
  readonly profile: Profile;
  readonly recorder: Recorder;
  readonly templates: RequestFrames[];
  readonly cancel: CancelTemplate | undefined;
  readonly cancelAfter: CancelTemplate | undefined;
  readonly deadlineOf: Float64Array;
  readonly cancelsAt: Uint8Array;
  readonly multiRound: Uint8Array;
  readonly clientCapabilities: Record<string, unknown>;
  readonly methodOf: MethodRecorder[];
  /** --warmup: requests due before this instant (performance clock: the shared start) are the warm-up's; -Infinity: no warm-up. */
  readonly measureFrom: number;
  /** The warm-up's counts (the measured recorder and methodOf themselves without a warm-up: never picked then). */
  readonly warmRecorder: Recorder;
  readonly warmOf: MethodRecorder[];
  /** Between the start and measureFrom: the first tick past it starts measuring (startMeasuring()). */
  private warming: boolean;
  readonly mix: Uint16Array;
  readonly mixCounts: Uint32Array;
  readonly terminator;
  readonly protocolVersion: string;
  readonly stateless: boolean;
  readonly cacheable: Uint8Array;
  readonly requestMeta: Record<string, unknown>;
  readonly connect: Connect;
  readonly headers: Record<string, string>;
  readonly subprotocol: string;
  /** Header values (and their words): never in a log line. */
  private readonly secrets: string[];
  readonly clientVersion = VERSION;
  readonly maxPayload = 64 * 1024 * 1024;
  readonly tls: TlsOptions | undefined;
  readonly ports: LocalPorts;
  readonly flow: FlowNode[] | undefined;
  readonly arrivals: boolean;

  private readonly sessions: Session[] = [];
  /** Session arrivals: sessions whose flow is over, to reuse for the next arrivals. */
  private readonly free: Session[] = [];
  /** Session arrivals: the run's arrivals so far (all engines'; this engine takes every engineCount-th). */
  private arrived = 0;
  private lastPlanMs = 0;
  /** Sessions [0, wanted) should be connected; the rest are retired. */
  private wanted = 0;
  private readonly wheel: Wheel<Session>;
  /** The `now` of the wheel's visit under way (one visitor function, no closure per advance). */
  private wakeNow = 0;
  private wakeUntil = 0;
  private readonly wakeDue = (s: Session): void => s.wake(this.wakeNow, this.wakeUntil);
  private readonly timeouts = new TimeoutQueue();
  /**
   * Each queue's deadlines come in order only if they are all one duration after their send: entries
   * whose cancelAfter is shorter than the timeout get a queue per distinct duration (the timeout's is
   * `timeouts`). Indexed by mix entry.
   */
  private readonly entryQueues: TimeoutQueue[];
  private readonly queues: TimeoutQueue[];
  private connectQueue: Session[] = [];
  private connectHead = 0;
  /**
   * Sessions that were connected (or tried) and lost their connection: they connect before the first
   * connects still queued, so a target restart during a long ramp is a reconnect, not a wait behind
   * every session that has not connected yet.
   */
  private reconnectQueue: Session[] = [];
  private reconnectHead = 0;
  private connectTokens = 0;
  private connecting = 0;
  /** Connects started since the last ramp's end (see collectRampGarbage). */
  private rampConnects = 0;
  private lastTick: number;
  /** performance.now() at the shared start time. */
  readonly t0: number;
  private currentRate: number;
  private ticker: NodeJS.Timeout | undefined;
  private readonly snapshots: SnapshotClock;
  private elu = performance.eventLoopUtilization();
  private cpuAt = threadCpuSeconds();
  private notesLeft = NOTES_PER_INTERVAL;
  /** Worst ticker lateness this interval (ms). */
  private loopLagMs = 0;
  /** This thread's garbage-collection pauses this interval (ms), from perf_hooks 'gc' entries. */
  private gcPauseMs = 0;
  private gcObserver: PerformanceObserver | undefined;
  private readonly onGc = (list: PerformanceObserverEntryList): void => {
    for (const e of list.getEntries()) this.gcPauseMs += e.duration;
  };
  private sending = true;
  private sendingStoppedAtMs = 0;
  private finished: Promise<void> | undefined;
  /** How sessions connect (WebSocket, or the engine's undici pools for Streamable HTTP). */
  private readonly connector: Connector;
  /** When the drain gives up (performance clock); a later stop may bring it forward, never back. */
  private drainDeadline = Infinity;

  constructor(
    private readonly config: EngineConfig,
    private readonly events: EngineEvents,
    connect?: Connect,
  ) {
    this.profile = config.profile;
    this.terminator = config.frameTerminator;
    this.protocolVersion = config.protocolVersion;
    this.stateless = isStatelessRevision(config.protocolVersion);
    this.clientCapabilities = declaredCapabilities(this.profile.answers);
    this.multiRound = Uint8Array.from(this.profile.mix, (e) => (this.stateless && this.profile.answers && MULTI_ROUND_METHODS.includes(e.method) ? 1 : 0));
    // The cache key is the entry: its method and params, fixed (a templated cursor would differ per request).
    this.cacheable = Uint8Array.from(this.profile.mix, (e) =>
      this.stateless && this.profile.cacheLists === true && CACHEABLE_METHODS.includes(e.method) && !isTemplated(e) ? 1 : 0,
    );
    this.requestMeta = {
      'io.modelcontextprotocol/protocolVersion': config.protocolVersion,
      'io.modelcontextprotocol/clientCapabilities': this.clientCapabilities,
      'io.modelcontextprotocol/clientInfo': { name: 'mcpload', version: VERSION },
    };
    this.connector = connectorFor(config, this.stateless, this.maxPayload, connect);
    this.connect = this.connector.connect;
    this.headers = config.headers;
    this.subprotocol = config.subprotocol ?? DEFAULT_SUBPROTOCOL;
    this.secrets = headerSecrets(config.headers);
    this.tls = config.tls;
    this.ports = new LocalPorts(config.localPorts);
    // The mix's entries first, then the flow's request steps: one frame template and recorder each.
    const requests = profileRequests(this.profile);
    const mixLength = this.profile.mix.length;
    const methods = [...new Set(requests.map((e) => e.method))];
    // Each entry's target is known now: requests count under it without a look at their params.
    const targets = mixTargets(requests);
    // A step's entries (itself, then the targets it also picks from) share its recorder: stepOf[entry - mixLength].
    const stepOf: number[] = [];
    const steps = flowRequests(this.profile.flow).map((st, j) => {
      const at = mixLength + stepOf.length;
      for (let k = 0; k <= (st.also?.length ?? 0); k++) stepOf.push(j);
      return { key: st.key, method: st.method, target: st.also?.length ? undefined : targets[at] };
    });
    const recorder = () => new Recorder(methods, distinctTargets(requests), this.secrets, steps);
    const methodsOf = (rec: Recorder) => {
      const of = requests.map((e, i) => (i < mixLength ? rec.recorderOf(e.method, targets[i]) : rec.steps[stepOf[i - mixLength]].rec));
      requests.forEach((e, i) => {
        if (e.progress) of[i].progress ??= new ProgressRecorder();
      });
      return of;
    };
    this.recorder = recorder();
    const meta = this.stateless ? this.requestMeta : undefined;
    const { messageSize } = this.profile;
    this.templates = requests.map((request) => {
      const e = request.progress ? withProgressToken(request) : request;
      const frames = isTemplated(e)
        ? new TemplatedFrame(e, messageSize, this.terminator, meta, config.engineId, config.engineCount)
        : new FrameTemplate(e, messageSize, this.terminator, meta);
      return request.progress ? new ProgressFrames(frames) : frames;
    });
    // 2026-07-28 over Streamable HTTP cancels by closing the request's stream (the transport's abandon()), no notification.
    const cancelsByClosing = this.stateless && speaksHttp(config);
    this.cancel = cancelsByClosing ? undefined : new CancelTemplate(`request timed out after ${this.profile.timeoutMs} ms`, this.terminator);
    this.cancelAfter = cancelsByClosing ? undefined : new CancelTemplate("cancelled after the entry's cancelAfter", this.terminator);
    // Per request entry (the mix's, then the flow's steps): its deadline, and a queue per distinct one.
    const timeoutMs = this.profile.timeoutMs;
    this.deadlineOf = Float64Array.from(requests, (e) => Math.min(e.cancelAfterMs ?? Infinity, timeoutMs));
    this.cancelsAt = Uint8Array.from(requests, (e) => ((e.cancelAfterMs ?? Infinity) < timeoutMs ? 1 : 0));
    const byDuration = new Map<number, TimeoutQueue>([[timeoutMs, this.timeouts]]);
    this.entryQueues = Array.from(this.deadlineOf, (d) => byDuration.get(d) ?? byDuration.set(d, new TimeoutQueue()).get(d)!);
    this.queues = [...byDuration.values()];
    this.methodOf = methodsOf(this.recorder);
    const warm = (config.warmupMs ?? 0) > 0;
    this.warmRecorder = warm ? recorder() : this.recorder;
    this.warmOf = warm ? methodsOf(this.warmRecorder) : this.methodOf;
    this.mix = mixLength > 0 ? mixSequence(this.profile.mix.map((e) => e.weight)) : new Uint16Array(0);
    this.flow = this.profile.flow ? compileFlow(this.profile.flow, mixLength) : undefined;
    this.arrivals = this.profile.arrivalRate !== undefined;
    this.mixCounts = new Uint32Array(this.profile.mix.length);
    for (const entry of this.mix) this.mixCounts[entry]++;
    const now = performance.now();
    this.t0 = now + (config.startAtMs - Date.now());
    this.measureFrom = warm ? this.t0 : -Infinity;
    this.warming = warm && now < this.t0;
    this.lastTick = now;
    this.wheel = new Wheel(now, WHEEL_SLOTS_PER_MS);
    this.currentRate = this.profile.rate;
    this.snapshots = new SnapshotClock(this.t0, config.snapshotIntervalMs);
  }

  start(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.gcObserver = new PerformanceObserver(this.onGc);
    this.gcObserver.observe({ entryTypes: ['gc'] });
    if (this.config.spin) setImmediate(this.spin);
  }

  /**
   * --spin: look at the wheel once per event-loop turn (a setImmediate chain keeps libuv from
   * sleeping), so requests leave within a wheel slot of their time even on an idle engine, instead
   * of in the ticker's bursts. Ends when sending stops. A spinning loop is never idle to
   * eventLoopUtilization, so turns that neither read nor wrote a byte are counted as idle here.
   */
  private readonly spin = (): void => {
    const now = performance.now();
    const rec = this.recorder;
    const seen = rec.bytesReceived + rec.bytesSent;
    if (seen === this.spinSeen) this.spinIdleMs += now - this.spinAt;
    this.spinSeen = seen;
    this.spinAt = now;
    this.poll(now);
    if (this.sending) setImmediate(this.spin);
  };
  /** --spin: time in turns that moved no bytes, this snapshot interval (ms). */
  private spinIdleMs = 0;
  private spinAt = 0;
  private spinSeen = -1;

  rate(): number {
    return this.currentRate;
  }

  /** Sessions of this engine are the run's engineId, engineId + engineCount, ... (as `{{session}}` in frames). */
  sessionIndex(slot: number): number {
    return this.config.engineId + slot * this.config.engineCount;
  }

  poll(now = performance.now()): void {
    if (!this.wheel.reached(now)) return;
    this.wakeNow = this.wakeUntil = now;
    this.wheel.advance(now, this.wakeDue);
    if (POLL_AHEAD_MS > 0) {
      this.wakeUntil = now + POLL_AHEAD_MS;
      this.wheel.peek(this.wakeUntil, this.wakeDue);
    }
  }

  wake(session: Session, atMs: number): void {
    this.wheel.schedule(session, atMs);
  }

  private readonly expired = (slot: number, id: number): void => this.sessions[slot].timedOut(id);

  trackTimeout(session: Session, id: number, deadline: number): void {
    this.timeouts.push(session.slot, id, deadline);
  }

  trackEntry(session: Session, id: number, entry: number, sentAt: number): void {
    this.entryQueues[entry].push(session.slot, id, sentAt + this.deadlineOf[entry]);
  }

  connectSettled(): void {
    this.connecting--;
  }

  enqueueConnect(session: Session): void {
    if (!this.sending || session.slot >= this.wanted) {
      session.state = State.Idle;
      return;
    }
    this.reconnectQueue.push(session);
  }

  note(session: Session, what: string, err?: Error): void {
    if (this.notesLeft <= 0) return;
    this.notesLeft--;
    // Redacted here, before any cut: the line may echo a header value (a 500 body repeating the request).
    this.events.note(redactThenTruncate(`${session.url}: ${what}${err ? ': ' + err.message : ''}`, this.secrets));
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.lastTick - TICK_MS;
    if (late > this.loopLagMs) this.loopLagMs = late;
    const elapsed = now - this.t0;
    if (this.warming && elapsed >= 0) this.startMeasuring();
    if (this.sending) {
      if (elapsed >= this.config.durationMs) void this.stop(this.config.drainMs);
      // The warm-up holds what the stages ask at their start.
      else this.plan(this.warming ? 0 : elapsed);
    }
    if (this.sending) this.startConnections(now);
    if (this.rampConnects >= RAMP_GC_MIN_CONNECTS && this.connecting === 0 && this.connectsQueued() === 0) {
      this.rampConnects = 0;
      collectRampGarbage();
    }
    this.wakeNow = this.wakeUntil = now;
    this.wheel.advance(now, this.wakeDue);
    if (LOOK_AHEAD_MS > 0) {
      this.wakeUntil = now + LOOK_AHEAD_MS;
      this.wheel.peek(this.wakeUntil, this.wakeDue);
    }
    for (const q of this.queues) q.expire(now, this.expired);
    if (now >= this.snapshots.nextAt) {
      // Snapshots close the intervals of the shared clock (t0 + k × interval), skipping any missed.
      this.events.snapshot(this.snapshot(false, this.snapshots.close(now)));
    }
    this.lastTick = now;
  }

  /**
   * --warmup is over: the loop's and the traffic's figures start again, so second 0 holds no warm-up
   * (its requests are counted apart by their intended time: SessionHost.measureFrom). Sessions, handshakes
   * and connection errors of the warm-up stay: they are the sessions the run measures.
   */
  private startMeasuring(): void {
    this.warming = false;
    this.recorder.startMeasuring();
    this.loopLagMs = 0;
    this.gcPauseMs = 0;
    this.gcObserver?.takeRecords();
    this.elu = performance.eventLoopUtilization();
    this.cpuAt = threadCpuSeconds();
  }

  /** Session arrivals: the requests/s this engine's share of the arrivals asks for now. */
  private arrivalTargetRate(): number {
    const elapsed = performance.now() - this.t0;
    return (plannedArrivalRate(this.profile, elapsed) * requestsPerFlow(this.profile.flow ?? [])) / this.config.engineCount;
  }

  released(session: Session): void {
    if (this.sending) this.free.push(session);
  }

  /**
   * Session arrivals: start this engine's share of the sessions due by `elapsed` (the run's n-th
   * arrival is engine n mod engineCount's), each due at its own time on the schedule, interpolated
   * within the tick: a late tick or connect queue counts in the flow's first step.
   */
  private planArrivals(elapsed: number): void {
    const { profile, engineId, engineCount } = this.config;
    const before = this.lastPlanMs;
    const from = arrivalsBy(profile, before);
    const to = arrivalsBy(profile, elapsed);
    this.lastPlanMs = elapsed;
    for (; this.arrived < to; this.arrived++) {
      if (this.arrived % engineCount !== engineId) continue;
      const share = to > from ? (this.arrived - from) / (to - from) : 1;
      const at = this.t0 + before + Math.max(0, Math.min(1, share)) * (elapsed - before);
      let s = this.free.pop();
      if (s === undefined || s.state !== State.Idle) {
        const slot = this.sessions.length;
        const { urls, localAddresses } = this.config;
        const combo = slot % (urls.length * Math.max(1, localAddresses.length));
        const local = localAddresses.length ? localAddresses[Math.floor(combo / urls.length)] : undefined;
        s = new Session(this, slot, urls[combo % urls.length], local);
        this.sessions.push(s);
      }
      this.wanted = this.sessions.length;
      s.arrive(at);
      s.state = State.Queued;
      this.connectQueue.push(s);
    }
  }

  /** Bring the number of wanted sessions and the rate to what the stages say now. */
  private plan(elapsed: number): void {
    if (this.arrivals) return this.planArrivals(elapsed);
    const { profile, engineId, engineCount } = this.config;
    this.currentRate = plannedRate(profile, elapsed);
    const total = plannedClients(profile, elapsed);
    // This engine owns the global clients engineId, engineId + engineCount, ...
    const mine = total > engineId ? Math.floor((total - engineId - 1) / engineCount) + 1 : 0;
    while (this.wanted < mine) {
      const slot = this.wanted++;
      let s = this.sessions[slot];
      if (!s) {
        // Each engine spreads its own sessions over every URL × source address, so every engine
        // uses its port slice on every address evenly (and the run as a whole is even too).
        const { urls, localAddresses } = this.config;
        const combo = slot % (urls.length * Math.max(1, localAddresses.length));
        const url = urls[combo % urls.length];
        const local = localAddresses.length ? localAddresses[Math.floor(combo / urls.length)] : undefined;
        s = new Session(this, slot, url, local);
        this.sessions.push(s);
      }
      if (s.state === State.Idle) {
        s.state = State.Queued;
        this.connectQueue.push(s);
      }
    }
    while (this.wanted > mine) this.sessions[--this.wanted].retire(false);
  }

  private connectsQueued(): number {
    return this.connectQueue.length - this.connectHead + this.reconnectQueue.length - this.reconnectHead;
  }

  private startConnections(now: number): void {
    if (this.connectsQueued() === 0) {
      this.connectTokens = Math.min(this.connectTokens, 1);
      return;
    }
    const rate = this.config.connectRate;
    let budget = this.config.maxConnecting - this.connecting;
    if (rate > 0) {
      // A token bucket for the connect ramp: the time since the last tick's worth, plus a burst of one
      // tick's. A late tick (a busy loop, a busy machine) keeps the tokens it was owed: capping them at
      // one tick's worth held a ramp to one connect per tick, ~40 sessions/s on a loaded machine.
      const owed = ((now - this.lastTick) * rate) / 1000;
      this.connectTokens = Math.min(this.connectTokens + owed, owed + Math.max(1, rate / 1000));
      budget = Math.min(budget, Math.floor(this.connectTokens));
    }
    // Reconnects first, then first connects, from one budget.
    const used = this.drainQueue(this.reconnectQueue, true, budget, now);
    this.drainQueue(this.connectQueue, false, budget - used, now);
  }

  /** Connect up to `budget` sessions of one queue; how many it connected. */
  private drainQueue(queue: Session[], reconnects: boolean, budget: number, now: number): number {
    let head = reconnects ? this.reconnectHead : this.connectHead;
    let n = 0;
    while (n < budget && head < queue.length) {
      const s = queue[head++];
      if (s.state !== State.Queued) continue;
      if (s.slot >= this.wanted) {
        s.state = State.Idle;
        continue;
      }
      this.connecting++;
      this.rampConnects++;
      s.connect(now);
      n++;
      if (this.config.connectRate > 0) this.connectTokens--;
    }
    if (head >= queue.length) {
      queue.length = 0;
      head = 0;
    }
    if (reconnects) this.reconnectHead = head;
    else this.connectHead = head;
    return n;
  }

  /**
   * Stop sending; sessions close as their in-flight requests are answered; after `drainMs`
   * whatever is left is closed and counted. Resolves after the final snapshot was posted.
   */
  stop(drainMs: number): Promise<void> {
    // A second stop (a second signal) may cut the drain short.
    this.drainDeadline = Math.min(this.drainDeadline, performance.now() + drainMs);
    if (this.finished) return this.finished;
    this.sending = false;
    this.sendingStoppedAtMs = Date.now();
    this.connectQueue = [];
    this.connectHead = 0;
    this.reconnectQueue = [];
    this.reconnectHead = 0;
    for (const s of this.sessions) s.retire(false);
    this.finished = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        const busy = this.sessions.some((s) => s.state === State.Retiring || s.state === State.Handshake || s.state === State.Open);
        if (busy && performance.now() < this.drainDeadline) return;
        clearInterval(check);
        for (const s of this.sessions) s.stop();
        // One more tick so close frames are queued before the final snapshot counts everything.
        setTimeout(() => {
          // HTTP sessions' DELETEs get a moment to reach the server before the thread may end; the final
          // snapshot goes out whatever the close does.
          void this.connector
            .close(1000)
            .catch(() => undefined)
            .then(() => {
              if (this.ticker) clearInterval(this.ticker);
              this.ticker = undefined;
              const snapshot = this.snapshot(true);
              this.gcObserver?.disconnect();
              this.events.snapshot(snapshot);
              resolve();
            });
        }, 20);
      }, 10);
    });
    return this.finished;
  }

  /** `interval`: the interval the deltas belong to (default: the one under way now). */
  snapshot(final: boolean, interval = this.snapshots.current(performance.now())): EngineSnapshot {
    let connecting = 0;
    let open = 0;
    let failed = 0;
    let inFlight = 0;
    for (const s of this.sessions) {
      if (s.state === State.Connecting || s.state === State.Handshake) connecting++;
      else if (s.state === State.Open || s.state === State.Retiring) open++;
      else if (s.state === State.Failed) failed++;
      inFlight += s.inFlight;
    }
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const elapsedMs = elu.idle + elu.active;
    const loopUtilization = this.config.spin && elapsedMs > 0 ? Math.max(0, 1 - this.spinIdleMs / elapsedMs) : elu.utilization;
    this.spinIdleMs = 0;
    this.notesLeft = NOTES_PER_INTERVAL;
    const loopLagMs = this.loopLagMs;
    this.loopLagMs = 0;
    // Entries not yet delivered to onGc (the observer's callback runs later in the loop) count now.
    if (this.gcObserver) for (const e of this.gcObserver.takeRecords()) this.gcPauseMs += e.duration;
    const gcPauseMs = this.gcPauseMs;
    this.gcPauseMs = 0;
    const cpu = threadCpuSeconds();
    const cpuSeconds = cpu < 0 || this.cpuAt < 0 ? -1 : cpu - this.cpuAt;
    this.cpuAt = cpu;
    const snapshot = this.recorder.take({
      loopLagMs,
      gcPauseMs,
      engineId: this.config.engineId,
      atMs: Date.now(),
      final,
      interval,
      sessionsWanted: this.sending ? (this.arrivals ? connecting + open : this.wanted) : 0,
      sessionsConnecting: connecting,
      sessionsOpen: open,
      sessionsFailed: failed,
      inFlight,
      targetRate: this.sending ? (this.arrivals ? this.arrivalTargetRate() : open * this.currentRate) : 0,
      loopUtilization,
      cpuSeconds,
      sendingStoppedAtMs: this.sendingStoppedAtMs,
    });
    if (this.warmRecorder !== this.recorder) snapshot.warmup = this.warmRecorder.takeWarmup();
    return snapshot;
  }
}
