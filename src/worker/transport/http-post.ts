/**
 * One Streamable HTTP POST and its answer, as an undici dispatch handler: a JSON body or SSE events
 * become messages for the session; HTTP failures become what the session counts (see failed()).
 *
 * The handler speaks undici's own (raw) handler interface, onConnect/onHeaders/onData/onComplete/
 * onError, which undici calls directly: the controller interface (onRequestStart, ...) costs a
 * wrapper, a controller and a parsed header object per request (undici's UnwrapHandler), where this
 * reads the two headers it needs (Content-Type, Mcp-Session-Id) from the raw ones. The hand-written
 * pool of http: origins (h1-pool.ts) calls the same interface, with undici's semantics and error codes.
 */
import type { Dispatcher } from 'undici';
import { SseReader } from './http-sse.js';
import type { BodyBudget } from './http-endpoint.js';
import type { TransportEvents } from './transport.js';

/** What a POST needs from the transport that sent it (HttpTransport). */
export interface PostOwner {
  readonly events: TransportEvents;
  readonly isClosed: boolean;
  /** The server assigned a session id (so a 404 means it forgot the session). */
  readonly hasSession: boolean;
  readonly paused: boolean;
  readonly maxPayload: number;
  /** Response bytes the engine's POSTs hold, against its limit. */
  readonly budget: BodyBudget;
  /** POSTs whose answers are still coming (pause()/resume() reach them). */
  readonly active: ActiveList;
  /** The POST left the pool's queue. */
  dequeued(bytes: number): void;
  /** Response headers arrived, with the session id if the server assigned one (Mcp-Session-Id, once). */
  noteHeaders(sessionId: string | undefined): void;
  /** One JSON-RPC message (or batch) for the session. */
  deliver(message: Buffer): void;
  /** The server forgot the session: a 404 on the session id (or a 400 that says so: `why`). */
  expire(why?: string): void;
  /** A network-level failure that ends the transport (nothing reached the server, or nothing was answered yet). */
  lost(err: Error): void;
  /** The connection of a written request failed, after the session was answered on others: only that request is lost. */
  requestLost(id: number | undefined, err: Error): void;
  /** Some response arrived on this transport. */
  readonly answered: boolean;
  /** The session still waits for the answer to request `id`. */
  waiting(id: number): boolean;
  /** Request `id`'s SSE stream ended before its answer: resume it (GET with Last-Event-ID) after the server's retry time. */
  resumeStream(id: number, lastEventId: string, retry: number | undefined): void;
  /** The GET stream for server-initiated messages ended: open it again after the retry time (`lastEventId`: resuming it). */
  reopenListen(lastEventId: string | undefined, retry: number | undefined): void;
}

/** What a handler's HTTP request is. */
export const enum Kind {
  /** A POST carrying one JSON-RPC message. */
  Post,
  /** A GET resuming the SSE stream of request `id` (sent already: it never waits in the transport's queue). */
  Resume,
  /** The GET stream for server-initiated messages (--http-get-stream). */
  Listen,
}

const NOT_JSON_RPC = Buffer.alloc(0);
const EMPTY = Buffer.alloc(0);
const CONTENT_TYPE = Buffer.from('content-type');
const SESSION_ID = Buffer.from('mcp-session-id');
const JSON_TYPE = Buffer.from('application/json');
const SSE_TYPE = Buffer.from('text/event-stream');

/** A header name of the same length as `lower` (lowercase ASCII) is it, in any case. */
function isName(name: Buffer, lower: Buffer): boolean {
  return startsWithLower(name, lower);
}

/** `value` starts with `lower` (lowercase ASCII), its letters in any case. */
function startsWithLower(value: Buffer, lower: Buffer): boolean {
  if (value.length < lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = value[i];
    if (c !== lower[i] && (c < 0x41 || c > 0x5a || (c | 0x20) !== lower[i])) return false;
  }
  return true;
}
/** Errors of requests the session has already given up on (its own timeout fired first). */
const QUIET_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED']);
const ABANDONED = new Error('request abandoned: the session timed it out, or closed');

const enum Mode {
  Pending,
  /** No body wanted (202 to a notification or a response). */
  None,
  Json,
  Sse,
  /** 2xx with a body that is neither JSON nor an event stream. */
  NotJsonRpc,
  /** An HTTP error status. */
  Failed,
  /** The transport is closed, or the response was handled already. */
  Done,
}

/**
 * A transport's POSTs whose answers are still coming, as a list threaded through the handlers
 * themselves: adding and removing one allocates nothing (a Set's table grows and shrinks with them,
 * once per request at one in flight). Iterating is for the rare paths (a timeout, pause, the close).
 */
export class ActiveList {
  private head: PostHandler | undefined;

  add(h: PostHandler): void {
    if (h.listed) return;
    h.listed = true;
    h.prev = undefined;
    h.next = this.head;
    if (this.head !== undefined) this.head.prev = h;
    this.head = h;
  }

  delete(h: PostHandler): void {
    if (!h.listed) return;
    h.listed = false;
    if (h.prev !== undefined) h.prev.next = h.next;
    else this.head = h.next;
    if (h.next !== undefined) h.next.prev = h.prev;
    h.prev = h.next = undefined;
  }

  has(h: PostHandler): boolean {
    return h.listed;
  }

  clear(): void {
    while (this.head !== undefined) this.delete(this.head);
  }

  /** Safe against the current one leaving the list meanwhile. */
  *[Symbol.iterator](): IterableIterator<PostHandler> {
    let h = this.head;
    while (h !== undefined) {
      const next = h.next;
      yield h;
      h = next;
    }
  }
}

/** One POST and its response. */
export class PostHandler implements Dispatcher.DispatchHandler {
  /** Its place in the transport's ActiveList. */
  listed = false;
  prev: PostHandler | undefined;
  next: PostHandler | undefined;
  /** undici's abort for this request, once it is on a connection (onConnect). */
  private abortRequest: ((err: Error) => void) | undefined;
  /** undici's resume for this response (onHeaders): reading starts again after a pause. */
  private resumeRead: (() => void) | undefined;
  /** pause(): the next onHeaders/onData tells undici to stop reading (as its controller's pause does). */
  private pausedRead = false;
  /** The request was aborted (abandon(), a body too large): undici is told once. */
  private aborted = false;
  private started = false;
  /** undici wrote it to a connected socket (a failure after that is the connection's, not the target's address). */
  private written = false;
  private mode = Mode.Pending;
  private status = 0;
  /** The body's first chunk, and the rest when there are more (a JSON answer is one chunk, mostly). */
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private size = 0;
  private sse: SseReader | undefined;
  private delivered = false;
  /** Response bytes this POST holds on the engine's budget. */
  private held = 0;
  /** abandon() came before the POST left the pool's queue: it is skipped when its turn comes, never written. */
  private abandoned = false;

  /** A resuming GET waits for the server's retry time on this timer. */
  timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly t: PostOwner,
    private readonly body: Buffer,
    /** The JSON-RPC id when the POST carries one of mcpload's requests. */
    readonly id: number | undefined,
    readonly kind = Kind.Post,
  ) {
    if (kind !== Kind.Post) this.started = true;
  }

  /**
   * undici hands the POST a connected socket and writes its bytes right after this returns, in the
   * same call: the moment the request is sent. An abandoned POST throws instead, which undici takes
   * as the request failing before it was written (the socket stays in the pool; aborting here would
   * destroy it) and answers with onError.
   */
  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (!this.started) {
      this.started = true;
      this.t.dequeued(this.body.length);
    }
    if (this.abandoned) throw ABANDONED;
    this.written = true;
    if (this.id !== undefined && this.kind === Kind.Post) this.t.events.onwire?.(this.id, this.body.length);
  }

  /**
   * Nothing more of this POST is wanted (its request timed out, or the transport closed): stop
   * reading its answer, so its connection goes back to the pool (a stream that never ends would hold
   * it for the rest of the run). A POST still in the pool's queue is skipped as it starts: never sent.
   */
  abandon(): void {
    this.finish();
    this.abandoned = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.abort(ABANDONED);
  }

  /** Stop undici reading this response (backpressure on the server): from the next chunk on. */
  pause(): void {
    this.pausedRead = true;
  }

  /** Read again after pause(). */
  resume(): void {
    if (!this.pausedRead) return;
    this.pausedRead = false;
    this.resumeRead?.();
  }

  get paused(): boolean {
    return this.pausedRead;
  }

  private abort(err: Error): void {
    if (this.aborted || this.abortRequest === undefined) return;
    this.aborted = true;
    this.abortRequest(err);
  }

  /** False: undici stops reading until resume(). */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.resumeRead = resume;
    this.start(statusCode, rawHeaders);
    return !this.pausedRead;
  }

  private start(statusCode: number, rawHeaders: Buffer[]): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    const t = this.t;
    if (t.isClosed) {
      this.mode = Mode.Done;
      return;
    }
    this.status = statusCode;
    // A server with no GET stream says so with 405 (the spec's answer): nothing to listen to, quietly.
    if (statusCode === 405 && this.kind === Kind.Listen) {
      this.mode = Mode.Done;
      return;
    }
    if (statusCode === 404 && t.hasSession) {
      this.finish();
      t.expire();
      return;
    }
    // The two headers read, from the raw name/value pairs (no header object per response). The
    // session id is only read (a string per response) while the transport has none: it keeps the first.
    let type: Buffer | undefined;
    let sessionId: Buffer | undefined;
    let sessionIds = 0;
    const learning = !t.hasSession;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      if (name.length === 12 && type === undefined && isName(name, CONTENT_TYPE)) type = rawHeaders[i + 1];
      else if (learning && name.length === 14 && isName(name, SESSION_ID) && sessionIds++ === 0) sessionId = rawHeaders[i + 1];
    }
    // A repeated Mcp-Session-Id is no session id.
    t.noteHeaders(sessionIds === 1 ? sessionId!.toString('latin1') : undefined);
    if (t.paused) this.pausedRead = true;
    if (statusCode >= 300) {
      this.mode = Mode.Failed;
      return;
    }
    if (type !== undefined && startsWithLower(type, JSON_TYPE)) this.mode = Mode.Json;
    else if (type !== undefined && startsWithLower(type, SSE_TYPE)) {
      this.mode = Mode.Sse;
      this.sse = new SseReader((data) => this.message(Buffer.from(data)), t.maxPayload);
    } else if (statusCode === 202 || statusCode === 204 || this.id === undefined) this.mode = Mode.None;
    else this.mode = Mode.NotJsonRpc;
  }

  /** False: undici stops reading until resume(). */
  onData(chunk: Buffer): boolean {
    this.data(chunk);
    return !this.pausedRead;
  }

  private data(chunk: Buffer): void {
    if (this.t.isClosed) return;
    switch (this.mode) {
      case Mode.Sse: {
        const sse = this.sse!;
        if (!sse.push(chunk)) return this.tooLarge('SSE event larger than the payload bound');
        if (this.mode === Mode.Sse && !this.hold(sse.held)) this.tooLarge(BUDGET_SPENT);
        return;
      }
      case Mode.Json:
      case Mode.Failed:
        this.size += chunk.length;
        // A body beyond the payload bound is the server's protocol error; stop reading it.
        if (this.size > this.t.maxPayload) return this.tooLarge('response body larger than the payload bound');
        if (!this.hold(this.size)) return this.tooLarge(BUDGET_SPENT);
        if (this.first === undefined) this.first = chunk;
        else (this.more ??= []).push(chunk);
        return;
      default:
        return;
    }
  }

  /** The body so far, one buffer (the first chunk itself when it is the only one); forgotten here. */
  private takeBody(): Buffer {
    const first = this.first;
    const more = this.more;
    this.first = undefined;
    this.more = undefined;
    if (first === undefined) return EMPTY;
    return more === undefined ? first : Buffer.concat([first, ...more]);
  }

  onComplete(): void {
    const t = this.t;
    const mode = this.mode;
    this.finish();
    if (t.isClosed) return;
    switch (mode) {
      case Mode.Json: {
        const body = this.takeBody();
        if (body.length > 0) this.message(flattenLines(body));
        return;
      }
      case Mode.NotJsonRpc:
        t.events.onmessage(NOT_JSON_RPC, true); // counted by the session as a protocol error
        return;
      case Mode.Failed:
        this.failed();
        return;
      case Mode.Sse:
        this.resumeIfUnanswered();
        return;
      default:
        return;
    }
  }

  /**
   * An SSE stream ended (closed by the server, or cut) and its request is still unanswered. A stream
   * whose events had an id can be resumed: the 2025-11-25 polling pattern, where the server closes the
   * connection after a priming event and the client reconnects with GET + Last-Event-ID after the
   * `retry` time. True when that is under way. A stream without ids cannot be: its request times out.
   */
  private resumeIfUnanswered(): boolean {
    if (this.kind === Kind.Listen) {
      this.t.reopenListen(this.sse?.lastEventId, this.sse?.retry);
      return true;
    }
    const id = this.id;
    const lastEventId = this.sse?.lastEventId;
    if (id === undefined || lastEventId === undefined || !this.t.waiting(id)) return false;
    this.t.resumeStream(id, lastEventId, this.sse!.retry);
    return true;
  }

  onError(err: Error): void {
    const mode = this.mode;
    this.finish();
    const t = this.t;
    if (t.isClosed || mode === Mode.Done) return;
    if (!this.started) {
      this.started = true;
      t.dequeued(this.body.length);
    }
    const code = (err as { code?: string }).code ?? '';
    // The session timed the request out already; a stream that ends badly after its answer lost nothing.
    if (QUIET_ERRORS.has(code)) return;
    // A resumable stream cut by the network is resumed on another connection, as a closed one is;
    // the GET stream is opened again whatever cut it (a dead server fails the session's POSTs instead).
    if ((mode === Mode.Sse || this.kind === Kind.Listen) && this.resumeIfUnanswered()) return;
    // Answered (or timed out) already: the connection's end lost nothing.
    if (this.id !== undefined ? !t.waiting(this.id) : this.delivered) return;
    // A reset after the request went out on a session that works: that request is lost, the session is not.
    if (this.written && t.answered) t.requestLost(this.id, err);
    else t.lost(err);
  }

  /** The answer is larger than mcpload holds: the server's protocol error (counted), and reading stops. */
  private tooLarge(why: string): void {
    this.mode = Mode.NotJsonRpc;
    this.takeBody();
    this.onComplete();
    this.abort(new Error(why));
  }

  /** This POST now holds `bytes` of response: false when the engine's budget does not have them. */
  private hold(bytes: number): boolean {
    const budget = this.t.budget;
    const more = bytes - this.held;
    if (more > 0 && budget.held + more > budget.limit) return false;
    budget.held += more;
    this.held = bytes;
    return true;
  }

  private message(data: Buffer): void {
    this.delivered = true;
    this.t.deliver(data);
  }

  private finish(): void {
    const t = this.t;
    t.active.delete(this);
    this.mode = Mode.Done;
    if (this.held !== 0) {
      t.budget.held -= this.held;
      this.held = 0;
    }
  }

  /**
   * An HTTP error answer to a request becomes a JSON-RPC error response to it, so the request is
   * counted failed (an rpc error) and its latency recorded; the status goes to the log. An error
   * answer to a notification or a response is the server's protocol error.
   */
  private failed(): void {
    const t = this.t;
    // Well beyond what a log line shows: the engine redacts secrets before it cuts the line (a cut here could split one).
    const text = this.takeBody().toString('utf8', 0, 8192);
    let detail = text.trim();
    let code = -32000;
    try {
      const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
      if (typeof error?.message === 'string') detail = error.message;
      if (typeof error?.code === 'number') code = error.code;
    } catch {
      // Not JSON: the text itself says what went wrong.
    }
    const message = `HTTP ${this.status}${detail ? ': ' + detail : ''}`;
    // Servers that answer a forgotten session with 400 instead of the spec's 404 (server-everything:
    // "Bad Request: No valid session ID provided"): the words say what the status does not.
    if (this.status === 400 && t.hasSession && forgotSession(detail)) {
      t.expire(message);
      return;
    }
    t.events.onerror(new Error(message));
    const id = this.id;
    if (id === undefined) t.events.onmessage(NOT_JSON_RPC, true);
    else t.deliver(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })));
  }
}

/** A 400's message that says the session id sent is not one the server knows ("No valid session ID", "Unknown session", "Session not found"). */
function forgotSession(detail: string): boolean {
  return /session/i.test(detail) && /\b(no valid|invalid|unknown|not found|expired|terminated|no such)\b/i.test(detail);
}

const BUDGET_SPENT = "response bytes beyond the engine's in-flight budget";

/**
 * The session splits what it receives at newlines; a pretty-printed JSON body has newlines only
 * between tokens (JSON strings cannot hold a raw one), so they become spaces.
 */
function flattenLines(body: Buffer): Buffer {
  const first = body.indexOf(0x0a);
  if (first === -1 || first === body.length - 1) return body;
  const out = Buffer.from(body); // a copy: the chunks belong to undici
  for (let i = first; i < out.length; i++) if (out[i] === 0x0a || out[i] === 0x0d) out[i] = 0x20;
  return out;
}
