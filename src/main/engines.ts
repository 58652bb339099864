/**
 * Where engines run: as worker threads of this process, or as worker threads of child processes
 * (`--processes N`) when one process's open-files limit cannot hold the sessions. Both speak the
 * same messages (src/shared/messages.ts); the coordinator sees only EngineHandles.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { EngineToMain, HostMessage, HostReply, MainToEngine } from '../shared/messages.js';
import { deathReason } from '../shared/errors.js';

export interface EngineHandle {
  post(msg: MainToEngine): void;
  /** Every message the engine posts, and a crash as `fatal`. */
  onMessage(listener: (msg: EngineToMain) => void): void;
  terminate(): Promise<void>;
  /** A new engine with the same id where this one ran (a thread, or a process of its own), after it died. */
  respawn?(): EngineHandle;
}

/**
 * A file of the build. Built code runs dist/ files next to this module; under the test runner this
 * module is TypeScript in src/, and threads and child processes run the build in dist/.
 */
function built(relative: string): URL {
  const own = new URL(relative, import.meta.url);
  if (existsSync(fileURLToPath(own))) return own;
  return new URL(relative.replace(/^\.\.\//, '../../dist/'), import.meta.url);
}

export const workerFile = () => built('../worker/worker.js');
const hostFile = () => built('./engine-host.js');
const inlineHostFile = () => built('../worker/engine-process.js');

/**
 * Engine threads get a capped young generation (V8's default lets the semi-spaces grow to 16 MB
 * each). With the default, a long run's RSS kept stepping up for minutes (bench/soak.mjs: +15.8%
 * over 6 minutes, A/B in one run); capped at 6 MB it was flat, but depth-1 throughput dropped ~10%
 * (more scavenges). 16 MB kept both: same req/s as the default at depth 1 and a flat soak; 32 MB was
 * as flat (-9.8 % over 10 minutes). 32 MB now: at 16 MB a ramp's in-flight connects (upgrade request,
 * parser, handshake) outlived the semi-spaces and were promoted, ~4 KB of old-space garbage per session
 * that an idle engine never collects: RSS per idle session 8.7-9.2 KiB vs 4.3 KiB at 32 MB (bare ws
 * 5.5-5.7; bench/scale.mjs, 50K). Figures in bench/RESULTS.md ("soak", 2026-12-03 "what an idle
 * session's RSS is made of"). BENCH_ENGINE_YOUNG_MB overrides it for measurements
 * (0 = V8's default; not MCPLOAD_*: yargs reads those as options). BENCH_ENGINE_OLD_MB caps the old
 * generation the same way (unset: V8's default), for soak A/B runs of V8's heap growing factor.
 */
const ENGINE_YOUNG_GENERATION_MB = Number(process.env.BENCH_ENGINE_YOUNG_MB ?? 32);
const ENGINE_OLD_GENERATION_MB = Number(process.env.BENCH_ENGINE_OLD_MB ?? 0);

/**
 * Engine threads start with their young generation at its cap, and it stays there. Left to V8, it
 * starts at 1 MB a semi-space, grows under load, is shrunk again by V8's memory reducer (which takes
 * an engine's steady allocation for idleness) and regrows, over and over: a soak's RSS then swings
 * by the engine's whole new space (4 -> 16 MB committed, --trace-gc-verbose) every two or three
 * minutes. V8 reads --min-semi-space-size when it makes an isolate, so setting it here touches only
 * the engine threads made after it (this process's own heap is made already), and V8 clamps it to
 * each thread's cap (resourceLimits below). Figures in bench/RESULTS.md ("soak"). BENCH_ENGINE_YOUNG_FIXED=0
 * leaves V8's default, for A/B runs.
 */
/** Gives engines `gc` for their one collection after a ramp (collectRampGarbage). */
const ENGINE_GC_FLAG = '--expose-gc';

/**
 * No allocation-site pretenuring in engines. V8 watches how many objects of each allocation site
 * survive a scavenge and, past a threshold, allocates that site's objects in old space from then on.
 * A stall (a GC, a busy tick) leaves many requests in flight at a scavenge, so V8 pretenured an
 * engine's per-request objects (the Pending of a second request in flight, its Map's tables, the
 * socket Writable's entries), which then die young in old space: at 42K req/s on one engine its old
 * space grew 1.2 MB per scavenge, 3-7 mark-compacts of 2.5-9 ms came in 10 s, and scavenges took
 * 2.1 ms against 0.6 ms without it (--trace-gc, bench/RESULTS.md 2026-12-05 "pretenuring"). BENCH_ENGINE_PRETENURE=1
 * keeps V8's default, for A/B runs.
 */
const ENGINE_PRETENURE_FLAG = process.env.BENCH_ENGINE_PRETENURE === '1' ? [] : ['--no-allocation-site-pretenuring'];
/** BENCH_ENGINE_V8_FLAGS="--a --b": more V8 flags for engines, for A/B measurements only. */
const ENGINE_V8_FLAGS = [...ENGINE_PRETENURE_FLAG, ...(process.env.BENCH_ENGINE_V8_FLAGS ?? '').split(' ').filter(Boolean)];

let youngFixed = false;
function setEngineV8Flags(mb: number): void {
  if (youngFixed) return;
  youngFixed = true;
  // Engines run one full GC when a ramp ends (src/worker/engine.ts, collectRampGarbage); like the flag
  // below, this reaches the isolates made after it, not this process's own.
  setFlagsFromString(ENGINE_GC_FLAG);
  for (const flag of ENGINE_V8_FLAGS) setFlagsFromString(flag);
  if (mb > 0 && process.env.BENCH_ENGINE_YOUNG_FIXED !== '0') setFlagsFromString(`--min-semi-space-size=${mb}`);
}

export function newEngineWorker(engineId: number): Worker {
  const young = ENGINE_YOUNG_GENERATION_MB;
  const old = ENGINE_OLD_GENERATION_MB;
  setEngineV8Flags(young);
  return new Worker(workerFile(), {
    name: `mcpload-engine-${engineId}`,
    resourceLimits: { ...(young > 0 ? { maxYoungGenerationSizeMb: young } : {}), ...(old > 0 ? { maxOldGenerationSizeMb: old } : {}) },
  });
}

/** How long an engine host process may take to exit after its channel closed before it is killed. */
const HOST_EXIT_GRACE_MS = 5000;

class ThreadEngine implements EngineHandle {
  private readonly worker: Worker;
  /** Ended by us (terminate, respawn), or its death was told once already: no (further) fatal. */
  private ending = false;

  constructor(engineId: number) {
    this.worker = newEngineWorker(engineId);
    this.engineId = engineId;
  }

  private readonly engineId: number;

  post(msg: MainToEngine): void {
    this.worker.postMessage(msg);
  }

  onMessage(listener: (msg: EngineToMain) => void): void {
    this.worker.on('message', listener);
    // A crashed engine must not take the run down: it reports as a fatal message, once. A thread that
    // exits without an error (process.exit in it) is a death too, or the run would wait for it forever.
    const died = (message: string) => {
      if (this.ending) return;
      this.ending = true;
      listener({ type: 'fatal', engineId: this.engineId, message });
    };
    this.worker.on('error', (err) => died(deathReason(err)));
    this.worker.on('exit', (code) => died(`engine thread exited (code ${code})`));
  }

  async terminate(): Promise<void> {
    this.ending = true;
    await this.worker.terminate();
  }

  respawn(): EngineHandle {
    this.ending = true;
    void this.worker.terminate();
    return new ThreadEngine(this.engineId);
  }
}

class HostedEngine implements EngineHandle {
  private ending = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly engineId: number,
  ) {}

  post(msg: MainToEngine): void {
    if (this.child.connected) this.child.send({ engineId: this.engineId, msg } satisfies HostMessage);
  }

  onMessage(listener: (msg: EngineToMain) => void): void {
    this.child.on('message', (reply: HostReply) => {
      if (reply.engineId !== this.engineId || this.ending) return;
      // One death per engine: its fatal, then nothing more from this host for it (a respawn takes over).
      if (reply.msg.type === 'fatal') this.ending = true;
      listener(reply.msg);
    });
    this.child.on('exit', (code, signal) => {
      if (this.ending) return;
      this.ending = true;
      listener({ type: 'fatal', engineId: this.engineId, message: `engine process exited (${signal ?? code})` });
    });
  }

  /** Its host process died (it held other engines too: each respawns in a process of its own). */
  respawn(): EngineHandle {
    this.ending = true;
    return new HostedEngine(forkHost([this.engineId]), this.engineId);
  }

  /** The host process ignores signals (they are the coordinator's): it ends when its IPC channel closes. */
  async terminate(): Promise<void> {
    this.ending = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), HOST_EXIT_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      if (child.connected) child.disconnect();
    });
  }
}

/**
 * `count` engines over `processes` processes: 1 means threads of this process; more means child
 * processes, each hosting an even share of the engines (one on its own main thread, several as threads).
 */
export function startEngines(count: number, processes: number): EngineHandle[] {
  if (processes <= 1) return Array.from({ length: count }, (_, i) => new ThreadEngine(i));
  // Engine i lives in process i % processes; each host learns its engines from its arguments.
  const children = Array.from({ length: processes }, (_, p) => forkHost(Array.from({ length: count }, (_, i) => i).filter((i) => i % processes === p)));
  return Array.from({ length: count }, (_, i) => new HostedEngine(children[i % processes], i));
}

/**
 * A host of one engine runs it on its own main thread (worker/engine-process.ts); BENCH_ENGINE_THREADED_HOST=1
 * keeps it on a thread relayed by engine-host.ts, for A/B runs.
 */
function hostsInline(engineIds: readonly number[]): boolean {
  return engineIds.length === 1 && process.env.BENCH_ENGINE_THREADED_HOST !== '1';
}

/** The V8 flags that give a process's own heap what newEngineWorker's resourceLimits give a thread. */
function engineHeapFlags(): string[] {
  const young = ENGINE_YOUNG_GENERATION_MB;
  const old = ENGINE_OLD_GENERATION_MB;
  const flags: string[] = [];
  // V8 splits a young generation into two semi-spaces; fixed at the cap, as setEngineV8Flags does for threads.
  if (young > 0) flags.push(`--max-semi-space-size=${Math.max(1, Math.floor(young / 2))}`);
  if (young > 0 && process.env.BENCH_ENGINE_YOUNG_FIXED !== '0') flags.push(`--min-semi-space-size=${Math.max(1, Math.floor(young / 2))}`);
  if (old > 0) flags.push(`--max-old-space-size=${old}`);
  return flags;
}

function forkHost(engineIds: number[]): ChildProcess {
  const inline = hostsInline(engineIds);
  const file = fileURLToPath(inline ? inlineHostFile() : hostFile());
  const execArgv = [...process.execArgv, ENGINE_GC_FLAG, ...ENGINE_V8_FLAGS, ...(inline ? engineHeapFlags() : [])];
  // 'advanced' serialization is structured clone, like postMessage (Infinity survives, unlike JSON).
  return fork(file, [engineIds.join(',')], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * The size of V8's background thread pool (GC helpers, concurrent compilation) where the engines run: the last
 * --v8-pool-size of NODE_OPTIONS and then of node's command line (child processes inherit both), Node's default
 * of 4 when neither sets it, and for 0 what Node then picks (the cores less one, at least 1). The bin's first line
 * sets it (src/bin.ts says why); a report records it, since it moves the generator's own tail.
 */
export function v8PoolSize(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
  cores = availableParallelism(),
): number {
  const tokens = [...nodeOptions.split(/\s+/).filter(Boolean), ...execArgv];
  let size = 4;
  for (let i = 0; i < tokens.length; i++) {
    const m = /^--v8[-_]pool[-_]size(?:=(.*))?$/.exec(tokens[i]);
    if (!m) continue;
    const value = Number(m[1] ?? tokens[++i]);
    if (Number.isInteger(value) && value >= 0) size = value;
  }
  return size === 0 ? Math.max(1, cores - 1) : size;
}
