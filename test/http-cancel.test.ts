/**
 * Timeouts over Streamable HTTP, against a real node:http server on 127.0.0.1 that completes
 * initialize and never answers a tools/call: each timed-out POST is aborted (its pooled connection
 * freed), a request counts as sent only when its bytes reach a socket, and a request that waited
 * inside mcpload for a pooled connection until its timeout is counted `queued`, never sent. So
 * "sent" is what the server received.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/report/types.js';
import { runCli } from './helpers/cli.js';
import { runEngine } from './helpers/engine-run.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { closeHttpServer, handleMcpPost } from './helpers/raw-servers.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  await closeHttpServer(s);
});

/** Answers initialize (JSON) and notifications (202); holds every tools/call POST open, unanswered, and counts it. */
async function neverAnswers(): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  server = createServer((req, res) =>
    handleMcpPost(req, res, 'never', (msg) => {
      if (msg.method === 'tools/call') calls++;
    }),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, calls: () => calls };
}

const mix = [{ method: 'tools/call', weight: 1, params: { name: 'echo', arguments: { text: 'x' } } }];

describe('a server that never answers tools/call (Streamable HTTP)', () => {
  it('sent is what the server received; requests that timed out waiting for a pooled connection are counted queued', async () => {
    const s = await neverAnswers();
    // 60/s with a 300 ms timeout keeps ~18 requests in flight over the session's 4 pooled connections:
    // most wait inside mcpload, and many time out there.
    const run = await runEngine({ url: s.url, clients: 1, profile: { rate: 500, timeoutMs: 300, mix }, durationMs: 2000 });
    const t = run.total;
    expect(t.sent).toBeGreaterThan(0);
    expect(t.sent).toBe(s.calls());
    expect(t.queued).toBeGreaterThan(0);
    // Every request that reached the server timed out (or was in flight at the end); none is counted twice.
    expect(t.timeout + t.closed).toBe(t.sent);
    expect(t.errors.timeout).toBe(t.timeout);
    expect(t.messagesSent.request).toBe(t.sent + 1); // + initialize
    expect(t.sessionsEstablished).toBe(1);
  });

  describe('the report (the real CLI)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpload-http-cancel-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('requests.sent equals the tools/call POSTs the server received; queued is its own figure', { timeout: 30_000 }, async () => {
      const s = await neverAnswers();
      const report = join(dir, 'report.json');
      const profile = writeProfile(dir, 'never-answers', { clients: 2, rate: 500, timeout: '300ms', mix: [{ method: 'tools/call', params: mix[0].params }] });
      const r = await runCli([
        '--url',
        s.url,
        '--profile',
        profile,
        '--duration',
        '2s',
        '--workers',
        '1',
        '--quiet',
        '--log-level',
        'error',
        '--report',
        report,
      ]);
      expect(r.stderr).not.toMatch(/Error|at \S+:\d+/);
      const rep = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
      expect(rep.requests.sent).toBeGreaterThan(0);
      expect(rep.requests.sent).toBe(s.calls());
      expect(rep.requests.queued).toBeGreaterThan(0);
      expect(rep.methods['tools/call'].queued).toBe(rep.requests.queued);
      expect(rep.requests.ok).toBe(0);
    });
  });
});
