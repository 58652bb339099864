/**
 * The coordinator runs on the main thread: it starts the engines (threads here, or threads of child
 * processes), hands each its share of the sessions, merges their snapshots into one Aggregate, and
 * stops them. It renders nothing; progress, metrics and reports subscribe to its events.
 */
import { EventEmitter } from 'node:events';
import { DEFAULT_DRAIN_TIMEOUT_MS, SNAPSHOT_INTERVAL_MS } from '../config/defaults.js';
import type { RunOptions } from '../config/types.js';
import { peakClients } from '../config/stages.js';
import type { EngineConfig, EngineSnapshot, EngineToMain } from '../shared/messages.js';
import { DEFAULT_LOCAL_PORTS, portSlice } from '../config/ports.js';
import { openFilesLimit } from '../config/limits.js';
import { Aggregate, type LostEngine } from './aggregate.js';
import { startEngines as defaultStartEngines, type EngineHandle } from './engines.js';
import { EnginesFirst } from './priority.js';
import type { KernelThread } from '../shared/kernel-thread.js';

/**
 * Connection attempts (connect + upgrade + initialize) in progress across all engines at most.
 * Without a bound, 20K sessions wanted at once would all send SYNs in one tick and overflow the
 * target's accept backlog (dropped SYNs are retried a second later); 1,000 is what a bare ws
 * client ramp keeps in flight in bench/scale.mjs.
 */
export const MAX_CONNECTING = 1000;

/**
 * How often one engine is respawned after dying. A crash loop (an engine that dies again at once)
 * stops there: its sessions stay lost and the run carries on with the others.
 */
export const MAX_RESPAWNS = 3;

/** --start-at: the engines get their start message this long before the instant, to be ready on it. */
const START_LEAD_MS = 50;

export interface CoordinatorEvents {
  snapshot: [snapshot: EngineSnapshot, aggregate: Aggregate];
  /**
   * Interval `interval` of the run is in from every engine (or an engine is two behind the newest and is
   * not waited for): the Aggregate holds the whole run up to its end, `(interval + 1)` snapshot intervals
   * after the start. Once per interval, in order; what the live view and the run's logs read.
   */
  interval: [interval: number, aggregate: Aggregate];
  /** The engines are told to start (their shared start of measuring, ms since epoch; a warm-up runs before it). */
  started: [startAtMs: number, engines: number];
  note: [message: string];
  /** An engine died before its final snapshot; `respawned`: a new one took its sessions over. */
  lost: [lost: LostEngine, respawned: boolean];
}

export class Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly aggregate: Aggregate;
  private engines: EngineHandle[] = [];
  private readonly finished = new Set<number>();
  private stopping = false;
  private drainMs = Infinity;
  private done: Promise<Aggregate> | undefined;
  private openFilesSoft: number | undefined;
  /** The shared start (ms since epoch); 0 until the engines were told to start. */
  private startAtMs = 0;
  private readonly respawns = new Map<number, number>();
  /** The newest interval each engine posted a snapshot for. */
  private readonly reported = new Map<number, number>();
  /** The newest interval told as complete (-1: none yet). */
  private completeInterval = -1;
  /** opts.enginesFirst: the other threads' priority below the engines' (main/priority.ts). */
  private readonly priority = new EnginesFirst();

  constructor(
    private readonly opts: RunOptions,
    /** Target URLs (the user's, or the built-in target's). */
    private readonly urls: string[],
    /** Where the engines come from; tests pass fixture engines. */
    private readonly startEngines: typeof defaultStartEngines = defaultStartEngines,
  ) {
    super();
    this.aggregate = new Aggregate(Date.now(), SNAPSHOT_INTERVAL_MS);
  }

  /** Start the engines and resolve with the merged result once every engine posted its final snapshot. */
  run(): Promise<Aggregate> {
    if (this.done) return this.done;
    this.done = this.start();
    return this.done;
  }

  /** Processes the engines run in (1: this one). */
  get processCount(): number {
    return Math.max(1, Math.min(this.opts.processes ?? 1, this.peakClients));
  }

  /** Engines: `workers` threads in each process, and no more than the sessions to share out. */
  get engineCount(): number {
    return Math.max(1, Math.min(this.opts.workers * this.processCount, this.peakClients));
  }

  private get peakClients(): number {
    return peakClients(this.opts.profile);
  }

  private async start(): Promise<Aggregate> {
    const count = this.engineCount;
    let allFinal!: () => void;
    const finished = new Promise<void>((resolve) => (allFinal = resolve));
    this.engines = this.startEngines(count, this.processCount);
    this.aggregate.expectEngines(count);
    const ready = this.engines.map(
      (engine) =>
        new Promise<KernelThread | undefined>((resolve) =>
          engine.onMessage((msg) => {
            if (msg.type === 'ready') resolve(msg.thread);
            else this.onMessage(msg, count, allFinal);
            // An engine that dies before it is ready must not hold the run up.
            if (msg.type === 'fatal') resolve(undefined);
          }),
        ),
    );
    const threads = await Promise.all(ready);
    if (this.opts.enginesFirst) this.priority.started(threads);
    // --start-at: every shard's engines are up by then; they are told START_LEAD_MS ahead and all begin at the instant.
    if (this.opts.startAtMs !== undefined) await this.waitUntil(this.opts.startAtMs - START_LEAD_MS);
    const sendAtMs = Math.max(Date.now() + 10, this.stopping ? 0 : (this.opts.startAtMs ?? 0));
    // --warmup: the engines connect and send from sendAtMs, and measure (and count the run's duration) from here.
    const startAtMs = sendAtMs + (this.opts.warmupMs ?? 0);
    this.startAtMs = startAtMs;
    this.aggregate.startedAtMs = startAtMs;
    this.engines.forEach((e, engineId) => e.post({ type: 'start', config: this.engineConfig(engineId, count, startAtMs) }));
    this.emit('started', startAtMs, count);
    if (this.stopping) this.engines.forEach((e) => e.post({ type: 'stop', drainMs: this.drainMs }));
    await finished;
    this.aggregate.finish();
    await Promise.all(this.engines.map((e) => e.terminate()));
    return this.aggregate;
  }

  /** Whether the engines were told to start (false while --start-at is ahead). */
  get started(): boolean {
    return this.startAtMs > 0;
  }

  /** Nice steps the threads other than the engines' ran below them (enginesFirst); undefined when none was lowered. */
  get othersNice(): number | undefined {
    return this.priority.count > 0 ? this.priority.by : undefined;
  }

  /** --start-at: how late the engines started after the instant asked (ms; 0 on time), once they did. */
  get startSkewMs(): number | undefined {
    return this.opts.startAtMs === undefined || !this.started ? undefined : this.startAtMs - (this.opts.warmupMs ?? 0) - this.opts.startAtMs;
  }

  /** Sleep until `atMs` (ms since the epoch), or until a stop. */
  private waitUntil(atMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const tick = () => {
        const left = atMs - Date.now();
        if (left <= 0 || this.stopping) return resolve();
        // Re-armed at most every second, so a stop during a long wait is seen soon.
        setTimeout(tick, Math.min(left, 1000));
      };
      tick();
    });
  }

  /** Stop early (a signal): engines stop sending, drain for `drainMs`, post their final snapshots. Idempotent. */
  stop(drainMs = this.opts.drainMs ?? DEFAULT_DRAIN_TIMEOUT_MS): void {
    this.drainMs = Math.min(this.drainMs, drainMs);
    this.stopping = true;
    for (const e of this.engines) e.post({ type: 'stop', drainMs: this.drainMs });
  }

  private engineConfig(engineId: number, engineCount: number, startAtMs: number): EngineConfig {
    const o = this.opts;
    // Read once on the main thread, not by every engine (the engines' processes inherit the limit).
    this.openFilesSoft ??= openFilesLimit()?.soft ?? Infinity;
    return {
      engineId,
      engineCount,
      profile: o.profile,
      urls: this.urls,
      localAddresses: o.localAddresses,
      localPorts: portSlice(o.localPorts ?? DEFAULT_LOCAL_PORTS, engineId, engineCount),
      headers: o.headers,
      protocolVersion: o.protocolVersion,
      transport: o.transport ?? 'ws',
      sessionsPerEngine: Math.ceil(this.peakClients / engineCount),
      openFilesSoft: this.openFilesSoft,
      frameTerminator: o.frameTerminator,
      subprotocol: o.subprotocol,
      connectRate: o.connectRate / engineCount,
      maxConnecting: Math.ceil(MAX_CONNECTING / engineCount),
      durationMs: o.durationMs,
      startAtMs,
      ...(o.warmupMs ? { warmupMs: o.warmupMs } : {}),
      snapshotIntervalMs: SNAPSHOT_INTERVAL_MS,
      drainMs: this.opts.drainMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      tls: this.opts.tls,
      spin: this.opts.spin ?? false,
      ...(this.opts.httpGetStream ? { httpGetStream: true } : {}),
    };
  }

  private onMessage(msg: EngineToMain, count: number, allFinal: () => void): void {
    switch (msg.type) {
      case 'snapshot':
        if (this.finished.has(msg.snapshot.engineId)) return;
        this.aggregate.add(msg.snapshot);
        this.emit('snapshot', msg.snapshot, this.aggregate);
        // A final snapshot covers a partial interval and the drain: it completes no interval of its own.
        if (!msg.snapshot.final) this.reported.set(msg.snapshot.engineId, msg.snapshot.interval);
        if (msg.snapshot.final) this.engineFinished(msg.snapshot.engineId, count, allFinal);
        this.completeIntervals(count);
        return;
      case 'note':
        this.emit('note', msg.message);
        return;
      case 'fatal':
        if (this.finished.has(msg.engineId)) return;
        this.engineDied(msg.engineId, msg.message, count, allFinal);
        return;
      case 'ready':
        return;
    }
  }

  /**
   * An engine died before its final snapshot (its thread crashed, its process was killed). What it held
   * at its last snapshot is counted as lost; while the run still sends, a new engine with the same id and
   * config takes its sessions over (they connect again, following the same stages to the same end), so
   * the load the profile asks for is restored instead of silently running short.
   */
  private engineDied(engineId: number, why: string, count: number, allFinal: () => void): void {
    const lost = this.aggregate.engineLost(engineId, Date.now());
    const old = this.engines[engineId];
    const respawns = this.respawns.get(engineId) ?? 0;
    const sending = this.startAtMs > 0 && !this.stopping && (this.opts.durationMs === 0 || Date.now() < this.startAtMs + this.opts.durationMs);
    const respawn = sending && old?.respawn !== undefined && respawns < MAX_RESPAWNS;
    this.emit(
      'note',
      `engine ${engineId} was lost (${why}): ${lost.sessions} open sessions and ${lost.inFlight} requests in flight at its last snapshot, and up to a second of its figures` +
        (respawn ? '; a new engine takes its sessions over' : ''),
    );
    this.emit('lost', lost, respawn);
    if (!respawn) {
      this.engineFinished(engineId, count, allFinal);
      return;
    }
    this.respawns.set(engineId, respawns + 1);
    const fresh = old.respawn!();
    this.engines[engineId] = fresh;
    fresh.onMessage((msg) => {
      if (msg.type !== 'ready') return this.onMessage(msg, count, allFinal);
      if (this.opts.enginesFirst) this.priority.respawned(msg.thread);
      fresh.post({ type: 'start', config: this.engineConfig(engineId, count, this.startAtMs) });
      if (this.stopping) fresh.post({ type: 'stop', drainMs: this.drainMs });
    });
  }

  private engineFinished(engineId: number, count: number, allFinal: () => void): void {
    this.finished.add(engineId);
    this.completeIntervals(count);
    if (this.finished.size >= count) allFinal();
  }

  /**
   * Tell each interval every running engine has posted. Engines post in order, so the slowest one's newest
   * interval is complete; one that lags two intervals behind the newest (a respawn, a stalled thread) is not
   * waited for, so the live view keeps its schedule. Finished engines are not waited for either.
   */
  private completeIntervals(count: number): void {
    let newest = -1;
    let slowest = Infinity;
    for (let id = 0; id < count; id++) {
      const k = this.reported.get(id) ?? -1;
      newest = Math.max(newest, k);
      if (!this.finished.has(id)) slowest = Math.min(slowest, k);
    }
    const complete = Math.max(slowest === Infinity ? newest : slowest, newest - 2);
    while (this.completeInterval < complete) this.emit('interval', ++this.completeInterval, this.aggregate);
  }
}
