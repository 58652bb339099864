/**
 * Signals to the whole process group (systemd, `timeout`, `kill -- -PGID`, a container runtime) with
 * engines in child processes (`--processes 2`): the coordinator owns the stop, so the engine
 * processes must outlive the signal, drain their in-flight requests and report them. Before, they
 * died at once: the report said sent 0, peak 0, and the drain ended after a second. SIGHUP (a dropped
 * SSH session) is a stop like SIGTERM, with exit code 129; before, it killed mcpload with no report.
 * Real processes: the process group and its signals are the point.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { startTarget } from '../src/reference-server/server.js';
import type { RunReport } from '../src/report/types.js';
import { BIN } from './helpers/cli.js';
import { until } from './helpers/engine-run.js';

// The three signals' runs share nothing (a target and a folder each): they go side by side.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
});

describe('a signal to the whole process group (--processes 2)', () => {
  it.concurrent.for(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '%s: engine processes drain their in-flight requests and the report keeps them',
    async (signal, { expect }) => {
      // Answers take 1.5 s: when the signal comes, requests are in flight and the drain must wait for them.
      const target = await startTarget({ host: '127.0.0.1', port: 0, delayMs: 1500 });
      const dir = mkdtempSync(join(tmpdir(), 'mcpload-pgroup-'));
      cleanups.push(async () => {
        await target.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const report = join(dir, 'run.json');
      const args = [
        '--url',
        target.url,
        '--profile',
        'low-load',
        '--clients',
        '4',
        '--rate',
        '5',
        '--processes',
        '2',
        '--workers',
        '1',
        '--duration',
        '60s',
        '--drain-timeout',
        '8s',
        '--report',
        report,
        '--quiet',
        '--metrics-port',
        '0',
      ];
      // detached: the CLI leads its own process group, as under systemd or a container runtime.
      const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      try {
        // Every session open and requests on the wire: the target has seen the 4 initialize requests
        // and at least 9 of the mix, and answered none of the mix yet.
        await until(() => target.stats().sessionsOpen === 4 && target.stats().requests >= 13, 20_000);
        process.kill(-child.pid!, signal);
        const code = await exited;
        expect(code, stderr).toBe({ SIGTERM: 143, SIGINT: 130, SIGHUP: 129 }[signal]);
        const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
        expect(r.interrupted).toBe(signal);
        expect(r.sessions.peak).toBe(4);
        expect(r.requests.sent).toBeGreaterThanOrEqual(9);
        // Everything sent before the signal was answered during the drain (answers take 1.5 s, the drain allows 8 s).
        expect(r.errors.closed, JSON.stringify(r.errors)).toBe(0);
        expect(r.requests.ok).toBe(r.requests.sent);
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
    },
  );
});
