/**
 * Cancellation on timeout (issue 16; MCP 2025-11-25 lifecycle, Timeouts: the sender of a request that
 * timed out SHOULD send `notifications/cancelled`). Real local servers on 127.0.0.1 that answer
 * initialize and never answer `tools/call`, over WebSocket and over Streamable HTTP: each timed-out
 * request gets one cancellation with its id, the report counts them among the messages sent, and the
 * report's `sent` is what the server received. Requests abandoned when the run stops are not
 * cancelled one by one: the session's end (close frame, HTTP DELETE) ends them all.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import type { RunReport } from '../src/report/types.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { startRawServer, type JsonRpc, type RawServer } from './helpers/raw-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-cancellation-'));
const CLIENTS = 2;
const TOOLS_CALL = { method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } };

/** What a never-answering server saw: requests and cancellations, each as "connection or session/id". */
interface Seen {
  requests: string[];
  cancelled: string[];
  /** The `reason` of every cancellation. */
  reasons: string[];
}

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function cancelled(seen: Seen, key: string, msg: JsonRpc): void {
  const params = msg.params as { requestId?: unknown; reason?: unknown };
  seen.cancelled.push(`${key}/${String(params.requestId)}`);
  seen.reasons.push(String(params.reason));
}

/** WebSocket: answers initialize (raw-servers.ts), never tools/call. */
async function silentWs(): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { requests: [], cancelled: [], reasons: [] };
  let connections = 0;
  const server = await startRawServer({
    connection() {
      const key = `c${++connections}`;
      return {
        onRequest: (msg) => void seen.requests.push(`${key}/${String(msg.id)}`),
        onNotification: (msg) => {
          if (msg.method === 'notifications/cancelled') cancelled(seen, key, msg);
        },
      };
    },
  });
  servers.push(server);
  return { url: server.url, seen };
}

/** Streamable HTTP: initialize answered with a session id, notifications with 202, other POSTs never. */
async function silentHttp(): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { requests: [], cancelled: [], reasons: [] };
  let sessions = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const msg = JSON.parse(body) as JsonRpc;
      const sid = req.headers['mcp-session-id'];
      if (msg.method === 'initialize') {
        const params = msg.params as { protocolVersion?: string };
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `s${++sessions}` });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: msg.id,
            result: { protocolVersion: params.protocolVersion, capabilities: {}, serverInfo: { name: 'silent', version: '0' } },
          }),
        );
      } else if (msg.id === undefined) {
        if (msg.method === 'notifications/cancelled') cancelled(seen, String(sid), msg);
        res.writeHead(202).end();
      } else seen.requests.push(`${String(sid)}/${msg.id as number}`); // never answered
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    url: '',
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`, seen };
}

/** In-process (real engine threads): tools/call only, 300 ms timeout; `drain` past it lets the last requests time out too. */
async function run(url: string, name: string, drain: string, timeout = '300ms'): Promise<RunReport> {
  const profile = writeProfile(dir, name, { clients: CLIENTS, rate: 10, timeout, mix: [TOOLS_CALL] });
  const opts = resolveRunOptions({ url: [url], profile, duration: '1s', drainTimeout: drain, workers: 1, quiet: true, logLevel: 'silent' });
  const { report } = await start(opts).result;
  return report;
}

function everyTimeoutCancelled(report: RunReport, seen: Seen): void {
  expect(report.requests.sent).toBeGreaterThan(0);
  // Every request left, every one timed out (the drain outlasts the timeout), and each was cancelled once, by its id.
  expect(seen.requests.length, 'requests the server received').toBe(report.requests.sent);
  expect(report.errors.timeout).toBe(report.requests.sent);
  expect(report.methods['tools/call'].timeout).toBe(report.requests.sent);
  expect([...seen.cancelled].sort()).toEqual([...seen.requests].sort());
  expect(report.messages.sent.cancellation).toBe(seen.cancelled.length);
  for (const reason of seen.reasons) expect(reason).toBe('request timed out after 300 ms');
}

describe('cancellation on timeout', () => {
  it('WebSocket: each timed-out request gets notifications/cancelled with its id; sent = what the server received', async () => {
    const { url, seen } = await silentWs();
    const report = await run(url, 'ws-cancel', '2s');
    everyTimeoutCancelled(report, seen);
    expect(report.errors.closed).toBe(0);
  });

  it('Streamable HTTP: the cancellation is a notification POST; sent = what the server received', async () => {
    const { url, seen } = await silentHttp();
    const report = await run(url, 'http-cancel', '2s');
    everyTimeoutCancelled(report, seen);
  });

  it('requests still in flight when the run stops are closed with the session, not cancelled one by one', async () => {
    const { url, seen } = await silentWs();
    // A timeout longer than the run and no drain: nothing times out, everything in flight is closed at the stop.
    const report = await run(url, 'ws-stop', '0s', '10s');
    expect(report.requests.sent).toBeGreaterThan(0);
    expect(seen.requests.length).toBe(report.requests.sent);
    expect(report.methods['tools/call'].closed).toBe(report.requests.sent);
    expect(seen.cancelled).toEqual([]);
    expect(report.messages.sent.cancellation).toBe(0);
  });
});
