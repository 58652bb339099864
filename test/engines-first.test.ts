/**
 * The engines get the cores first (src/main/priority.ts): in a run of the built CLI against a real
 * `mcpload serve`, every thread of mcpload's processes but the engines' runs 10 nice steps lower, read
 * from /proc while the run sends; with the built-in target on the main thread nothing is lowered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { startServe, type Serve } from './helpers/serve.js';
import { childrenOf, threadsOf, type Thread } from './helpers/threads.js';

/**
 * A 3 s run; once the engines have started, the threads of its process and of its children. The
 * report's config.othersNice beside them.
 */
async function runAndLook(args: string[]): Promise<{ threads: Thread[][]; pid: number; othersNice: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpload-nice-'));
  try {
    const report = join(dir, 'r.json');
    let pid = 0;
    let threads: Thread[][] = [];
    let looked: Promise<void> | undefined;
    const r = await runCli([...args, '--duration', '3s', '--report', report], {
      onSpawn: (p) => (pid = p),
      onStderr: (stderr) => {
        // Logged at the engines' start, after the priorities were set.
        if (looked || !/engines? started/.test(stderr)) return;
        looked = new Promise((resolve) => setTimeout(resolve, 300)).then(() => {
          threads = [pid, ...childrenOf(pid)].map(threadsOf);
        });
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(looked, 'the run never logged its engines starting').toBeDefined();
    await looked;
    return { threads, pid, othersNice: JSON.parse(readFileSync(report, 'utf8')).config.othersNice };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('engines first', () => {
  let serve: Serve;
  beforeAll(async () => {
    serve = await startServe();
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('runs every thread but the engine threads 10 nice steps lower, in the process and recorded in the report', async () => {
    const { threads, othersNice } = await runAndLook(['--url', serve.wsUrl, '--clients', '4', '--rate', '50', '--workers', '2']);
    expect(threads).toHaveLength(1); // engines as threads of the one process
    const nices = threads[0].map((t) => t.nice);
    const base = Math.min(...nices);
    // Two engine threads keep the nice the process started with; the main thread and all the others are lower.
    expect(threads[0].filter((t) => t.nice === base)).toHaveLength(2);
    expect(threads[0].filter((t) => t.nice === Math.min(19, base + 10))).toHaveLength(threads[0].length - 2);
    expect(threads[0].find((t) => t.tid === t.pid)!.nice).toBe(Math.min(19, base + 10));
    expect(othersNice).toBe(10);
  });

  it('with --processes, keeps each host process main thread (its engine) and lowers the rest there and in the coordinator', async () => {
    const { threads, pid, othersNice } = await runAndLook(['--url', serve.wsUrl, '--clients', '4', '--rate', '50', '--workers', '1', '--processes', '2']);
    expect(threads).toHaveLength(3); // the coordinator and two hosts, one engine each on its main thread
    const [coordinator, ...hosts] = threads;
    const base = Math.min(...threads.flat().map((t) => t.nice));
    expect(coordinator.every((t) => t.pid === pid && t.nice === Math.min(19, base + 10))).toBe(true);
    for (const host of hosts) {
      expect(host.filter((t) => t.nice === base).map((t) => t.tid)).toEqual([host[0].pid]);
      expect(host.filter((t) => t.tid !== t.pid).every((t) => t.nice === Math.min(19, base + 10))).toBe(true);
    }
    expect(othersNice).toBe(10);
  });

  it('lowers nothing when the built-in target runs on the main thread', async () => {
    const { threads, othersNice } = await runAndLook(['--clients', '4', '--rate', '50', '--workers', '1']);
    expect(new Set(threads[0].map((t) => t.nice)).size).toBe(1);
    expect(othersNice).toBeUndefined();
  });
});
