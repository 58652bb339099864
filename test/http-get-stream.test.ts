/**
 * The optional GET stream of Streamable HTTP (--http-get-stream): once initialized, each session
 * opens a GET on the MCP endpoint, and what the server sends there unprompted (notifications, its
 * requests) is handled like anything on a request's stream. A server without one answers 405: that
 * is accepted quietly, with no retry loop.
 */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { runEngine } from './helpers/engine-run.js';
import { startSdkHttpServer } from './helpers/sdk-http-server.js';
import { closeAfterEach, listenLocal } from './helpers/raw-servers.js';

const closing = closeAfterEach();

const NO_ERRORS = { connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 };
const broadcast = [{ method: 'tools/call', weight: 1, params: { name: 'broadcast', arguments: {} } }];

describe('--http-get-stream', () => {
  it("the SDK server's notifications related to no request reach the session on its GET stream", async () => {
    const sdk = closing(await startSdkHttpServer());
    const run = await runEngine({ url: sdk.url, clients: 2, profile: { rate: 10, mix: broadcast }, durationMs: 1000, httpGetStream: true });
    const t = run.total;
    expect(t.errors).toEqual(NO_ERRORS);
    expect(sdk.listens()).toBe(2);
    expect(t.ok).toBe(t.sent);
    expect(sdk.broadcasts()).toBeGreaterThan(0);
    // Each broadcast sent while its session's GET stream was open reached that session (the SDK sends it on the
    // stream of the session it ran in; one sent before the GET was up is dropped by the SDK, not counted).
    // A notification still on its way when a session ends with the run is not seen: at most one per session.
    expect(t.messagesReceived.notification).toBeLessThanOrEqual(sdk.broadcasts());
    expect(t.messagesReceived.notification).toBeGreaterThanOrEqual(sdk.broadcasts() - 2);
  });

  it('is off by default: no GET, and those notifications are not seen', async () => {
    const sdk = closing(await startSdkHttpServer());
    const run = await runEngine({ url: sdk.url, clients: 1, profile: { rate: 10, mix: broadcast }, durationMs: 600 });
    expect(sdk.listens()).toBe(0);
    expect(run.total.ok).toBe(run.total.sent);
    expect(run.total.messagesReceived.notification).toBe(0);
  });

  it('a server that answers the GET with 405 has no stream: accepted quietly, asked once per session', async () => {
    let gets = 0;
    const server = closing(
      createServer((req, res) => {
        if (req.method === 'GET') {
          gets++;
          return res.writeHead(405, { allow: 'POST' }).end();
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.method !== 'POST') return res.writeHead(405).end();
          const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method?: string };
          if (msg.id === undefined) return res.writeHead(202).end();
          const result = msg.method === 'initialize' ? { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'no-get', version: '1' } } : {};
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'g' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
        });
      }),
    );
    const url = await listenLocal(server);
    const run = await runEngine({ url, clients: 2, profile: { rate: 10, mix: [{ method: 'ping', weight: 1 }] }, durationMs: 800, httpGetStream: true });
    expect(run.total.errors).toEqual(NO_ERRORS);
    expect(run.total.ok).toBe(run.total.sent);
    expect(gets).toBe(2);
  });
});
