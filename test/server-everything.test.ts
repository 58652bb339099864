/**
 * The built-in profiles against a server nobody on the team wrote: @modelcontextprotocol/server-everything
 * over Streamable HTTP and over WebSocket (supergateway). The profile files are used unedited; only
 * flags scale them down. Where the server lacks the reference target's names (echo {text},
 * mcpload://resources/1, the greeting prompt), their `discover: fallback` entries take what
 * discovery finds, and every request must succeed: no error of any kind, nothing dropped.
 * Then `mcpload discover URL --write p.yaml` writes a profile that does the same.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, loadProfile } from '../src/config/profile.js';
import { runCli } from './helpers/cli.js';
import { startEverything, type EverythingServer, type EverythingTransport } from './helpers/server-everything.js';

/**
 * Clients and duration scaled down, and the rate capped: one session of message-bomber asks 10,000
 * req/s, more than server-everything (an Express app, one process; behind supergateway one stdio
 * child for all sessions) answers on a shared 2-core machine, and a request it cannot take in time
 * would be counted (rightly) as dropped or a timeout.
 */
const MAX_RATE = 20;
const scaled = (name: string) => ['--clients', '1', '--duration', '2s', '--rate', String(Math.min(MAX_RATE, loadProfile(name).rate)), '--workers', '1'];

function expectClean(report: any, stderr: string): void {
  const context = stderr.slice(-2000);
  expect(report.requests.sent, context).toBeGreaterThan(0);
  expect(report.requests.ok, context).toBe(report.requests.sent);
  expect(report.requests.failed, context).toBe(0);
  expect(report.requests.dropped, context).toBe(0);
  for (const [kind, n] of Object.entries(report.errors)) expect(n, `${kind} errors; ${context}`).toBe(0);
  expect(report.sessions.established, context).toBeGreaterThan(0);
}

describe.each<EverythingTransport>(['http', 'ws'])('server-everything over %s', (transport) => {
  let server: EverythingServer;
  let dir: string;
  beforeAll(async () => {
    server = await startEverything(transport);
    dir = mkdtempSync(join(tmpdir(), `mcpload-everything-${transport}-`));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(BUILTIN_PROFILES)('built-in profile %s runs with zero errors', async (name) => {
    const report = join(dir, `${name}.json`);
    const r = await runCli(['--profile', name, '--url', server.url, ...scaled(name), '--quiet', '--report', report], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expectClean(JSON.parse(readFileSync(report, 'utf8')), r.stderr);
    // The fallback is said, not silent: a profile with reference names tells what it calls instead.
    if (name === 'normal') expect(r.stderr).toMatch(/resources\/read: the server has no resource mcpload:\/\/resources\/1; \d+ discovered instead/);
    if (name === 'high-load') expect(r.stderr).toContain('tool echo takes other arguments here; calling it with');
  });

  it('discover --write writes a profile that runs with zero errors', async () => {
    const file = join(dir, 'p.yaml');
    const d = await runCli(['discover', server.url, '--write', file], { timeoutMs: 60_000 });
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^tools \(\d+\):/m);
    expect(d.stdout).toMatch(/echo\s+Echoes back/);
    const profile = loadProfile(file);
    const tools = profile.mix.filter((e) => e.method === 'tools/call').map((e) => e.params?.name);
    expect(tools).toContain('echo');
    // Not annotated readOnlyHint: true, so never called unasked.
    expect(tools).not.toContain('toggle-simulated-logging');
    expect(tools).not.toContain('gzip-file-as-resource');
    // Read-only, but takes 10 s by default: the probe leaves it out.
    expect(tools).not.toContain('trigger-long-running-operation');
    const report = join(dir, 'discovered.json');
    const r = await runCli(['--profile', file, '--url', server.url, '--clients', '1', '--duration', '2s', '--workers', '1', '--quiet', '--report', report], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expectClean(JSON.parse(readFileSync(report, 'utf8')), r.stderr);
  });
});
