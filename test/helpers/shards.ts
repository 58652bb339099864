/** Shards of one run as real processes (the built CLI), each with its metrics endpoint, and `mcpload watch` over them. */
import { readFileSync } from 'node:fs';
import type { RunReport } from '../../src/report/types.js';
import { runCli, type CliResult } from './cli.js';
import { freePort } from './prometheus.js';

export interface ShardProcess {
  pid: number;
  /** Its /snapshot URL, once its metrics endpoint is up. */
  snapshotUrl: Promise<string>;
  done: Promise<CliResult>;
}

/** `mcpload run ARGS` with its metrics endpoint on `host`:`port` (a free port of 127.0.0.1 unless given). */
export async function startShard(args: string[], host = '127.0.0.1', port?: number): Promise<ShardProcess> {
  const metricsPort = port ?? (await freePort());
  let announce!: (url: string) => void;
  const snapshotUrl = new Promise<string>((resolve) => (announce = resolve));
  let pid = 0;
  const done = runCli(['--quiet', '--log-level', 'warn', '--workers', '1', '--metrics-host', host, '--metrics-port', String(metricsPort), ...args], {
    env: { MCPLOAD_METRICS_PORT: String(metricsPort) },
    timeoutMs: 90_000,
    onSpawn: (p) => (pid = p),
    onStderr: (stderr) => {
      const m = /metrics on (http:\/\/\S+)\/metrics/.exec(stderr);
      if (m) announce(`${m[1]}/snapshot`);
    },
  });
  // A shard that exits before its endpoint is up must not leave the test waiting for it.
  void done.then((r) => announce(`(shard exited ${r.code}: ${r.stderr.trim()})`));
  return { pid, snapshotUrl, done };
}

/** `mcpload watch ARGS` as a real process; `onStderr` sees its stderr so far as it grows. */
export function startWatch(args: string[], onStderr?: (stderr: string) => void): Promise<CliResult> {
  return runCli(['watch', '--progress-interval', '1s', ...args], { timeoutMs: 150_000, onStderr });
}

export function readReport(path: string): RunReport {
  return JSON.parse(readFileSync(path, 'utf8')) as RunReport;
}

/** The reference target's own counters (GET /stats on its port). */
export async function targetStats(wsUrl: string): Promise<{ sessionsTotal: number; requests: number; byMethod: Record<string, number> }> {
  const res = await fetch(wsUrl.replace(/^ws/, 'http').replace(/\/mcp\/ws$/, '/stats'));
  return (await res.json()) as { sessionsTotal: number; requests: number; byMethod: Record<string, number> };
}

/** Poll a replica's /snapshot until `check` holds for its body (at most 60 s). */
export async function untilSnapshot(url: string, check: (body: { snapshot?: { finished: boolean }; requests?: { sent: number } }) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const body = await fetch(url).then(
      (r) => r.json() as Promise<never>,
      () => undefined,
    );
    if (body && check(body)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url}: the snapshot never met the condition`);
}
