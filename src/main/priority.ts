/**
 * The engines get the cores first: every other thread of mcpload's processes (the coordinator's main
 * thread, V8's background workers, libuv's pool) runs a few nice steps lower, so one that wakes on an
 * engine's core waits for the engine instead of delaying its sends. At 25 % of the target's ceiling
 * (one engine, ~30,000 req/s on 2 cores, 3 interleaved passes of `BENCH_OTHERS_NICE=0|10 node
 * bench/accuracy.mjs --parts c --latency-seconds 10 --rounds 3 --warmup 2 --fractions 0.25`, AMD EPYC) the
 * engine's corrected p99 went from 3.9-5.2 ms to 2.5-3.5 ms (bench/RESULTS.md 2026-12-06 "nice").
 *
 * Linux keeps a nice value per thread (setpriority(2) on a thread id; os.setPriority passes it
 * through). Raising one's own nice needs no privilege; lowering it again does, which is why this runs
 * once the engines are up: a thread starts with its creator's nice, so an engine made later (a
 * respawn) inherits the lowered one, and is put back only where the process may (root, CAP_SYS_NICE).
 * Elsewhere (no /proc) nothing is changed.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { KernelThread } from '../shared/kernel-thread.js';

/** Nice steps the other threads go down; BENCH_OTHERS_NICE=0 turns it off (A/B runs only). */
export const OTHERS_NICE = Math.max(0, Math.min(19, Number(process.env.BENCH_OTHERS_NICE ?? 10) || 0));

function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/**
 * Lowers the threads of this process and of the engines' processes that are not engines, each once,
 * to `by` steps below the engines' nice: all at once when every engine is up (an engine told alone would see
 * its siblings lowered), then a respawned engine's process when it comes.
 */
export class EnginesFirst {
  private readonly engines = new Set<number>();
  private readonly lowered = new Set<number>();
  /** The nice the first engines run at: what a respawned one is put back to where the process may. */
  private engineNice: number | undefined;

  constructor(readonly by = OTHERS_NICE) {}

  /** How many threads were lowered so far. */
  get count(): number {
    return this.lowered.size;
  }

  /** Every engine is up: `threads` keep their nice; the others of this process and of theirs go down. Nothing if one is unknown. */
  started(told: readonly (KernelThread | undefined)[]): void {
    const threads = told.filter((t) => t !== undefined);
    if (this.by === 0 || threads.length === 0 || threads.length < told.length) return;
    for (const t of threads) this.engines.add(t.tid);
    try {
      this.engineNice = getPriority(threads[0].tid);
    } catch {
      return;
    }
    for (const pid of new Set([process.pid, ...threads.map((t) => t.pid)])) this.lowerOthers(pid);
  }

  /**
   * A respawned engine is up. Its thread began at its creator's lowered nice: put back where the process
   * may (root, CAP_SYS_NICE); a fresh host process's other threads go down. Threads of this process are
   * not looked at again: another respawn may be on its way up among them.
   */
  respawned(thread: KernelThread | undefined): void {
    if (this.engineNice === undefined || thread === undefined) return;
    this.engines.add(thread.tid);
    try {
      if (getPriority(thread.tid) > this.engineNice) setPriority(thread.tid, this.engineNice);
    } catch {
      // Not allowed back up: it runs as its creator does, still above that process's other threads.
    }
    if (thread.pid !== process.pid) this.lowerOthers(thread.pid);
  }

  /** The threads of `pid` that are not engines go to `by` below the engines' nice (one already lower stays). */
  private lowerOthers(pid: number): void {
    const nice = Math.min(19, this.engineNice! + this.by);
    for (const tid of threadsOf(pid)) {
      if (this.engines.has(tid) || this.lowered.has(tid)) continue;
      try {
        // A fresh host's threads began at its creator's lowered nice already.
        if (getPriority(tid) < nice) setPriority(tid, nice);
        this.lowered.add(tid);
      } catch {
        // The thread ended meanwhile: nothing to lower.
      }
    }
  }
}
