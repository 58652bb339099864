/**
 * The reference target's Streamable HTTP endpoint (`mcpload serve`, `/mcp`): what it answers on the
 * wire, and mcpload driving it as JSON, as SSE, statelessly (2026-07-28) and through a 404 after the
 * target forgets its sessions. The last test runs the built CLI both as `serve` and as the load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { runEngine, until, type EngineRun } from './helpers/engine-run.js';
import { BIN, runCli } from './helpers/cli.js';

let target: RunningTarget | undefined;
let serve: ChildProcess | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
  if (serve?.pid && serve.exitCode === null) process.kill(serve.pid, 'SIGTERM');
  serve = undefined;
});

const ACCEPT = 'application/json, text/event-stream';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function expectClean(run: EngineRun, clients: number): void {
  expect(run.total.errors).toEqual({ connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 });
  expect(run.total.sessionsEstablished).toBe(clients);
  expect(run.total.sent).toBeGreaterThan(0);
  expect(run.total.ok).toBe(run.total.sent);
}

describe('the target speaks Streamable HTTP', () => {
  it('opens a session on initialize, wants its id after, forgets it on DELETE', async () => {
    target = await startTarget({ host: '127.0.0.1', port: 0 });
    const url = target.httpUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const init = await post(url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(init.text).result.protocolVersion).toBe('2025-11-25');
    const sid = init.headers.get('mcp-session-id')!;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    const session = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
    const call = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }, session);
    expect(JSON.parse(call.text)).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'hi' }] } });
    // Without the session id: 400; with one the target does not know: 404.
    expect((await post(url, { jsonrpc: '2.0', id: 3, method: 'ping' })).status).toBe(400);
    expect((await post(url, { jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-session-id': 'nope' })).status).toBe(404);
    // A client that does not accept both answer kinds: 406. No GET stream: 405.
    expect((await post(url, { jsonrpc: '2.0', id: 4, method: 'ping' }, { ...session, accept: 'application/json' })).status).toBe(406);
    expect((await fetch(url, { headers: { accept: 'text/event-stream' } })).status).toBe(405);
    const del = await fetch(url, { method: 'DELETE', headers: session });
    expect(del.status).toBe(200);
    expect((await post(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, session)).status).toBe(404);
    expect(target.stats().closeFramesReceived).toBe(1);
  });

  it('answers as an SSE stream with the sse knob', async () => {
    target = await startTarget({ host: '127.0.0.1', port: 0, httpSse: true });
    const init = await post(target.httpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    expect(init.headers.get('content-type')).toBe('text/event-stream');
    expect(init.text).toMatch(/^event: message\ndata: \{"jsonrpc":"2\.0","id":1,"result":\{"protocolVersion":"2025-11-25".*\}\n\n$/);
  });

  it('serves 2026-07-28 without a session: server/discover, and headers that must match the body', async () => {
    target = await startTarget({ host: '127.0.0.1', port: 0 });
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' };
    const discover = await post(target.httpUrl, { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } }, headers);
    expect(discover.status).toBe(200);
    expect(discover.headers.get('mcp-session-id')).toBeNull();
    expect(JSON.parse(discover.text).result.supportedVersions).toContain('2026-07-28');
    const wrong = await post(target.httpUrl, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: meta } }, headers);
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.text).error.code).toBe(-32020);
  });
});

describe('mcpload drives the target over Streamable HTTP', () => {
  for (const httpSse of [false, true]) {
    it(`2025-11-25 with ${httpSse ? 'SSE' : 'JSON'} answers: zero errors, every session DELETEd at the end`, async () => {
      target = await startTarget({ host: '127.0.0.1', port: 0, httpSse });
      const run = await runEngine({ url: target.httpUrl, clients: 4, profile: { rate: 50 }, durationMs: 1000 });
      expectClean(run, 4);
      const stats = target.stats();
      expect(stats.sessionsTotal).toBe(4);
      expect(stats.byMethod['notifications/initialized']).toBe(4);
      expect(stats.requests).toBe(run.total.sent + 4); // + the initializes
      expect(stats.closeFramesReceived).toBe(4);
      expect(stats.badMessages).toBe(0);
      expect(stats.errors).toBe(0);
    });
  }

  it('2026-07-28: server/discover instead of initialize, no session, routing headers the target checks', async () => {
    target = await startTarget({ host: '127.0.0.1', port: 0 });
    const run = await runEngine({ url: target.httpUrl, clients: 3, profile: { rate: 50 }, durationMs: 1000, protocolVersion: '2026-07-28' });
    expectClean(run, 3);
    const stats = target.stats();
    expect(stats.sessionsTotal).toBe(0);
    expect(stats.byMethod.initialize ?? 0).toBe(0);
    expect(stats.notifications).toBe(0);
    expect(stats.requests).toBe(run.total.sent + 3); // + one server/discover per session
    expect(stats.errors).toBe(0); // a header that disagreed with the body would be a 400 here
  });

  it('sessions the target forgot get 404 and initialize again, without errors', async () => {
    target = await startTarget({ host: '127.0.0.1', port: 0 });
    const t = target;
    const forgotten = (async () => {
      await until(() => t.stats().sessionsTotal === 3);
      // Forget them in use: once each session sent a few requests (beside its server/discover).
      await until(() => t.stats().requests >= 3 + 3 * 5);
      t.forgetHttpSessions();
    })();
    const run = await runEngine({ url: t.httpUrl, clients: 3, profile: { rate: 50 }, durationMs: 1500 });
    await forgotten;
    expect(run.total.errors).toEqual({ connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 });
    expect(run.total.sessionsEstablished).toBe(6);
    expect(run.total.reconnects).toBe(3);
    expect(t.stats().sessionsTotal).toBe(6);
  });

  it('CLI: `mcpload serve` listens on /mcp too, and `mcpload --url http://…/mcp` loads it, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    serve = child;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await until(() => /listening on .*http:\/\/127\.0\.0\.1:\d+\/mcp\b/.test(stderr), 10_000);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/mcp)\b/.exec(stderr)![1];
    const result = await runCli(['--url', url, '--clients', '3', '--rate', '20', '--duration', '1s', '--quiet', '--workers', '1'], { timeoutMs: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/established 3, reconnects 0/);
    expect(result.stdout).toMatch(/ERROR BREAKDOWN\n {2}none/);
  });
});
