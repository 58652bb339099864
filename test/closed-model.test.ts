/**
 * The closed model: each session keeps `concurrency` requests in flight, as the server observes it
 * (requests received and not yet answered, per connection), and its report carries none of the
 * open model's artefacts (dropped, target rate, coordinated-omission correction).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProfile } from '../src/config/profile.js';
import { runEngine } from './helpers/engine-run.js';
import { runCli } from './helpers/cli.js';
import { startRawServer, result, type BaseServer } from './helpers/raw-servers.js';
import type { RunReport } from '../src/report/types.js';

/** Answers each request `holdMs` later; records the most requests in flight on any one connection. */
async function holdingServer(holdMs: number): Promise<BaseServer & { maxInFlight(): number; perConnection: number[] }> {
  const perConnection: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = await startRawServer({
    connection: (conn) => {
      const index = perConnection.push(0) - 1;
      let inFlight = 0;
      return {
        onRequest: (msg) => {
          inFlight++;
          perConnection[index] = Math.max(perConnection[index], inFlight);
          const t = setTimeout(() => {
            timers.delete(t);
            inFlight--;
            conn.send(result(msg.id));
          }, holdMs);
          timers.add(t);
        },
      };
    },
  });
  const close = server.close.bind(server);
  return Object.assign(server, {
    perConnection,
    maxInFlight: () => Math.max(0, ...perConnection),
    close: () => {
      for (const t of timers) clearTimeout(t);
      return close();
    },
  });
}

let server: BaseServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const closedProfile = (concurrency: number, extra = '') =>
  parseProfile(`name: closed\nclients: 3\nmodel: closed\nconcurrency: ${concurrency}\ntimeout: 2s\nmix:\n  - method: ping\n${extra}`, 'closed.yaml');

describe('closed model', () => {
  it('keeps exactly `concurrency` requests in flight per session, at the server, and drops nothing', async () => {
    const s = await holdingServer(20);
    server = s;
    const run = await runEngine({ url: s.url, profile: closedProfile(4), durationMs: 600 });
    expect(s.perConnection.length).toBe(3);
    // Each session fills its slots and never goes beyond them.
    expect(s.perConnection).toEqual([4, 4, 4]);
    expect(run.total.dropped).toBe(0);
    expect(run.total.errors).toMatchObject({ timeout: 0, rpc: 0, protocol: 0 });
    // Each answer sent the next: well over one round of 4 per session in 600 ms of 20 ms answers.
    expect(run.total.ok).toBeGreaterThan(3 * 4 * 5);
  });

  it('waits the think time between an answer and the next request (one in flight, no overlap)', async () => {
    const s = await holdingServer(1);
    server = s;
    const run = await runEngine({ url: s.url, profile: closedProfile(1, 'thinkTime: {min: 40ms, max: 60ms}\n'), durationMs: 500 });
    expect(s.maxInFlight()).toBe(1);
    // Without think time 1 ms answers would allow hundreds per session; the think time bounds it (a
    // count bound, not a clock: at most duration / minimum think + 1 requests per session).
    expect(run.total.sent).toBeGreaterThan(0);
    expect(run.total.sent).toBeLessThanOrEqual(3 * (500 / 40 + 1));
  });

  it('reports model closed with no dropped, no target rate and no corrected latency in the text', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-closed-'));
    const s = await holdingServer(5);
    server = s;
    const file = join(dir, 'closed.yaml');
    writeFileSync(file, 'name: closed\nclients: 2\nmodel: closed\nconcurrency: 2\nthinkTime: 5ms\ntimeout: 2s\nmix:\n  - method: ping\n');
    const report = join(dir, 'report.json');
    const html = join(dir, 'report.html');
    const r = await runCli(['--profile', file, '--url', s.url, '--duration', '1s', '--workers', '1', '--quiet', '--report', report, '--html', html]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(s.maxInFlight()).toBe(2);
    const json = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(json.model).toBe('closed');
    expect(json.config).toMatchObject({ concurrency: 2, thinkTimeMs: { min: 5, max: 5 } });
    expect(json.requests.dropped).toBe(0);
    expect(json.requests.ok).toBeGreaterThan(0);
    expect(json.throughput.targetRequestsPerSecond).toBe(0);
    expect(json.latency.corrected.count).toBe(json.latency.raw.count);
    expect(json.latency.corrected.p99).toBe(json.latency.raw.p99);
    expect(r.stdout).toContain('2 clients × 2 in flight, think 5ms (closed model)');
    expect(r.stdout).not.toMatch(/dropped|target|corrected/);
    expect(r.stdout).toMatch(/response +min/);
    // What the page says and charts (its data included), not the chart code shared with open-model pages.
    const page = readFileSync(html, 'utf8').replace(/<script>[\s\S]*?<\/script>/g, '');
    expect(page).not.toMatch(/dropped|of [\d.,]+ target/);
  });

  it('refuses open-model options with a closed profile, one line, exit 2', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-closed-'));
    const file = join(dir, 'closed.yaml');
    writeFileSync(file, 'name: closed\nclients: 2\nmodel: closed\nmix:\n  - method: ping\n');
    for (const [args, line] of [
      [['--rate', '5'], '--rate: a closed model has no rate'],
      [['--threshold', 'dropped<1%'], "--threshold 'dropped<1%': a closed model has no schedule"],
      [['--model', 'open'], '--model open: the profile is a closed model with no rate; give --rate too'],
    ] as const) {
      const r = await runCli(['--profile', file, '--duration', '1s', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(line);
    }
  });
});
