/**
 * The coordinator runs on the main thread: it starts the engine threads, hands each its share of
 * the sessions, merges their snapshots into one Aggregate, and stops them. It renders nothing;
 * progress, metrics and reports subscribe to its events.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunOptions } from '../config/types.js';
import type { EngineConfig, EngineSnapshot, EngineToMain, MainToEngine } from '../shared/messages.js';
import { Aggregate } from './aggregate.js';

export const SNAPSHOT_INTERVAL_MS = 1000;
export const DEFAULT_DRAIN_MS = 5000;

export interface CoordinatorEvents {
  snapshot: [snapshot: EngineSnapshot, aggregate: Aggregate];
  note: [message: string];
}

/**
 * The engine thread's file. Built code runs dist/worker/worker.js next to this file; under the
 * test runner this module is TypeScript in src/, and the thread runs the build in dist/.
 */
function workerFile(): URL {
  const own = new URL('../worker/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(own))) return own;
  return new URL('../../dist/worker/worker.js', import.meta.url);
}

export class Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly aggregate: Aggregate;
  private readonly workers: Worker[] = [];
  private readonly finished = new Set<number>();
  private stopping = false;
  private done: Promise<Aggregate> | undefined;

  constructor(
    private readonly opts: RunOptions,
    /** Target URLs (the user's, or the built-in target's). */
    private readonly urls: string[],
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

  /** Engine threads: no more than the sessions to share out. */
  get engineCount(): number {
    const { workers, profile } = this.opts;
    const peak = Math.max(profile.clients, ...profile.stages.map((s) => s.clients));
    return Math.max(1, Math.min(workers, peak));
  }

  private async start(): Promise<Aggregate> {
    const count = this.engineCount;
    const file = workerFile();
    const ready: Promise<void>[] = [];
    let allFinal!: () => void;
    const finished = new Promise<void>((resolve) => (allFinal = resolve));
    for (let i = 0; i < count; i++) {
      const worker = new Worker(file, { name: `mcpload-engine-${i}` });
      this.workers.push(worker);
      ready.push(
        new Promise((resolve) =>
          worker.on('message', (msg: EngineToMain) => {
            if (msg.type === 'ready') resolve();
            else this.onMessage(msg, count, allFinal);
          }),
        ),
      );
      // A crashed engine must not take the run down: count it as finished and say why.
      worker.on('error', (err) => {
        this.emit('note', `engine ${i} failed: ${err.message}`);
        this.engineFinished(i, count, allFinal);
      });
    }
    await Promise.all(ready);
    const startAtMs = Date.now() + 10;
    this.aggregate.startedAtMs = startAtMs;
    this.workers.forEach((w, engineId) => this.post(w, { type: 'start', config: this.engineConfig(engineId, count, startAtMs) }));
    if (this.stopping) this.workers.forEach((w) => this.post(w, { type: 'stop', drainMs: this.drainMs }));
    await finished;
    this.aggregate.finish();
    await Promise.all(this.workers.map((w) => w.terminate()));
    return this.aggregate;
  }

  private drainMs = DEFAULT_DRAIN_MS;

  /** Stop early (a signal): engines stop sending, drain for `drainMs`, post their final snapshots. Idempotent. */
  stop(drainMs = DEFAULT_DRAIN_MS): void {
    this.drainMs = Math.min(this.drainMs, drainMs);
    this.stopping = true;
    for (const w of this.workers) this.post(w, { type: 'stop', drainMs: this.drainMs });
  }

  private engineConfig(engineId: number, engineCount: number, startAtMs: number): EngineConfig {
    const o = this.opts;
    return {
      engineId,
      engineCount,
      profile: o.profile,
      urls: this.urls,
      localAddresses: o.localAddresses,
      headers: o.headers,
      protocolVersion: o.protocolVersion,
      frameTerminator: o.frameTerminator,
      connectRate: o.connectRate / engineCount,
      durationMs: o.durationMs,
      startAtMs,
      snapshotIntervalMs: SNAPSHOT_INTERVAL_MS,
      drainMs: DEFAULT_DRAIN_MS,
    };
  }

  private onMessage(msg: EngineToMain, count: number, allFinal: () => void): void {
    switch (msg.type) {
      case 'snapshot':
        this.aggregate.add(msg.snapshot);
        this.emit('snapshot', msg.snapshot, this.aggregate);
        if (msg.snapshot.final) this.engineFinished(msg.snapshot.engineId, count, allFinal);
        return;
      case 'note':
        this.emit('note', msg.message);
        return;
      case 'fatal':
        this.emit('note', `engine ${msg.engineId} failed: ${msg.message}`);
        this.engineFinished(msg.engineId, count, allFinal);
        return;
    }
  }

  private engineFinished(engineId: number, count: number, allFinal: () => void): void {
    this.finished.add(engineId);
    if (this.finished.size >= count) allFinal();
  }

  private post(w: Worker, msg: MainToEngine): void {
    w.postMessage(msg);
  }
}
