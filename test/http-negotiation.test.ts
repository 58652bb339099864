/**
 * Version negotiation over Streamable HTTP (2025-11-25 lifecycle): the protocolVersion an initialize
 * answer agrees on must be one mcpload speaks, or the handshake fails with a line that says so; the
 * agreed one goes on every later request as MCP-Protocol-Version (not on initialize itself).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runEngine } from './helpers/engine-run.js';
import { closeHttpServer } from './helpers/raw-servers.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  await closeHttpServer(s);
});

interface Seen {
  method: string;
  headers: IncomingHttpHeaders;
}

/** Answers initialize with `version`, everything else with an empty result; keeps each POST's method and headers. */
async function answeringWith(version: string): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return res.writeHead(405).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method?: string };
      seen.push({ method: msg.method ?? 'response', headers: req.headers });
      if (msg.id === undefined) return res.writeHead(202).end();
      const result = msg.method === 'initialize' ? { protocolVersion: version, capabilities: {}, serverInfo: { name: 'versions', version: '1' } } : {};
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'v' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

const profile = { rate: 10, timeoutMs: 1000, mix: [{ method: 'ping', weight: 1 }], reconnect: { initialDelayMs: 100, maxDelayMs: 200, maxAttempts: 0 } };

describe('protocol version negotiation over Streamable HTTP', () => {
  it('an initialize answer agreeing on a version mcpload does not speak is a handshake error, with a clear line', async () => {
    const s = await answeringWith('1999-01-01');
    const run = await runEngine({ url: s.url, clients: 1, profile, durationMs: 600 });
    expect(run.total.sessionsEstablished).toBe(0);
    expect(run.total.errors.handshake).toBeGreaterThan(0);
    expect(run.total.sent).toBe(0);
    expect(run.notes.some((n) => n.includes('protocolVersion "1999-01-01", which mcpload does not speak'))).toBe(true);
    // No initialized notification for a handshake that failed.
    expect(s.seen.filter((x) => x.method === 'notifications/initialized')).toEqual([]);
  });

  it('an older revision mcpload speaks is agreed on, and sent as MCP-Protocol-Version on every request after initialize', async () => {
    const s = await answeringWith('2025-06-18');
    const run = await runEngine({ url: s.url, clients: 1, profile, durationMs: 600 });
    expect(run.total.sessionsEstablished).toBe(1);
    expect(run.total.errors.handshake).toBe(0);
    expect(run.total.ok).toBe(run.total.sent);
    const [init, ...after] = s.seen;
    expect(init.method).toBe('initialize');
    expect(init.headers['mcp-protocol-version']).toBeUndefined();
    expect(after.length).toBeGreaterThan(1);
    for (const x of after) expect(x.headers['mcp-protocol-version']).toBe('2025-06-18');
    for (const x of after) expect(x.headers['mcp-session-id']).toBe('v');
  });
});
