/**
 * --warmup (issue 20): sessions connect and send for a while before measuring starts. Its requests are
 * counted apart (report.warmup) and in none of the measured figures, and nothing sent goes uncounted:
 * the target saw the warm-up's requests plus the measured ones. Real processes: `mcpload serve` and the CLI.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startServe, type Serve } from './helpers/serve.js';
import type { RunReport } from '../src/report/types.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-warmup-'));
let serve: Serve;
beforeAll(async () => {
  serve = await startServe();
});
afterAll(async () => {
  await serve?.stop();
});

/** Requests of the mix the target received so far (its handshakes left out). */
async function targetRequests(): Promise<number> {
  const stats = (await (await fetch(serve.wsUrl.replace(/^ws/, 'http').replace(/\/mcp\/ws$/, '/stats'))).json()) as { byMethod: Record<string, number> };
  return Object.entries(stats.byMethod).reduce((n, [method, count]) => (method.startsWith('notifications/') || method === 'initialize' ? n : n + count), 0);
}

describe('--warmup', () => {
  it('counts the warm-up apart, and the measured figures hold only what was due after it', async () => {
    const before = await targetRequests();
    const reportPath = join(dir, 'warm.json');
    const clients = 4;
    const r = await runCli(
      [
        '--url',
        serve.wsUrl,
        '--profile',
        'low-load',
        '--clients',
        String(clients),
        '--rate',
        '50',
        '--duration',
        '2s',
        '--warmup',
        '1s',
        '--report',
        reportPath,
        '--quiet',
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
    const w = report.warmup!;
    expect(w.seconds).toBe(1);
    expect(w.sent).toBeGreaterThan(0);
    expect(w.ok + w.failed).toBe(w.sent);
    // Measured: 2 s at 4 × 50/s (each session's bucket may hold a burst at the boundary), not the 3 s the sessions sent for.
    expect(report.requests.sent).toBeGreaterThan(0);
    expect(report.requests.sent).toBeLessThanOrEqual(2 * clients * 50 * 1.1 + clients * 10);
    expect(report.timeline.reduce((n, p) => n + p.sent, 0)).toBe(report.requests.sent);
    expect(report.requests.ok + report.requests.failed).toBe(report.requests.sent);
    // Nothing went unmeasured: the target saw the warm-up's requests and the measured ones (within what was in flight).
    const seen = (await targetRequests()) - before;
    expect(Math.abs(seen - (w.sent + report.requests.sent))).toBeLessThanOrEqual(clients);
    // The sessions of the warm-up are the run's sessions.
    expect(report.sessions.established).toBe(clients);
    expect(r.stdout).toMatch(/warm-up 1s before measuring: [\d,]+ sent/);
  });

  it('closed model: the warm-up is counted apart too, and nothing goes uncounted', async () => {
    const before = await targetRequests();
    const reportPath = join(dir, 'closed.json');
    const r = await runCli(
      [
        '--url',
        serve.wsUrl,
        '--profile',
        'low-load',
        '--clients',
        '2',
        '--model',
        'closed',
        '--concurrency',
        '2',
        '--duration',
        '1s',
        '--warmup',
        '1s',
        '--report',
        reportPath,
        '--quiet',
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
    expect(report.warmup!.sent).toBeGreaterThan(0);
    expect(report.requests.sent).toBeGreaterThan(0);
    const seen = (await targetRequests()) - before;
    expect(Math.abs(seen - (report.warmup!.sent + report.requests.sent))).toBeLessThanOrEqual(4);
  });

  it('is absent without --warmup (MCPLOAD_WARMUP=0 is none)', async () => {
    const reportPath = join(dir, 'cold.json');
    const r = await runCli(['--url', serve.wsUrl, '--profile', 'low-load', '--clients', '2', '--duration', '1s', '--report', reportPath, '--quiet'], {
      env: { MCPLOAD_WARMUP: '0' },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
    expect(report.warmup).toBeUndefined();
    expect(r.stdout).not.toMatch(/warm-up/);
  });

  it.each([
    [['--warmup', 'soon'], {}],
    [[], { MCPLOAD_WARMUP: '-2s' }],
  ])('bad input %j %j exits 2 with one line', async (args, env) => {
    const r = await runCli(['--url', serve.wsUrl, ...args], { env, timeoutMs: 15_000 });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--warmup/);
  });
});
