/**
 * Streamable HTTP (issue 9) against the official SDK server: its StreamableHTTPServerTransport,
 * stateful and stateless, answering as SSE streams and as JSON, driven by an in-process Engine.
 * Every run is bounded (about a second of sending) and must end with zero protocol errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runEngine, until, type EngineRun } from './helpers/engine-run.js';
import { startSdkHttpServer, type SdkHttpServer } from './helpers/sdk-http-server.js';

let server: SdkHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function expectClean(run: EngineRun, clients: number): void {
  expect(run.total.errors).toEqual({ connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 });
  expect(run.total.sessionsEstablished).toBe(clients);
  expect(run.total.sent).toBeGreaterThan(0);
  expect(run.total.ok).toBe(run.total.sent);
  // Every answer was recorded, in both histograms.
  expect(run.total.latencyCount).toBe(run.total.ok);
  expect(run.total.latencyRawCount).toBe(run.total.ok);
}

describe('mcpload over Streamable HTTP against the SDK server', () => {
  for (const json of [false, true]) {
    const answers = json ? 'JSON bodies' : 'SSE streams';

    it(`stateful, answers as ${answers}: initialize, session id echoed, every request ok, DELETE on close`, async () => {
      server = await startSdkHttpServer({ json });
      const run = await runEngine({ url: server.url, clients: 4, profile: { rate: 40 }, durationMs: 1000 });
      expectClean(run, 4);
      expect(Object.keys(run.total.methods).sort()).toEqual(['resources/list', 'resources/read', 'tools/call']);
      expect(server.sessionsCreated()).toBe(4);
      // Each session ended with a DELETE of its Mcp-Session-Id; the server holds none any more.
      expect(server.deletes()).toBe(4);
      expect(server.sessions()).toBe(0);
      expect(server.notFound()).toBe(0);
      expect(server.transportErrors()).toBe(0);
    });

    it(`stateless (no session id), answers as ${answers}`, async () => {
      server = await startSdkHttpServer({ stateless: true, json });
      const run = await runEngine({ url: server.url, clients: 3, profile: { rate: 30 }, durationMs: 1000 });
      expectClean(run, 3);
      expect(server.transportErrors()).toBe(0);
    });
  }

  it('handles what the server sends on a request stream: a notification, and a ping request it answers', async () => {
    server = await startSdkHttpServer();
    const run = await runEngine({
      url: server.url,
      clients: 2,
      profile: { rate: 10, mix: [{ method: 'tools/call', weight: 1, params: { name: 'chatty', arguments: {} } }] },
      durationMs: 1000,
    });
    expectClean(run, 2);
    const calls = run.total.methods['tools/call'].ok;
    expect(calls).toBeGreaterThan(0);
    // One log notification and one ping per call arrived on the SSE streams; every ping was answered.
    expect(run.total.messagesReceived.notification).toBe(calls);
    expect(run.total.messagesReceived.request).toBe(calls);
    expect(run.total.messagesSent.response).toBe(calls);
    expect(server.pingsAnswered()).toBe(calls);
  });

  it('a server that forgets its sessions mid-run answers 404: sessions initialize again and the run goes on', async () => {
    server = await startSdkHttpServer();
    const s = server;
    const clients = 3;
    const forgotten = (async () => {
      await until(() => s.sessionsCreated() === clients);
      await new Promise((r) => setTimeout(r, 200));
      await s.forgetSessions();
    })();
    const run = await runEngine({ url: s.url, clients, profile: { rate: 40 }, durationMs: 1500 });
    await forgotten;
    // Expiry is not an error: no protocol, closed or handshake errors; each session re-initialized
    // once (a reconnect), and requests after it succeeded again.
    expect(s.notFound()).toBeGreaterThanOrEqual(clients);
    expect(run.total.errors.protocol).toBe(0);
    expect(run.total.errors.closed).toBe(0);
    expect(run.total.errors.handshake).toBe(0);
    expect(run.total.errors.connect).toBe(0);
    expect(run.total.sessionsEstablished).toBe(2 * clients);
    expect(run.total.reconnects).toBe(clients);
    expect(s.sessionsCreated()).toBe(2 * clients);
    // The only requests that failed are the ones the forgotten sessions had in flight (closed, per method).
    expect(run.total.ok + run.total.closed).toBe(run.total.sent);
    expect(run.total.ok).toBeGreaterThan(run.total.closed);
    expect(run.notes.some((n) => n.includes('session expired (HTTP 404)'))).toBe(true);
  });
});
