/**
 * The official SDK McpServer over its own StreamableHTTPServerTransport on node:http, port 0, the way
 * the SDK's examples serve it:
 * - stateful: a transport per session (sessionIdGenerator), found again by Mcp-Session-Id; unknown
 *   ids get 404, so `forgetSessions()` makes every session's next request a 404 (a restarted server);
 * - stateless: sessionIdGenerator undefined, a fresh server and transport per request.
 * `json: false` (the SDK's default) answers requests as SSE streams; `json: true` as JSON bodies.
 *
 * Besides the reference target's surface (createSdkMcpServer), a tool `chatty` sends a log
 * notification and a `ping` request to the client on the request's own SSE stream before it answers,
 * so a test sees server-to-client traffic handled over HTTP.
 *
 * `resumable` gives each session the SDK's InMemoryEventStore and a retry interval: every SSE stream
 * starts with a priming event (an id, `retry:`), and a tool `poll` closes its request's stream
 * (the SDK's closeSSEStream, the 2025-11-25 polling pattern) before it answers, so the answer only
 * reaches a client that resumes with GET + Last-Event-ID.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { EmptyResultSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createSdkMcpServer } from './sdk-ws-server.js';

export interface SdkHttpServerOptions {
  stateless?: boolean;
  /** JSON bodies instead of SSE streams. */
  json?: boolean;
  /** Resumable streams (an event store per session) with this retry interval, ms, and the `poll` tool. */
  resumable?: { retryMs: number };
  /** More tools, resources or prompts on each McpServer the helper makes (test/tool-errors.test.ts). */
  register?: (server: McpServer) => void;
}

export interface SdkHttpServer {
  url: string;
  /** Sessions the server holds now (stateful). */
  sessions(): number;
  /** Sessions created by initialize (stateful). */
  sessionsCreated(): number;
  /** DELETEs that ended a known session. */
  deletes(): number;
  /** 404 answers to an unknown Mcp-Session-Id. */
  notFound(): number;
  /** Errors the SDK transports reported (bad messages reaching the server). */
  transportErrors(): number;
  /** `chatty` calls whose ping to the client was answered. */
  pingsAnswered(): number;
  /** `poll` calls whose stream the server closed before answering. */
  streamsClosed(): number;
  /** GETs that carried a Last-Event-ID. */
  resumes(): number;
  /** GETs that opened a stream for server-initiated messages (no Last-Event-ID). */
  listens(): number;
  /** `broadcast` calls: each sent a notification related to no request (it reaches a client only on a GET stream). */
  broadcasts(): number;
  /** Drop every session, as a restarted server would. */
  forgetSessions(): Promise<void>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err instanceof Error ? err : new Error('the request body is not JSON'));
      }
    });
  });
}

function jsonError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

export async function startSdkHttpServer(opts: SdkHttpServerOptions = {}): Promise<SdkHttpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const counts = { created: 0, deletes: 0, notFound: 0, transportErrors: 0, pingsAnswered: 0, streamsClosed: 0, resumes: 0, listens: 0, broadcasts: 0 };
  const enableJsonResponse = opts.json ?? false;

  const newServer = () => {
    const server = createSdkMcpServer();
    server.server.registerCapabilities({ logging: {} });
    server.registerTool('chatty', { description: 'Talks to the client on the stream before it answers.' }, async (extra) => {
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'working' } });
      await extra.sendRequest({ method: 'ping' }, EmptyResultSchema);
      counts.pingsAnswered++;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    server.registerTool('broadcast', { description: 'Sends a notification related to no request, then answers.' }, async (extra) => {
      // The SDK drops such a notification while the session has no GET stream (a call can come before the
      // client's GET is up): count only those it could deliver.
      const open = extra.sessionId !== undefined && getStreamOpen(transports.get(extra.sessionId));
      await server.server.notification({ method: 'notifications/message', params: { level: 'info', data: 'to the GET stream' } });
      if (open) counts.broadcasts++;
      return { content: [{ type: 'text', text: 'sent' }] };
    });
    server.registerTool('poll', { description: 'Closes its SSE stream, then answers: only a resuming client gets the answer.' }, async (extra) => {
      if (extra.closeSSEStream) {
        extra.closeSSEStream();
        counts.streamsClosed++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { content: [{ type: 'text', text: 'polled' }] };
    });
    opts.register?.(server);
    return server;
  };

  const stateful = async (req: IncomingMessage, res: ServerResponse) => {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const transport = transports.get(sid);
      if (!transport) {
        counts.notFound++;
        return jsonError(res, 404, -32001, 'Session not found');
      }
      if (req.method === 'DELETE') counts.deletes++;
      if (req.method === 'GET') counts[req.headers['last-event-id'] !== undefined ? 'resumes' : 'listens']++;
      return transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return jsonError(res, 400, -32000, 'Bad Request: no session');
    const body = await readBody(req);
    if (!isInitializeRequest(body)) return jsonError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse,
      ...(opts.resumable ? { eventStore: new InMemoryEventStore(), retryInterval: opts.resumable.retryMs } : {}),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
        counts.created++;
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    transport.onerror = () => counts.transportErrors++;
    await newServer().connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const stateless = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse });
    transport.onerror = () => counts.transportErrors++;
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    (opts.stateless ? stateless : stateful)(req, res).catch(() => {
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;

  const forgetSessions = async () => {
    const all = [...transports.values()];
    transports.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sessions: () => transports.size,
    sessionsCreated: () => counts.created,
    deletes: () => counts.deletes,
    notFound: () => counts.notFound,
    transportErrors: () => counts.transportErrors,
    pingsAnswered: () => counts.pingsAnswered,
    streamsClosed: () => counts.streamsClosed,
    resumes: () => counts.resumes,
    listens: () => counts.listens,
    broadcasts: () => counts.broadcasts,
    forgetSessions,
    close: () =>
      (closing ??= (async () => {
        await forgetSessions();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })()),
  };
}

/**
 * Whether the SDK transport holds a standalone GET stream now. Read from its private stream map (SDK 1.32:
 * `_webStandardTransport._streamMapping`, key `_GET_stream`); a layout that changed fails loudly, never silently.
 */
function getStreamOpen(transport: StreamableHTTPServerTransport | undefined): boolean {
  if (!transport) return false;
  const inner = (transport as unknown as { _webStandardTransport?: { _streamMapping?: Map<string, unknown> } })._webStandardTransport;
  if (!(inner?._streamMapping instanceof Map)) throw new Error('the SDK transport no longer has _webStandardTransport._streamMapping: update getStreamOpen()');
  return inner._streamMapping.has('_GET_stream');
}
