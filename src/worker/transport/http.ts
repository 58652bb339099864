/**
 * MCP Streamable HTTP behind the Transport interface, on undici: each frame a session sends is one
 * POST (`Accept: application/json, text/event-stream`); each JSON-RPC message that comes back, as a
 * JSON body or as SSE `data:` events, goes to `onmessage` like a WebSocket message. The session
 * above matches ids, answers server requests and times requests out exactly as on WebSocket.
 *
 * The transport keeps what HTTP adds: the `Mcp-Session-Id` the server assigns (echoed on every later
 * request), `MCP-Protocol-Version` once the handshake agreed on it (setProtocolVersion), the
 * 2026-07-28 routing headers (from the route `send` is handed), a DELETE on close, and a 404 on a
 * known session id, which closes the transport as CloseKind.SessionExpired so the session
 * initializes a new one. A connection reset after the session was answered costs only the request
 * that was on it (onrequestlost): the session keeps its id and goes on over new connections. Streams
 * that end before their answer are resumed (GET + Last-Event-ID). Connections come from one request pool per engine and origin
 * (see HttpClients; on http: the hand-written h1-pool.ts): sessions share keep-alive connections instead of owning a socket each.
 */
import type { Dispatcher } from 'undici';
import { CloseKind, type CloseReason, type ConnectOptions, type Route, type Transport, type TransportEvents } from './transport.js';
import type { BodyBudget, Endpoint, HttpSettings } from './http-endpoint.js';
import { ActiveList, Kind, PostHandler, type PostOwner } from './http-post.js';
import { LISTEN_ROUTE } from './http-headers.js';
import type { RequestPool } from './h1-pool.js';

function flatHeaders(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) out.push(name.toLowerCase(), value);
  return out;
}

/**
 * Requests of one session waiting in the pool for a free connection beyond which the session stops
 * sending (counted as dropped), as it does over a WebSocket whose send buffer fills: the latency
 * measured stays the server's, not a queue's inside mcpload.
 */
const MAX_QUEUED = 32;

export class HttpTransport implements Transport, PostOwner {
  /** POSTs wait in the pool for a free connection: each request is sent when undici writes it (onwire). */
  readonly queues = true;
  /** Requests handed to the pool and not yet on a connection, and their bytes. */
  queued = 0;
  queuedBytes = 0;
  private headers: string[] = [];
  /** The GET stream for server-initiated messages was opened (--http-get-stream). */
  private listening = false;
  /** The server's SSE reconnection time (its last `retry:`), ms, for resuming streams. */
  private retryMs = DEFAULT_RETRY_MS;
  private readonly userHeaders: string[];
  private sessionId: string | undefined;
  private version: string | undefined;
  private closed = false;
  /** Some response arrived on this transport (so a later network failure is a lost connection). */
  answered = false;
  paused = false;
  readonly active = new ActiveList();

  constructor(
    private readonly endpoint: Endpoint,
    opts: ConnectOptions,
    readonly events: TransportEvents,
    private readonly settings: HttpSettings,
  ) {
    this.userHeaders = flatHeaders(opts.headers);
    // The stateless revision has no initialize to agree on a version: it is sent from the first request.
    if (settings.stateless) this.version = settings.protocolVersion;
    this.rebuildHeaders();
    // No connection of its own to wait for: the pool connects when the first POST needs it.
    queueMicrotask(() => {
      if (!this.closed) events.onopen();
    });
  }

  get bufferedAmount(): number {
    return this.queued > MAX_QUEUED ? Number.MAX_SAFE_INTEGER : this.queuedBytes;
  }

  /** The POST left the queue (on a connection now, or failed). */
  dequeued(bytes: number): void {
    this.queued--;
    this.queuedBytes -= bytes;
  }

  get maxPayload(): number {
    return this.settings.maxPayload;
  }

  get budget(): BodyBudget {
    return this.endpoint.budget;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A new array each time, never changed in place: the http: request pool builds a request head once per array (h1-pool.ts). */
  private rebuildHeaders(): void {
    const h = ['content-type', 'application/json', 'accept', 'application/json, text/event-stream', ...this.userHeaders];
    if (this.version) h.push('mcp-protocol-version', this.version);
    if (this.sessionId) h.push('mcp-session-id', this.sessionId);
    this.headers = h;
  }

  send(frame: Buffer | string, id?: number, route?: Route): boolean {
    if (this.closed) return false;
    const body = typeof frame === 'string' ? Buffer.from(frame) : frame;
    // Routing headers are the stateless revision's (SEP-2243); answers to server requests have no route.
    const headers = this.settings.stateless ? this.headers.concat(route ?? NO_ROUTE) : this.headers;
    const handler = new PostHandler(this, body, id);
    this.active.add(handler);
    this.queued++;
    this.queuedBytes += body.length;
    const e = this.endpoint;
    if (id === undefined) e.control.dispatch({ path: e.path, method: 'POST', headers, body }, handler);
    // The request pool has no undici timers: a request the session does not time brings its own; a listen
    // stream (2026-07-28) may be quiet for longer than any request's timeout, so it has no body timeout.
    else if (this.events.waiting?.(id) === true) e.pool.dispatch({ path: e.path, method: 'POST', headers, body }, handler);
    else if (route === LISTEN_ROUTE) e.pool.dispatch({ path: e.path, method: 'POST', headers, body, headersTimeout: e.waitMs, bodyTimeout: 0 }, handler);
    else e.pool.dispatch({ path: e.path, method: 'POST', headers, body, headersTimeout: e.waitMs, bodyTimeout: e.waitMs }, handler);
    return true;
  }

  /** Response headers of any POST: learn the session id the server assigned. */
  noteHeaders(sid: string | undefined): void {
    this.answered = true;
    if (sid !== undefined && sid !== '' && this.sessionId === undefined) {
      this.sessionId = sid;
      this.rebuildHeaders();
    }
  }

  get hasSession(): boolean {
    return this.sessionId !== undefined;
  }

  /** One JSON-RPC message (or batch) for the session. */
  deliver(message: Buffer): void {
    if (this.closed) return;
    this.events.onmessage(message, false);
  }

  /**
   * The handshake agreed on `version`: later requests carry it as MCP-Protocol-Version, and the
   * session is ready for its GET stream (--http-get-stream), opened now.
   */
  setProtocolVersion(version: string): void {
    if (this.version !== version) {
      this.version = version;
      this.rebuildHeaders();
    }
    const streams = this.endpoint.streams;
    if (streams && !this.listening) {
      this.listening = true;
      this.get(new PostHandler(this, EMPTY, undefined, Kind.Listen), streams, undefined, 0);
    }
  }

  /**
   * The session timed request `id` out: its POST, if its answer is still coming, is aborted so its
   * pooled connection is free for the next requests. A scan of this session's POSTs in flight, on a
   * timeout only: nothing is kept per request for it.
   */
  abandon(id: number): boolean {
    for (const h of this.active) {
      if (h.id === id) {
        h.abandon();
        return true;
      }
    }
    return false;
  }

  waiting(id: number): boolean {
    return !this.closed && this.events.waiting?.(id) === true;
  }

  /**
   * Resume request `id`'s stream: after the server's retry time, a GET with Last-Event-ID on the
   * request pool, whose events (the answer among them) go to the session like the POST's. Held in
   * `active` meanwhile, so the request's timeout (abandon) or the close cancels it.
   */
  resumeStream(id: number, lastEventId: string, retry: number | undefined): void {
    if (retry !== undefined) this.retryMs = retry;
    this.get(new PostHandler(this, EMPTY, id, Kind.Resume), this.endpoint.pool, lastEventId, this.retryMs);
  }

  reopenListen(lastEventId: string | undefined, retry: number | undefined): void {
    if (retry !== undefined) this.retryMs = retry;
    const streams = this.endpoint.streams;
    if (streams) this.get(new PostHandler(this, EMPTY, undefined, Kind.Listen), streams, lastEventId, this.retryMs);
  }

  /** A GET for an SSE stream after `delayMs`, held in `active` meanwhile (a timeout or the close cancels it). */
  private get(handler: PostHandler, pool: RequestPool, lastEventId: string | undefined, delayMs: number): void {
    if (this.closed) return;
    this.active.add(handler);
    const dispatch = () => {
      handler.timer = undefined;
      if (!this.active.has(handler)) return;
      const headers = ['accept', 'text/event-stream', ...this.headers.slice(4)];
      if (lastEventId !== undefined) headers.push('last-event-id', lastEventId);
      pool.dispatch({ path: this.endpoint.path, method: 'GET', headers }, handler);
    };
    if (delayMs > 0) handler.timer = setTimeout(dispatch, delayMs);
    else dispatch();
  }

  /** A 404 on the session id (or a 400 that says so: `why`): the server forgot the session. */
  expire(why = 'HTTP 404'): void {
    this.end({ kind: CloseKind.SessionExpired, code: 0, text: `session expired (${why})` });
  }

  /** A POST failed at the network level: the session sees the connection end, as on WebSocket. */
  lost(err: Error): void {
    if (this.closed) return;
    this.events.onerror(err);
    this.end({ kind: this.answered ? CloseKind.Lost : CloseKind.Unreachable, code: 0, text: err.message });
  }

  requestLost(id: number | undefined, err: Error): void {
    if (this.closed) return;
    if (this.events.onrequestlost) this.events.onrequestlost(id, err);
    else this.lost(err);
  }

  close(code = 1000, reason = ''): void {
    this.end({ kind: CloseKind.Local, code, text: reason });
  }

  private end(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (this.paused) this.resume();
    // Answers still coming are not wanted any more: their connections go back to the pool. Notifications
    // and answers to the server already handed over still go out (a cancellation sent just before the
    // close), as frames queued on a WebSocket do before its close frame. The GET stream ends too.
    for (const h of [...this.active]) if (h.id !== undefined || h.kind === Kind.Listen) h.abandon();
    this.active.clear();
    // Tell the server the session is over (it may answer 405: servers need not allow it). Not after
    // a 404: that session is gone already.
    if (this.sessionId !== undefined && reason.kind !== CloseKind.SessionExpired) {
      this.endpoint.control.dispatch({ path: this.endpoint.path, method: 'DELETE', headers: this.headers.slice(4) }, IGNORE_RESPONSE);
    }
    queueMicrotask(() => this.events.onclose(reason));
  }

  pause(): void {
    this.paused = true;
    for (const h of this.active) h.pause();
  }

  resume(): void {
    this.paused = false;
    for (const h of this.active) h.resume();
  }
}

const NO_ROUTE: Route = [];
const EMPTY = Buffer.alloc(0);
/** Reconnection time before a server sent `retry:` (EventSource leaves it to the client; browsers wait about this long). */
const DEFAULT_RETRY_MS = 1000;

/** Swallows the answer to a DELETE: the session is over whatever the server says. */
const IGNORE_RESPONSE: Dispatcher.DispatchHandler = {
  onRequestStart() {}, // (undici tells new-style handlers by this method)
  onResponseError() {},
};
