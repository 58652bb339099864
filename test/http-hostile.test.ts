/**
 * Hostile Streamable HTTP servers: a real node:http server on 127.0.0.1 that completes initialize
 * and then answers every request badly in one way. mcpload counts each bad answer by type and
 * never crashes; the counts match what the server did.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runEngine } from './helpers/engine-run.js';
import { deadPort } from './helpers/raw-servers.js';

type Hostility = 'bad-json' | 'wrong-type' | 'status-500' | 'sse-garbage' | 'reset';

let server: Server | undefined;
afterEach(async () => {
  if (!server) return;
  const s = server;
  server = undefined;
  await new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
});

async function startHostile(how: Hostility): Promise<{ url: string; bad: () => number }> {
  let bad = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'DELETE') return res.writeHead(200).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method?: string };
      if (msg.id === undefined) return res.writeHead(202).end();
      if (msg.method === 'initialize') {
        const result = { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'hostile', version: '1' } };
        return res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      }
      bad++;
      switch (how) {
        case 'bad-json':
          return res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":');
        case 'wrong-type':
          return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
        case 'status-500':
          return res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        case 'sse-garbage':
          return res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: this is not json\n\n');
        case 'reset':
          return req.socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, bad: () => bad };
}

const profile = { rate: 20, timeoutMs: 300, reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 0 } };

describe('hostile Streamable HTTP servers are counted, never a crash', () => {
  for (const how of ['bad-json', 'wrong-type', 'sse-garbage'] as const) {
    it(`${how}: one protocol error per bad answer, the request then times out`, async () => {
      const s = await startHostile(how);
      const run = await runEngine({ url: s.url, clients: 2, profile, durationMs: 1000 });
      expect(s.bad()).toBeGreaterThan(0);
      expect(run.total.errors.protocol).toBe(s.bad());
      expect(run.total.ok).toBe(0);
      expect(run.total.timeout + run.total.closed).toBe(run.total.sent);
      expect(run.total.sessionsEstablished).toBe(2);
    });
  }

  it('status-500: each is the request failing with an rpc error, its latency recorded', async () => {
    const s = await startHostile('status-500');
    const run = await runEngine({ url: s.url, clients: 2, profile, durationMs: 1000 });
    expect(s.bad()).toBeGreaterThan(0);
    expect(run.total.errors.rpc).toBe(s.bad());
    expect(run.total.rpcError).toBe(s.bad());
    expect(run.total.latencyCount).toBe(s.bad());
    expect(run.total.errors.protocol).toBe(0);
    expect(run.notes.some((n) => n.includes('HTTP 500: boom'))).toBe(true);
  });

  it('reset: the session sees its connection lost (closed), and initializes again', async () => {
    const s = await startHostile('reset');
    const run = await runEngine({ url: s.url, clients: 2, profile, durationMs: 1000 });
    expect(s.bad()).toBeGreaterThan(0);
    expect(run.total.errors.closed).toBeGreaterThan(0);
    expect(run.total.errors.protocol).toBe(0);
    expect(run.total.reconnects).toBeGreaterThan(0);
    expect(run.total.sessionsEstablished).toBeGreaterThan(2);
  });

  it('refused: nothing listens, so every attempt is a connect error and no session starts', async () => {
    const dead = await deadPort();
    const url = dead.url.replace(/^ws:/, 'http:').replace(/\/mcp\/ws$/, '/mcp');
    const run = await runEngine({ url, clients: 2, profile, durationMs: 500 });
    expect(run.total.errors.connect).toBeGreaterThan(0);
    expect(run.total.errors.handshake).toBe(0);
    expect(run.total.sessionsEstablished).toBe(0);
  });
});
