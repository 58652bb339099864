/**
 * Streamable HTTP for `mcpload serve --fixtures`: what the conformance suite's streaming scenarios
 * need beyond one answer per POST (2025-11-25, basic/transports).
 *
 * A streaming tool call answers with an SSE stream: a priming event (an id, `retry`, empty data),
 * then the call's notifications and server->client requests, then its result, and the stream ends.
 * Event ids are `<stream>:<seq>`, unique within the session; a client whose connection ended early
 * (test_reconnection ends it on purpose) resumes with GET + Last-Event-ID and gets what followed,
 * on that stream only. A GET without Last-Event-ID opens the session's one standalone stream. The
 * client's answers to server requests arrive as POSTed responses (202) and settle the waiting call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientRequests } from './client-requests.js';
import { isStreamingTool, runStreamingTool, type ToolStream } from './fixtures.js';
import { resultFrame, type JsonRpcId } from './framing.js';
import type { Responder, ResponseSink } from './responder.js';

/** What clients wait before resuming a stream whose connection the target ended. */
export const SSE_RETRY_MS = 500;
/** Streams remembered per session for resumption; older ones are dropped. */
const MAX_STREAMS = 64;
const OPEN = 1;
const GONE = 3;

/** The standalone GET stream's name in event ids (POST streams are numbered). */
const STANDALONE = 'get';
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

function notificationJson(method: string, params: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}

/** One SSE stream: every event it carried (for replay), and the connection carrying it now, if any. */
class SseStream implements ResponseSink {
  readonly socket = this;
  private readonly events: string[] = [];
  private res: ServerResponse | undefined;
  private done = false;

  constructor(
    readonly id: string,
    res: ServerResponse,
    headers: Record<string, string>,
  ) {
    this.events.push(`id: ${id}:0\nretry: ${SSE_RETRY_MS}\ndata: \n\n`);
    this.attach(res, headers, 0);
  }

  get readyState(): number {
    return this.done ? GONE : OPEN;
  }

  get finished(): boolean {
    return this.done;
  }

  /** A JSON-RPC message as the next event. */
  write(json: string): void {
    const event = `id: ${this.id}:${this.events.length}\nevent: message\ndata: ${json}\n\n`;
    this.events.push(event);
    this.res?.write(event);
  }

  /** The responder's delivery of the call's result: the last event, then the stream ends. */
  send(frame: string): void {
    if (this.done) return;
    this.write(frame.trimEnd());
    this.done = true;
    this.res?.end();
  }

  /** Ends the connection, not the stream. */
  interrupt(): void {
    this.res?.end();
    this.res = undefined;
  }

  /** Carries on over `res`, starting with event number `from`. */
  attach(res: ServerResponse, headers: Record<string, string>, from: number): void {
    this.res?.end();
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    for (let i = from; i < this.events.length; i++) res.write(this.events[i]);
    if (this.done) {
      res.end();
      return;
    }
    this.res = res;
    res.on('close', () => {
      if (this.res === res) this.res = undefined;
    });
  }

  close(): void {
    this.done = true;
    this.interrupt();
  }
}

class FixtureSession {
  readonly streams = new Map<string, SseStream>();
  readonly requests = new ClientRequests();
  standalone: ServerResponse | undefined;
  private streamSeq = 0;

  constructor(readonly clientCapabilities: Record<string, unknown>) {}

  openStream(res: ServerResponse, headers: Record<string, string>): SseStream {
    const stream = new SseStream(String(++this.streamSeq), res, headers);
    this.streams.set(stream.id, stream);
    // Forget the oldest that are done first; a client never resumes a stream that already ended.
    if (this.streams.size > MAX_STREAMS) {
      for (const [id, s] of this.streams) if (s.finished || this.streams.size > MAX_STREAMS * 2) this.streams.delete(id);
    }
    return stream;
  }

  close(): void {
    this.requests.close();
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
    this.standalone?.end();
    this.standalone = undefined;
  }
}

export class FixtureHttp {
  private readonly sessions = new Map<string, FixtureSession>();

  constructor(private readonly responder: Responder) {}

  /** A session initialized: remember what the client can do. */
  opened(sessionId: string, initializeParams: Record<string, unknown> | undefined): void {
    const caps = initializeParams?.capabilities;
    this.sessions.set(sessionId, new FixtureSession(typeof caps === 'object' && caps !== null ? (caps as Record<string, unknown>) : {}));
  }

  forget(sessionId: string): void {
    this.sessions.get(sessionId)?.close();
    this.sessions.delete(sessionId);
  }

  forgetAll(): void {
    for (const id of [...this.sessions.keys()]) this.forget(id);
  }

  /** A POSTed JSON-RPC response; true when it answered one of our requests. */
  response(sessionId: string | undefined, message: { id?: unknown; result?: unknown; error?: unknown }): boolean {
    return sessionId !== undefined && (this.sessions.get(sessionId)?.requests.settle(message.id, message) ?? false);
  }

  /** Takes a tools/call of a streaming tool and answers it as an SSE stream; false for any other call. */
  call(
    sessionId: string | undefined,
    id: JsonRpcId,
    params: Record<string, unknown> | undefined,
    res: ServerResponse,
    headers: Record<string, string>,
  ): boolean {
    const name = params?.name;
    if (!isStreamingTool(name)) return false;
    // A stateless (2026-07-28) call has no session to resume or to answer requests on: a throwaway one.
    const session = (sessionId !== undefined ? this.sessions.get(sessionId) : undefined) ?? new FixtureSession({});
    const stream = session.openStream(res, headers);
    const tool: ToolStream = {
      notify: (method, p) => stream.write(notificationJson(method, p)),
      request: (method, p) => session.requests.request((json) => stream.write(json), method, p),
      interrupt: () => stream.interrupt(),
      clientCapabilities: session.clientCapabilities,
    };
    void runStreamingTool(name, params, tool).then((json) => this.responder.deliver(stream, resultFrame(id, json), false));
    return true;
  }

  /** GET on the endpoint: resume a stream (Last-Event-ID) or open the standalone one. */
  get(req: IncomingMessage, res: ServerResponse, sessionId: string, headers: Record<string, string>): void {
    const session = this.sessions.get(sessionId);
    if (!session) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Session not found\n');
      return;
    }
    const last = req.headers['last-event-id'];
    // Resuming the standalone stream is opening it again: nothing on it is ever replayed.
    if (typeof last === 'string' && !last.startsWith(`${STANDALONE}:`)) {
      const colon = last.lastIndexOf(':');
      const stream = colon > 0 ? session.streams.get(last.slice(0, colon)) : undefined;
      const seq = Number(last.slice(colon + 1));
      if (!stream || !Number.isInteger(seq) || seq < 0) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('No stream to resume for that Last-Event-ID\n');
        return;
      }
      stream.attach(res, headers, seq + 1);
      return;
    }
    if (session.standalone) {
      res.writeHead(409, { 'content-type': 'text/plain' }).end('This session already has a GET stream open\n');
      return;
    }
    session.standalone = res;
    res.on('close', () => {
      if (session.standalone === res) session.standalone = undefined;
    });
    // Nothing is sent here unprompted; the priming event lets a client resume it like any other.
    res.writeHead(200, { ...SSE_HEADERS, ...headers }).write(`id: ${STANDALONE}:0\nretry: ${SSE_RETRY_MS}\ndata: \n\n`);
  }
}
