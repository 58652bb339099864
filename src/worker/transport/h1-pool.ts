/**
 * A hand-written HTTP/1.1 client pool for plain `http:` origins: the hot request pool of the
 * Streamable HTTP transport (http-pool.ts), in place of undici's Pool, which spends most of an
 * engine's time per request on a header string per request, a string per response header value,
 * the head and body written as two chunks and a scan of its clients. Here each request is ONE
 * buffer (the fixed part of its head built once per headers array, then Content-Length and the
 * body), and responses are parsed in JS into raw Buffer pairs (h1-response.ts).
 *
 * It speaks undici's raw dispatch-handler interface (onConnect/onHeaders/onData/onComplete/onError)
 * with undici's semantics where the transport relies on them: onConnect right before the bytes are
 * written (a throw there fails that request and keeps the socket), abort() destroys the socket,
 * false from onHeaders/onData pauses reading until resume(), and errors carry undici's codes and
 * messages (h1-errors.ts). Keep-alive connections up to `connections`, a FIFO queue, no pipelining;
 * one coarse ticker drives the connect, headers, body and idle timeouts of all its connections.
 */
import { connect, type Socket } from 'node:net';
import {
  bodyTimeout,
  connectTimeout,
  headersTimeout,
  invalidArgument,
  lengthMismatch,
  notSupported,
  poolClosed,
  poolDestroyed,
  requestAborted,
  socketError,
} from './h1-errors.js';
import { ResponseParser, type ResponseSink } from './h1-response.js';

/** undici's raw dispatch handler, the part the pool calls. */
export interface RawHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  /** The trailers of a chunked body are read and dropped: none are handed over. */
  onComplete(): void;
  onError(err: Error): void;
}

/** One request, as the transport hands it to undici's dispatch. */
export interface PoolRequest {
  path: string;
  method: string;
  /** Flat [name, value, …]. */
  headers: string[];
  body?: Buffer;
  /** ms; 0 or absent: none. */
  headersTimeout?: number;
  bodyTimeout?: number;
}

/** What the transport needs of a request pool: this one or undici's. */
export interface RequestPool {
  dispatch(opts: PoolRequest, handler: RawHandler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface H1PoolOptions {
  connections: number;
  localAddress?: string;
}

/** Resolution of every timeout (undici's fast timers tick at about this). */
const TICK_MS = 500;
/** undici's defaults: connect timeout, idle keep-alive without a hint, and the margin taken off a server's hint. */
const CONNECT_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_MS = 4_000;
const KEEP_ALIVE_MARGIN_MS = 2_000;
const KEEP_ALIVE_MAX_MS = 600_000;
const EMPTY = Buffer.alloc(0);

/** The fixed part of a request's head, for one headers array (the transport rebuilds its array only when it changes). */
interface Head {
  method: string;
  path: string;
  bytes: Buffer;
  /** A user's Connection: close: the connection is not reused after this request. */
  reset: boolean;
  /** A user's Content-Length, checked against the body (-1: none). */
  length: number;
}

/** A request queued or on a connection. */
class Pending {
  conn: Conn | undefined;
  /** onConnect was called: it is on the wire (or failed on its way there). */
  started = false;

  constructor(
    readonly handler: RawHandler,
    readonly head: Head,
    readonly body: Buffer,
    readonly headersTimeout: number,
    readonly bodyTimeout: number,
  ) {}

  /** undici's abort: fail this request and destroy its socket, if it is still on one. */
  readonly abort = (err?: Error): void => {
    const conn = this.conn;
    if (conn !== undefined && conn.req === this) conn.fail(err ?? requestAborted());
  };
}

const enum Wait {
  None,
  Connect,
  Headers,
  Body,
}

/** One keep-alive connection and the request on it. */
class Conn implements ResponseSink {
  req: Pending | undefined;
  private readonly parser = new ResponseParser();
  private connected = false;
  /** Removed from the pool: its socket is destroyed or going. */
  dead = false;
  idle = false;
  idleSince = 0;
  keepAliveMs = KEEP_ALIVE_MS;
  /** The pool's clock at which `wait` times out (0: never). */
  deadline = 0;
  wait = Wait.None;
  /** Reading is paused (the handler said so); `rest` is what was read and not yet parsed. */
  paused = false;
  private rest: Buffer | undefined;
  /** The server ended its side while reading was paused. */
  private ended = false;
  /**
   * The handler's resume after a false from onHeaders/onData: one per connection, not per request
   * (only the request on it can have paused it; a stale call finds it not paused and does nothing).
   */
  readonly resume = (): void => this.resumeRead();
  /** A socket error that came before its close. */
  private error: Error | undefined;

  constructor(
    private readonly pool: H1Pool,
    readonly socket: Socket,
    first: Pending,
  ) {
    this.req = first;
    first.conn = this;
    this.wait = Wait.Connect;
    this.deadline = pool.clock + CONNECT_TIMEOUT_MS + TICK_MS;
    socket.setNoDelay(true);
    socket.on('connect', () => this.onConnected());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: Error) => this.onSocketError(err));
    socket.on('close', () => this.fail(this.error ?? socketError('closed')));
  }

  private onConnected(): void {
    this.connected = true;
    this.socket.setKeepAlive(true, 60_000);
    const req = this.req;
    this.req = undefined;
    this.wait = Wait.None;
    this.deadline = 0;
    if (req !== undefined && this.start(req)) return;
    this.pool.release(this);
  }

  /**
   * Put `req` on this (connected, free) connection: onConnect, then its bytes in one write. False
   * when the connection is free again (the handler refused the request: it was abandoned meanwhile).
   */
  start(req: Pending): boolean {
    this.req = req;
    req.conn = this;
    req.started = true;
    this.idle = false;
    try {
      req.handler.onConnect(req.abort);
    } catch (err) {
      this.req = undefined;
      req.conn = undefined;
      req.handler.onError(err as Error);
      return this.dead;
    }
    // Aborted inside onConnect: the socket is gone with it.
    if (this.req !== req) return true;
    const head = req.head;
    const body = req.body;
    this.parser.reset(head.method === 'HEAD');
    if (req.headersTimeout > 0) {
      this.wait = Wait.Headers;
      this.deadline = this.pool.clock + req.headersTimeout + TICK_MS;
    }
    // GET, DELETE and the like say no Content-Length when they carry nothing (as undici does).
    const tail =
      body.length > 0 || head.method === 'POST' || head.method === 'PUT' || head.method === 'PATCH' ? `content-length: ${body.length}\r\n\r\n` : '\r\n';
    const out = Buffer.allocUnsafe(head.bytes.length + tail.length + body.length);
    out.set(head.bytes, 0);
    out.write(tail, head.bytes.length, 'latin1');
    out.set(body, head.bytes.length + tail.length);
    this.socket.write(out);
    return true;
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    if (this.req === undefined) {
      // Bytes nobody asked for (no pipelining: a server sends nothing between responses).
      this.fail(socketError('bad response'));
      return;
    }
    this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    const req = this.req!;
    let at: number;
    try {
      at = this.parser.execute(chunk, 0, this);
    } catch (err) {
      // Malformed (or a handler that threw): this request fails, the socket goes.
      if (this.req === req) this.fail(err as Error);
      return;
    }
    if (this.req !== req) return;
    if (this.parser.done) this.complete(at < chunk.length);
    else if (this.parser.paused) {
      this.paused = true;
      this.rest = at < chunk.length ? chunk.subarray(at) : undefined;
      this.socket.pause();
    }
  }

  onHead(status: number, rawHeaders: Buffer[]): boolean {
    const req = this.req!;
    if (req.bodyTimeout > 0) {
      this.wait = Wait.Body;
      this.deadline = this.pool.clock + req.bodyTimeout + TICK_MS;
    } else {
      this.wait = Wait.None;
      this.deadline = 0;
    }
    return req.handler.onHeaders(status, rawHeaders, this.resume, '') !== false && this.req === req;
  }

  onBody(chunk: Buffer): boolean {
    const req = this.req!;
    if (this.wait === Wait.Body) this.deadline = this.pool.clock + req.bodyTimeout + TICK_MS;
    return req.handler.onData(chunk) !== false && this.req === req;
  }

  /** The handler's resume: parse what was held back, then read the socket again. */
  resumeRead(): void {
    if (!this.paused || this.dead) return;
    this.paused = false;
    if (this.wait === Wait.Body) this.deadline = this.pool.clock + this.req!.bodyTimeout + TICK_MS;
    const rest = this.rest;
    this.rest = undefined;
    if (rest !== undefined) this.feed(rest);
    if (this.paused || this.dead) return;
    if (this.ended) this.onEnd();
    else this.socket.resume();
  }

  /** The response is read: the connection goes back to the pool, unless it may not carry another (`extra`: the server sent more than its answer). */
  private complete(extra: boolean): void {
    const req = this.req!;
    const p = this.parser;
    this.req = undefined;
    req.conn = undefined;
    this.wait = Wait.None;
    this.deadline = 0;
    const reuse = p.keepAlive && !extra && !req.head.reset && p.keepAliveHint !== 0;
    if (p.keepAliveHint > 0) this.keepAliveMs = Math.min(p.keepAliveHint - KEEP_ALIVE_MARGIN_MS, KEEP_ALIVE_MAX_MS);
    if (!reuse || this.keepAliveMs <= 0) this.drop();
    try {
      req.handler.onComplete();
    } catch {
      // The request is answered: a handler that throws here loses nothing more than its socket.
      this.drop();
    }
    if (!this.dead) this.pool.release(this);
    else this.pool.drain();
  }

  /** The server ended its side: a body that runs to the close is complete; anything else in flight fails. */
  private onEnd(): void {
    if (this.dead) return;
    // Bytes held back by a pause are parsed first (resumeRead comes back here).
    if (this.paused) {
      this.ended = true;
      return;
    }
    const req = this.req;
    if (req !== undefined && req.started && this.parser.endsAtClose) {
      this.parser.finish();
      this.complete(false);
      return;
    }
    this.fail(req !== undefined && req.started && this.parser.cutShort ? lengthMismatch('Response') : socketError('other side closed'));
  }

  private onSocketError(err: Error): void {
    // A reset right after a body that runs to the close ends that body (as undici takes it).
    if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && this.req?.started === true && this.parser.endsAtClose && !this.dead) {
      this.parser.finish();
      this.complete(false);
      return;
    }
    this.error ??= err;
    this.fail(err);
  }

  /** Out of the pool, its socket destroyed; the request on it (if any) told nothing. */
  drop(): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.pool.remove(this);
  }

  /** The request on this connection fails with `err`, and the connection goes. */
  fail(err: Error): void {
    const req = this.req;
    this.req = undefined;
    if (req !== undefined) req.conn = undefined;
    const wasDead = this.dead;
    this.drop();
    if (req !== undefined) req.handler.onError(err);
    if (!wasDead) this.pool.drain();
  }

  /** The ticker: fail a wait that has run out, drop a connection idle for too long. */
  check(now: number): void {
    if (this.idle) {
      if (now - this.idleSince > this.keepAliveMs) this.drop();
      return;
    }
    if (this.deadline === 0 || now < this.deadline || this.paused) return;
    if (this.wait === Wait.Connect) this.fail(connectTimeout(this.pool.hostname, this.pool.port, CONNECT_TIMEOUT_MS));
    else if (this.wait === Wait.Headers) this.fail(headersTimeout());
    else if (this.wait === Wait.Body) this.fail(bodyTimeout());
  }

  get busy(): boolean {
    return !this.idle && !this.dead;
  }

  get isConnected(): boolean {
    return this.connected;
  }
}

export class H1Pool implements RequestPool {
  readonly hostname: string;
  readonly port: number;
  private readonly hostHeader: string;
  private readonly max: number;
  private readonly localAddress: string | undefined;
  private readonly conns = new Set<Conn>();
  /** Free connections, the most recently used last (it is taken first: warm sockets stay warm). */
  private readonly idle: Conn[] = [];
  /** Requests waiting for a connection, first in first out, from `queueHead` on. */
  private queue: (Pending | undefined)[] = [];
  private queueHead = 0;
  private readonly heads = new WeakMap<readonly string[], Head>();
  /** ms, as of the last tick (Date.now()): what every deadline is measured on. */
  clock = Date.now();
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;
  private destroyed = false;
  private closing: Promise<void> | undefined;
  private whenClosed: (() => void) | undefined;

  constructor(origin: string, opts: H1PoolOptions) {
    const url = new URL(origin);
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? 80 : Number(url.port);
    this.hostHeader = url.host;
    this.max = Math.max(1, opts.connections);
    this.localAddress = opts.localAddress;
  }

  dispatch(opts: PoolRequest, handler: RawHandler): boolean {
    try {
      if (this.destroyed) throw poolDestroyed();
      if (this.closed) throw poolClosed();
      const head = this.head(opts);
      const body = opts.body ?? EMPTY;
      if (head.length !== -1 && head.length !== body.length) throw lengthMismatch('Request');
      const req = new Pending(handler, head, body, opts.headersTimeout ?? 0, opts.bodyTimeout ?? 0);
      this.queue.push(req);
    } catch (err) {
      handler.onError(err as Error);
      return false;
    }
    this.drain();
    return this.queueHead === this.queue.length;
  }

  /** The head's fixed part for these headers (built once per headers array), or a throw for headers undici refuses. */
  private head(opts: PoolRequest): Head {
    const cached = this.heads.get(opts.headers);
    if (cached !== undefined && cached.method === opts.method && cached.path === opts.path) return cached;
    let host = this.hostHeader;
    let reset = false;
    let length = -1;
    let lines = '';
    const h = opts.headers;
    for (let i = 0; i + 1 < h.length; i += 2) {
      const name = h[i].toLowerCase();
      const value = h[i + 1];
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw invalidArgument('invalid header key');
      if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw invalidArgument(`invalid ${h[i]} header`);
      // The names undici treats itself, treated as it does.
      if (name === 'host') host = value;
      else if (name === 'content-length') {
        if (!/^\d+$/.test(value)) throw invalidArgument('invalid content-length header');
        length = Number(value);
      } else if (name === 'transfer-encoding' || name === 'keep-alive' || name === 'upgrade') throw invalidArgument(`invalid ${name} header`);
      else if (name === 'expect') throw notSupported('expect header not supported');
      else if (name === 'connection')
        reset ||= value
          .toLowerCase()
          .split(',')
          .some((t) => t.trim() === 'close');
      else lines += `${h[i]}: ${value}\r\n`;
    }
    const text = `${opts.method} ${opts.path} HTTP/1.1\r\nhost: ${host}\r\nconnection: ${reset ? 'close' : 'keep-alive'}\r\n${lines}`;
    const head: Head = { method: opts.method, path: opts.path, bytes: Buffer.from(text, 'latin1'), reset, length };
    this.heads.set(opts.headers, head);
    return head;
  }

  /** Hand queued requests to free connections, opening new ones up to the limit. */
  drain(): void {
    while (this.queueHead < this.queue.length && !this.destroyed) {
      const conn = this.idle.pop();
      if (conn !== undefined) {
        if (!conn.start(this.take()) && !conn.dead) this.makeIdle(conn);
      } else if (this.conns.size < this.max) this.open(this.take());
      else break;
    }
    this.checkClosed();
  }

  /** A connection is free: the next queued request, or the idle list. */
  release(conn: Conn): void {
    while (this.queueHead < this.queue.length && !this.destroyed) {
      if (conn.start(this.take()) || conn.dead) return;
    }
    if (this.destroyed) conn.drop();
    else this.makeIdle(conn);
    this.checkClosed();
  }

  private makeIdle(conn: Conn): void {
    conn.idle = true;
    conn.idleSince = this.clock;
    this.idle.push(conn);
  }

  private take(): Pending {
    const req = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return req;
  }

  private open(first: Pending): void {
    // The clock is fresh whenever a connection exists: the ticker runs exactly then.
    if (this.ticker === undefined) {
      this.clock = Date.now();
      this.ticker = setInterval(() => this.tick(), TICK_MS);
      this.ticker.unref();
    }
    const socket = connect({ host: this.hostname, port: this.port, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    this.conns.add(new Conn(this, socket, first));
  }

  remove(conn: Conn): void {
    this.conns.delete(conn);
    if (conn.idle) {
      conn.idle = false;
      const i = this.idle.indexOf(conn);
      if (i !== -1) this.idle.splice(i, 1);
    }
    if (this.conns.size === 0 && this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private tick(): void {
    this.clock = Date.now();
    for (const conn of [...this.conns]) conn.check(this.clock);
  }

  /** close(): done once nothing is queued or in flight; the idle connections go then. */
  private checkClosed(): void {
    if (!this.closed || this.whenClosed === undefined || this.queueHead < this.queue.length) return;
    for (const conn of this.conns) if (conn.busy) return;
    for (const conn of [...this.conns]) conn.drop();
    const resolve = this.whenClosed;
    this.whenClosed = undefined;
    resolve();
  }

  /** Let queued and running requests finish, then close every connection. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.closing = new Promise<void>((resolve) => (this.whenClosed = resolve));
      this.checkClosed();
    }
    return this.closing;
  }

  /** Fail everything queued or running and close every connection now. Idempotent. */
  destroy(): Promise<void> {
    if (!this.destroyed) {
      this.destroyed = true;
      this.closed = true;
      const queued = this.queue.slice(this.queueHead);
      this.queue = [];
      this.queueHead = 0;
      for (const conn of [...this.conns]) conn.fail(poolDestroyed());
      for (const req of queued) req?.handler.onError(poolDestroyed());
      const resolve = this.whenClosed;
      this.whenClosed = undefined;
      resolve?.();
    }
    return Promise.resolve();
  }
}
