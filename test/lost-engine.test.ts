/**
 * A lost engine process (`kill -9` of one of the `--processes` hosts) is never a green run: it is
 * counted (lostEngines, sessions.lost, errors.lost, the metrics), its sessions are taken over by a
 * respawned engine, the report marks the gap, and the exit code is 4 when no threshold failed. Before:
 * exit 0, "peak 10 of 10" with 5 alive, "ERROR BREAKDOWN none", one warn line the only trace.
 * Real processes: a killed process is the point.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import type { RunReport } from '../src/report/types.js';
import { BIN } from './helpers/cli.js';
import { until } from './helpers/engine-run.js';
import { childrenOf, niceOf, threadsOf } from './helpers/threads.js';

let target: RunningTarget | undefined;
let dir: string | undefined;
afterEach(async () => {
  await target?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  target = dir = undefined;
});

/** The engine host processes of the CLI process `pid` (its children running engine-host.js). */
function engineHosts(pid: number): number[] {
  return childrenOf(pid).filter((c) => {
    try {
      return readFileSync(`/proc/${c}/cmdline`, 'utf8').match(/engine-(host|process)\.js/) !== null;
    } catch {
      return false;
    }
  });
}

describe('a lost engine process', () => {
  it('is counted, its sessions come back on a respawned engine, and the run exits 4', async () => {
    target = await startTarget({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'mcpload-lost-'));
    const report = join(dir, 'run.json');
    const args = [
      '--url',
      target.url,
      '--profile',
      'low-load',
      '--clients',
      '4',
      '--rate',
      '20',
      '--processes',
      '2',
      '--workers',
      '1',
      '--duration',
      '6s',
      '--report',
      report,
      '--quiet',
      '--metrics-port',
      '0',
    ];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      // Past the first snapshot (1 s): what the engine held is known from it.
      await until(() => target!.stats().sessionsOpen === 4 && target!.stats().requests > 160, 20_000);
      const hosts = engineHosts(child.pid!);
      expect(hosts).toHaveLength(2);
      process.kill(hosts[0], 'SIGKILL');
      // The respawned engine brings its 2 sessions back: the target sees 4 open again.
      await until(() => target!.stats().sessionsOpen === 4 && target!.stats().sessionsTotal >= 6, 20_000);
      // Its host began at the coordinator's lowered nice (src/main/priority.ts): its engine is put back to the
      // engines' nice where the process may (root here, as in CI), its other threads sit 10 below.
      const fresh = engineHosts(child.pid!).find((h) => !hosts.includes(h))!;
      const base = niceOf(hosts[1], hosts[1]);
      expect(niceOf(child.pid!, child.pid!)).toBe(Math.min(19, base + 10));
      expect(niceOf(fresh, fresh)).toBe(process.getuid?.() === 0 ? base : Math.min(19, base + 10));
      const others = threadsOf(fresh).filter((t) => t.tid !== fresh);
      expect(others.map((t) => t.nice)).toEqual(others.map(() => Math.min(19, base + 10)));
      const code = await exited;
      expect(code, stderr).toBe(4);
      const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
      expect(r.lostEngines, JSON.stringify(r.lostEngines)).toHaveLength(1);
      expect(r.lostEngines![0].sessions, JSON.stringify(r.lostEngines) + stderr).toBe(2);
      expect(r.sessions.lost).toBe(2);
      expect(r.sessions.established).toBeGreaterThanOrEqual(6);
      expect(r.errors.lost).toBe(r.lostEngines![0].inFlight);
      expect(r.requests.failed).toBeGreaterThanOrEqual(r.errors.lost);
      expect(stdout).toMatch(/WARNING {5}engine \d was lost at \d+s with 2 open sessions/);
      expect(stderr).toMatch(/engine \d was lost \(engine process exited \(SIGKILL\)\).*a new engine takes its sessions over/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
