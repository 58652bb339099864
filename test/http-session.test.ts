/**
 * An MCP session over Streamable HTTP does not live in a TCP connection: a connection reset costs
 * the request that was on it (counted `closed`), and the session goes on over new connections with
 * the same Mcp-Session-Id, without a new initialize. A server that answers a forgotten session with
 * 400 instead of 404 (server-everything: "Bad Request: No valid session ID provided") is understood
 * from its words: the session is initialized again instead of failing every request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runEngine, until } from './helpers/engine-run.js';
import { startEverything, type EverythingServer } from './helpers/server-everything.js';
import { closeHttpServer } from './helpers/raw-servers.js';

let server: Server | undefined;
let everything: EverythingServer | undefined;
afterEach(async () => {
  await everything?.close();
  everything = undefined;
  const s = server;
  server = undefined;
  await closeHttpServer(s);
});

/** Answers every request but each third tools/call, whose connection it resets after reading it. */
async function resettingServer(): Promise<{ url: string; initializes: () => number; resets: () => number; strangers: () => number }> {
  let initializes = 0;
  let calls = 0;
  let resets = 0;
  let strangers = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'DELETE') return res.writeHead(200).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method?: string };
      if (msg.method === 'initialize') {
        initializes++;
        const result = { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'resetting', version: '1' } };
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `s${initializes}` });
        return res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      }
      if (!/^s\d+$/.test(String(req.headers['mcp-session-id']))) strangers++;
      if (msg.id === undefined) return res.writeHead(202).end();
      if (msg.method === 'tools/call' && ++calls % 3 === 0) {
        resets++;
        return req.socket.resetAndDestroy();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [] } }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    initializes: () => initializes,
    resets: () => resets,
    strangers: () => strangers,
  };
}

const mix = [{ method: 'tools/call', weight: 1, params: { name: 'echo', arguments: {} } }];

describe('a TCP reset on Streamable HTTP', () => {
  it('costs the request on that connection (closed), not the session: no new initialize, no reconnect, the same session id after', async () => {
    const s = await resettingServer();
    const run = await runEngine({ url: s.url, clients: 2, profile: { rate: 20, timeoutMs: 1000, mix }, durationMs: 1500, drainMs: 1000 });
    const t = run.total;
    expect(s.resets()).toBeGreaterThan(2);
    expect(s.initializes()).toBe(2);
    expect(t.sessionsEstablished).toBe(2);
    expect(t.reconnects).toBe(0);
    expect(s.strangers()).toBe(0);
    // Each reset is one request failed as closed, and one closed error; the rest were answered.
    expect(t.closed).toBe(s.resets());
    expect(t.errors.closed).toBe(s.resets());
    expect(t.ok + t.closed).toBe(t.sent);
    expect(t.errors.protocol + t.errors.timeout + t.errors.handshake + t.errors.connect).toBe(0);
    expect(run.notes.some((n) => n.includes('lost with its connection; the session goes on'))).toBe(true);
  });
});

describe('server-everything answers 400 for a session it forgot', () => {
  it('the 400 that says "No valid session ID" is taken as the session expired: mcpload initializes again and goes on', { timeout: 30_000 }, async () => {
    everything = await startEverything('http');
    const e = everything;
    const ping = [{ method: 'ping', weight: 1 }];
    const running = runEngine({ url: e.url, clients: 2, profile: { rate: 20, timeoutMs: 1000, mix: ping }, durationMs: 2000, drainMs: 500 });
    await until(() => e.sessionIds().length === 2, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await e.forgetSessions();
    const run = await running;
    const t = run.total;
    // Both sessions initialized again after the server forgot them, and requests went on: no rpc errors.
    expect(e.sessionIds().length).toBeGreaterThanOrEqual(4);
    expect(t.sessionsEstablished).toBe(e.sessionIds().length);
    expect(t.errors.rpc).toBe(0);
    expect(t.rpcError).toBe(0);
    expect(t.ok).toBeGreaterThan(0);
    expect(run.notes.some((n) => n.includes('session expired (HTTP 400: Bad Request: No valid session ID provided): initializing a new one'))).toBe(true);
  });
});
