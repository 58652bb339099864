/**
 * SSE resumption over Streamable HTTP (2025-11-25): a server that closes a request's SSE stream
 * after a priming event (an id and `retry:`) before it answers — the spec's polling pattern, the
 * conformance suite's sse-retry scenario — gets a GET with Last-Event-ID after the retry time, and
 * the answer it sends there completes the request. Against a raw node:http server that does exactly
 * that, and against the SDK's StreamableHTTPServerTransport with an event store.
 */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SseReader } from '../src/worker/transport/http-sse.js';
import { runEngine } from './helpers/engine-run.js';
import { startSdkHttpServer } from './helpers/sdk-http-server.js';
import { closeAfterEach, handleMcpPost, listenLocal } from './helpers/raw-servers.js';

const closing = closeAfterEach();

const RETRY_MS = 150;

interface PollingServer {
  url: string;
  calls: number;
  /** GETs whose Last-Event-ID named a stream the server closed, answered there. */
  resumed: number;
  /** GETs with no or an unknown Last-Event-ID. */
  badGets: number;
  /** Shortest time from a stream's close to its GET, ms (the retry the client waited). */
  shortestWaitMs: number;
}

/** Every tools/call: a priming event (`id`, `retry`), then the stream ends; the answer waits for the GET that resumes it. */
async function pollingServer(): Promise<PollingServer> {
  const state: PollingServer = { url: '', calls: 0, resumed: 0, badGets: 0, shortestWaitMs: Infinity };
  const waiting = new Map<string, { id: number; closedAt: number }>();
  let streams = 0;
  const server = closing(
    createServer((req, res) => {
      if (req.method === 'GET') {
        const last = req.headers['last-event-id'];
        const pending = typeof last === 'string' ? waiting.get(last) : undefined;
        if (pending === undefined || req.headers['mcp-session-id'] !== 'polling' || !String(req.headers.accept).includes('text/event-stream')) {
          state.badGets++;
          return res.writeHead(405).end();
        }
        waiting.delete(last as string);
        state.resumed++;
        state.shortestWaitMs = Math.min(state.shortestWaitMs, performance.now() - pending.closedAt);
        const answer = { jsonrpc: '2.0', id: pending.id, result: { content: [{ type: 'text', text: 'resumed' }] } };
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return res.end(`id: ${last as string}-answer\ndata: ${JSON.stringify(answer)}\n\n`);
      }
      handleMcpPost(req, res, 'polling', (msg) => {
        state.calls++;
        const eventId = `stream-${++streams}`;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // An id and a retry hint, no answer; then the connection closes (the SSE stream is not over).
        res.end(`id: ${eventId}\nretry: ${RETRY_MS}\ndata: \n\n`, () => waiting.set(eventId, { id: msg.id, closedAt: performance.now() }));
      });
    }),
  );
  state.url = await listenLocal(server);
  return state;
}

const call = (name: string) => [{ method: 'tools/call', weight: 1, params: { name, arguments: {} } }];

describe('SSE resumption (the polling pattern)', () => {
  it('a stream closed before its answer is resumed with GET + Last-Event-ID after `retry` ms, and the answer there counts', async () => {
    const s = await pollingServer();
    const run = await runEngine({ url: s.url, clients: 2, profile: { rate: 5, timeoutMs: 2000, mix: call('echo') }, durationMs: 1500, drainMs: 1000 });
    const t = run.total;
    expect(s.calls).toBeGreaterThan(0);
    expect(t.sent).toBe(s.calls);
    expect(s.badGets).toBe(0);
    expect(s.resumed).toBe(s.calls);
    expect(t.ok).toBe(t.sent);
    expect(t.errors).toEqual({ connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 });
    // The client waited the server's retry time before each GET (a lower bound: a busy machine is only later).
    expect(s.shortestWaitMs).toBeGreaterThanOrEqual(RETRY_MS - 5);
  });

  it("the SDK's StreamableHTTPServerTransport with an event store: closeSSEStream mid-request, every call answered on the resumed stream", async () => {
    const sdk = closing(await startSdkHttpServer({ resumable: { retryMs: 50 } }));
    const run = await runEngine({ url: sdk.url, clients: 2, profile: { rate: 5, timeoutMs: 2000, mix: call('poll') }, durationMs: 1500, drainMs: 1000 });
    const t = run.total;
    expect(t.sent).toBeGreaterThan(0);
    expect(sdk.streamsClosed()).toBe(t.sent);
    // Every answered call came back on a resumed stream. A call sent in the run's last instant may end
    // with the run instead (its stream closed during the drain is not resumed yet: a known gap, issue 16's note).
    expect(sdk.resumes()).toBeGreaterThanOrEqual(t.ok);
    expect(t.ok).toBeGreaterThanOrEqual(t.sent - 1);
    expect({ ...t.errors, closed: 0 }).toEqual({ connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 });
    expect(t.errors.closed).toBeLessThanOrEqual(t.sent - t.ok);
    expect(sdk.transportErrors()).toBe(0);
  });
});

describe('SseReader keeps what resuming needs', () => {
  it('the last event id (set when its event ends, even without data) and the retry time (digits only)', () => {
    const reader = new SseReader(() => {}, 1 << 20);
    expect(reader.lastEventId).toBeUndefined();
    reader.push(Buffer.from('id: a-1\nretry: 250\ndata: \n\n'));
    expect(reader.lastEventId).toBe('a-1');
    expect(reader.retry).toBe(250);
    reader.push(Buffer.from('retry: soon\nid: a-2\ndata: {"jsonrpc":"2.0"}\n'));
    expect(reader.lastEventId).toBe('a-1'); // its event has not ended yet
    expect(reader.retry).toBe(250);
    reader.push(Buffer.from('\ndata: {"x":1}\n\n'));
    expect(reader.lastEventId).toBe('a-2'); // and it stays for events without an id
  });
});
