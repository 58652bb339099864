/**
 * Hostile Streamable HTTP servers: a real node:http server on 127.0.0.1 that completes initialize
 * and then answers every request badly in one way. mcpload counts each bad answer by type and
 * never crashes; the counts match what the server did.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/report/types.js';
import { runEngine } from './helpers/engine-run.js';
import { runCliWatchingRss, writeProfile } from './helpers/hostile-servers.js';
import { deadPort } from './helpers/raw-servers.js';

type Hostility =
  | 'bad-json'
  | 'wrong-type'
  | 'status-500'
  | 'sse-garbage'
  | 'reset'
  /** An SSE answer that never ends: a comment every 50 ms, never an event. */
  | 'sse-endless'
  /** An SSE event larger than mcpload's payload bound (64 MiB). */
  | 'sse-huge'
  /** A 48 MiB JSON answer to every request (within the payload bound, beyond the engine's budget in total). */
  | 'json-large'
  /** 404 to every request after initialize: the server forgets every session at once. */
  | 'expire-all';

const MIB = 1024 * 1024;
/** 1 MiB of 'x', written many times (the server's memory stays small). */
const PAD = Buffer.alloc(MIB, 'x');

/** `head`, then `mib` MiB of padding, then `tail`, written at once (a client that aborts just closes the socket). */
function writePadded(res: ServerResponse, head: string, mib: number, tail: string): void {
  res.on('error', () => {});
  res.write(head);
  for (let i = 0; i < mib; i++) res.write(PAD);
  res.end(tail);
}

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

async function startHostile(how: Hostility): Promise<{ url: string; bad: () => number; initializes: () => number }> {
  let bad = 0;
  let initializes = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'DELETE') return res.writeHead(how === 'expire-all' ? 404 : 200).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method?: string };
      if (msg.id === undefined) return res.writeHead(202).end();
      if (msg.method === 'initialize') {
        initializes++;
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
        case 'sse-endless': {
          res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': keep-alive\n\n');
          const timer = setInterval(() => res.write(': keep-alive\n\n'), 50);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case 'sse-huge':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          return writePadded(res, `data: {"jsonrpc":"2.0","id":${msg.id},"result":{"pad":"`, 70, '"}}\n\n');
        case 'json-large':
          res.writeHead(200, { 'content-type': 'application/json' });
          return writePadded(res, `{"jsonrpc":"2.0","id":${msg.id},"result":{"pad":"`, 48, '"}}');
        case 'expire-all':
          return res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, bad: () => bad, initializes: () => initializes };
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

  it('reset: each request whose connection is reset fails as closed; the sessions live on (no new initialize)', async () => {
    const s = await startHostile('reset');
    const run = await runEngine({ url: s.url, clients: 2, profile, durationMs: 1000 });
    expect(s.bad()).toBeGreaterThan(0);
    expect(run.total.errors.closed).toBe(s.bad());
    expect(run.total.closed).toBe(s.bad());
    expect(run.total.errors.protocol).toBe(0);
    expect(run.total.reconnects).toBe(0);
    expect(run.total.sessionsEstablished).toBe(2);
    expect(s.initializes()).toBe(2);
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

describe('Streamable HTTP faults: numbers you can trust when things go wrong', () => {
  it('an SSE answer that never ends is abandoned at its timeout: its connection is freed for the next requests', async () => {
    const s = await startHostile('sse-endless');
    const run = await runEngine({ url: s.url, clients: 1, profile: { ...profile, rate: 10, timeoutMs: 200 }, durationMs: 2000 });
    expect(run.total.sent).toBeGreaterThan(8);
    expect(run.total.timeout + run.total.closed).toBe(run.total.sent);
    // Every request reached the server: none queued behind the streams before it (the pool has 4 connections).
    expect(s.bad()).toBeGreaterThanOrEqual(run.total.sent - 1);
    // The timeout stays the request's one error; each abandoned stream is told in the log.
    expect(run.total.errors.timeout).toBe(run.total.timeout);
    expect(run.total.errors.protocol + run.total.errors.closed).toBe(0);
    expect(run.notes.some((n) => n.includes('answer stream abandoned'))).toBe(true);
  });

  it("an SSE event beyond the payload bound is the server's protocol error, and reading stops", async () => {
    const s = await startHostile('sse-huge');
    const run = await runEngine({ url: s.url, clients: 1, profile: { ...profile, rate: 2, timeoutMs: 1500 }, durationMs: 1000, drainMs: 2000 });
    expect(s.bad()).toBeGreaterThan(0);
    expect(run.total.errors.protocol).toBeGreaterThan(0);
    expect(run.total.errors.protocol).toBeLessThanOrEqual(s.bad());
    expect(run.total.ok).toBe(0);
  });

  it('a server that 404s every request after initialize: re-initializations are backed off and counted as closed', async () => {
    const s = await startHostile('expire-all');
    const reconnect = { initialDelayMs: 100, maxDelayMs: 400, maxAttempts: 0 };
    const run = await runEngine({ url: s.url, clients: 2, profile: { ...profile, reconnect }, durationMs: 2000 });
    expect(s.bad()).toBeGreaterThan(0);
    // Backoff of 100, 200, then 400 ms at most (full jitter) per session: a handful each in 2 s, not hundreds.
    expect(s.initializes()).toBeGreaterThan(2);
    expect(s.initializes()).toBeLessThanOrEqual(50);
    expect(run.total.errors.closed).toBeGreaterThan(0);
    expect(run.total.errors.closed).toBeLessThanOrEqual(s.initializes());
    expect(run.total.ok).toBe(0);
    expect(run.notes.some((n) => n.includes('before any request was answered: backing off'))).toBe(true);
  });
});

describe('Streamable HTTP memory: bounded for the engine, not only per response (the real CLI, its RSS watched)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpload-http-rss-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "48 MiB answers to 10 sessions, 4 connections each: the engine's budget aborts what passes it, counted as protocol errors",
    { timeout: 60_000 },
    async () => {
      const s = await startHostile('json-large');
      const report = join(dir, 'json-large.json');
      const file = writeProfile(dir, 'json-large', { clients: 10, rate: 4, timeout: '2s', maxInFlight: 8 });
      const r = await runCliWatchingRss(
        ['--url', s.url, '--profile', file, '--duration', '3s', '--workers', '1', '--quiet', '--log-level', 'warn', '--report', report],
        {
          timeoutMs: 30_000,
        },
      );
      console.log(`json-large: exit ${r.code}, mcpload RSS peak ${Math.max(...r.rss.samples).toFixed(1)} MB; server answered ${s.bad()} requests`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.rss.samples.length).toBeGreaterThan(10);
      const rep = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
      expect(s.bad()).toBeGreaterThan(10);
      expect(rep.errors.protocol).toBeGreaterThan(0);
      // 256 MiB of bodies held at most, plus the one being parsed and the process itself: wide, but
      // far below the gigabytes that 40 concurrent 48 MiB bodies take without the budget.
      expect(Math.max(...r.rss.samples)).toBeLessThan(800);
    },
  );
});
