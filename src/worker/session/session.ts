/**
 * One MCP session: connect, `initialize` + `notifications/initialized`, then the request loop
 * driven by its token bucket, responses matched by id (in any order), server requests answered,
 * reconnects with backoff. A plain object woken by its engine's ticker: no timers of its own.
 */
import type { Transport } from '../transport/transport.js';
import { TokenBucket } from './rate-limiter.js';
import { jsonFrame } from '../frames.js';
import { LateIds } from './late-ids.js';
import { resultId } from './fast-response.js';
import { Link, State, type SessionHost } from './host.js';
import { CLOSE_SESSION_EXPIRED, CLOSE_UNREACHABLE } from '../transport/http.js';

export { State, type SessionHost } from './host.js';

const HANDSHAKE = -1;
/** Above this many queued bytes a session stops sending: the server is not reading. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Answers to server requests stop at a lower mark: they are tiny frames, and each queued frame
 * costs far more memory than its bytes (a flood of 40-byte pongs to a server that does not read).
 */
const MAX_BUFFERED_REPLY_BYTES = 256 * 1024;
/** How often a session held back by its in-flight bound or send buffer looks again (ms). */
const BLOCKED_RECHECK_MS = 5;
interface Pending {
  /** Mix entry index, or HANDSHAKE. */
  entry: number;
  intended: number;
  sentAt: number;
}

export class Session {
  state: State = State.Idle;
  /** Bumped per connection; events of older connections are ignored. */
  generation = 0;
  /** Where the engine's wheel expects to wake this session (-1: not scheduled). */
  wakeSlot = -1;
  private transport: Transport | undefined;
  /** Answers freed in-flight slots during this socket read; readEnd() sends then. */
  private sendAfterRead = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private bucket: TokenBucket | undefined;
  private mixCursor: number;
  private connectStartedAt = 0;
  private openedAt = 0;
  private ttlAt = Infinity;
  private attempts = 0;
  private everConnected = false;
  private reconnectAfterRetire = false;
  private paused = false;
  private nextReadToggle = Infinity;
  private reconnectAt = 0;
  /** Between connect() and the end of the attempt (open or failed): counted against the engine's bound. */
  private settling = false;
  /** Ids of this connection that timed out recently (made on its first timeout). */
  private lateIds: LateIds | undefined;
  /** This connection's end was already counted (as a protocol error): closed() does not count it again. */
  private endCounted = false;

  constructor(
    readonly host: SessionHost,
    /** Index within the engine (used by the timeout queue). */
    readonly slot: number,
    readonly url: string,
    readonly localAddress: string | undefined,
  ) {
    // Start sessions at different points of the mix so short runs still see every method.
    this.mixCursor = (slot * 7919) % host.mix.length;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The engine handed out a connection slot. */
  connect(now: number): void {
    if (this.everConnected || this.attempts > 0) this.host.recorder.reconnects++;
    this.state = State.Connecting;
    this.settling = true;
    this.connectStartedAt = now;
    const link = new Link(this, ++this.generation);
    this.lateIds = undefined;
    this.endCounted = false;
    this.transport = this.host.connect(
      {
        url: this.url,
        headers: this.host.headers,
        localAddress: this.localAddress,
        localPort: this.localAddress ? this.host.ports.take(this.localAddress) : undefined,
        maxPayload: this.host.maxPayload,
        ca: this.host.tls?.ca,
        rejectUnauthorized: !this.host.tls?.insecure,
      },
      link,
    );
    // The connect + upgrade deadline rides the engine's timeout queue (a negative id: the connection).
    this.host.trackTimeout(this, -this.generation, now + this.host.profile.timeoutMs);
  }

  opened(): void {
    this.state = State.Handshake;
    const id = this.nextId++;
    const now = performance.now();
    // 2026-07-28 has no initialize: server/discover (every server must implement it) stands in as
    // the handshake, so handshake time and "could any session start" keep their meaning.
    const frame = jsonFrame(
      this.host.stateless
        ? { jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: this.host.requestMeta } }
        : {
            jsonrpc: '2.0',
            id,
            method: 'initialize',
            params: {
              protocolVersion: this.host.protocolVersion,
              capabilities: {},
              clientInfo: { name: 'mcpload', version: this.host.clientVersion },
            },
          },
      this.host.terminator,
    );
    this.pending.set(id, { entry: HANDSHAKE, intended: now, sentAt: now });
    this.write(frame, 'request');
    this.host.trackTimeout(this, id, now + this.host.profile.timeoutMs);
  }

  received(data: Buffer, isBinary: boolean): void {
    const rec = this.host.recorder;
    rec.bytesReceived += data.length;
    if (isBinary) {
      rec.error('protocol');
      return;
    }
    // The common case, a success response alone in its frame, skips JSON.parse (fast-response.ts).
    const id = resultId(data);
    if (id >= 0) {
      const p = this.pending.get(id);
      if (p !== undefined && p.entry !== HANDSHAKE) {
        rec.received.response++;
        this.answered(id, p, true);
        return;
      }
    }
    const text = data.toString('utf8');
    let start = 0;
    // Newline-delimited: a frame may hold one message, several, or one without a terminator.
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      if (end > start) this.message(text.slice(start, end));
      start = end + 1;
    }
  }

  private message(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      if (line.trim() !== '') this.host.recorder.error('protocol');
      return;
    }
    if (Array.isArray(msg)) for (const m of msg) this.dispatch(m);
    else this.dispatch(msg);
  }

  private dispatch(msg: unknown): void {
    const rec = this.host.recorder;
    if (msg === null || typeof msg !== 'object') {
      rec.error('protocol');
      return;
    }
    const m = msg as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    if (typeof m.method === 'string') {
      if (m.id === undefined) {
        rec.received.notification++;
        return;
      }
      rec.received.request++;
      this.answerServerRequest(m.id, m.method);
      return;
    }
    if (m.id === undefined || (m.result === undefined && m.error === undefined)) {
      rec.error('protocol');
      return;
    }
    rec.received.response++;
    const id = m.id;
    const p = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (p === undefined) {
      // A late answer to a request that timed out was counted once already, as the timeout. Anything
      // else (an id answered before, never issued, or not a number) is a protocol error.
      if (typeof id === 'number' && this.lateIds?.take(id, this.nextId)) return;
      rec.error('protocol');
      return;
    }
    if (p.entry === HANDSHAKE) {
      this.pending.delete(id as number);
      this.handshakeAnswered(m, performance.now());
      return;
    }
    this.answered(id as number, p, m.error === undefined);
  }

  /** Request `id` was answered (`ok`: a result, not a JSON-RPC error). */
  private answered(id: number, p: Pending, ok: boolean): void {
    this.pending.delete(id);
    this.lateIds?.mark(id, false);
    const now = performance.now();
    const rec = this.host.recorder;
    rec.response(this.host.methodOf[p.entry], ok, p.intended, p.sentAt, now);
    if (!ok) rec.error('rpc');
    if (this.state === State.Open) {
      // Tokens that waited for this in-flight slot go out now, not at the next tick: after the other
      // answers this socket read brought (readEnd), so they leave in one write, or at once.
      if (this.bucket!.due <= now) {
        if (this.transport?.readEnds) this.sendAfterRead = true;
        else this.sendDue(now);
      }
    } else if (this.state === State.Retiring && this.pending.size === 0) this.transport?.close(1000);
  }

  /** Every message of one socket read has been handled: send what the answers freed slots for. */
  readEnd(): void {
    if (!this.sendAfterRead) return;
    this.sendAfterRead = false;
    if (this.state === State.Open) this.sendDue(performance.now());
  }

  private handshakeAnswered(m: { result?: unknown; error?: unknown }, now: number): void {
    if (this.state !== State.Handshake) {
      // Retired or stopped while initializing: the session is not wanted any more.
      this.transport?.close(1000);
      return;
    }
    const result = m.result as { protocolVersion?: unknown; supportedVersions?: unknown } | undefined;
    const stateless = this.host.stateless;
    const agreed = stateless
      ? Array.isArray(result?.supportedVersions) && result.supportedVersions.includes(this.host.protocolVersion)
      : typeof result?.protocolVersion === 'string';
    if (m.error !== undefined || !agreed) {
      const what = stateless ? 'server/discover' : 'initialize';
      this.host.recorder.error('handshake');
      this.host.note(this, `${what} failed: ` + JSON.stringify(m.error ?? m.result).slice(0, 200));
      this.state = State.Backoff; // closed() sees a failed handshake already counted
      this.transport?.close(1002, `${what} failed`);
      return;
    }
    if (!stateless) this.write(jsonFrame({ jsonrpc: '2.0', method: 'notifications/initialized' }, this.host.terminator), 'notification');
    this.host.recorder.handshakeDone(this.connectStartedAt, now);
    this.state = State.Open;
    this.settle();
    this.everConnected = true;
    this.attempts = 0;
    this.openedAt = now;
    const ttl = this.host.profile.sessionTtlMs;
    this.ttlAt = ttl > 0 ? now + ttl : Infinity;
    const rate = this.host.rate();
    // A random phase spreads sessions over the interval instead of all sending in the same tick.
    const start = now + Math.random() * (1000 / rate);
    if (this.bucket) {
      this.bucket.setRate(rate);
      this.bucket.restart(start);
    } else this.bucket = new TokenBucket(rate, this.host.profile.burst, start);
    const slow = this.host.profile.slowRead;
    this.nextReadToggle = slow ? now : Infinity;
    this.host.wake(this, Math.min(start, this.nextReadToggle));
  }

  private answerServerRequest(id: unknown, method: string): void {
    // A server that sends requests but does not read the answers must not grow our send buffer.
    if ((this.transport?.bufferedAmount ?? 0) > MAX_BUFFERED_REPLY_BYTES) return;
    const reply =
      method === 'ping'
        ? { jsonrpc: '2.0', id, result: {} }
        : { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } };
    this.write(jsonFrame(reply, this.host.terminator), 'response');
  }

  private write(frame: Buffer | string, kind: 'request' | 'notification' | 'response'): boolean {
    if (!this.transport?.send(frame)) return false;
    const rec = this.host.recorder;
    rec.sent[kind]++;
    rec.bytesSent += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    return true;
  }

  /**
   * The engine reached this session's wake time. `until`: send what is due up to then (the ticker
   * looks half a tick ahead, see engine.ts), never later than `now` otherwise.
   */
  wake(now: number, until = now): void {
    switch (this.state) {
      case State.Open:
        return this.pump(now, until);
      case State.Backoff:
        if (now >= this.reconnectAt) {
          this.state = State.Queued;
          this.host.enqueueConnect(this);
        } else this.host.wake(this, this.reconnectAt);
        return;
      default:
        return;
    }
  }

  private pump(now: number, until: number): void {
    if (now >= this.ttlAt) {
      this.retire(true);
      return;
    }
    const bucket = this.bucket!;
    const rate = this.host.rate();
    if (bucket.rate !== rate) bucket.setRate(rate); // stages ramp the rate of open sessions too
    // `now` is when the engine began this wake-up's batch of sessions; this session's requests are
    // built and queued only now, after the ones before it, so their send time is read here.
    const sendAt = performance.now();
    this.transport!.holdTurn?.();
    this.sendDue(sendAt, until > sendAt ? until : sendAt);
    // Still due means blocked (in-flight bound, full send buffer): the tokens wait in the bucket, up
    // to its burst, and an answer sends them (answered()). Waking every wheel slot meanwhile would
    // spin; a recheck now and then counts what overflowed and notices a drained send buffer.
    let next = bucket.due;
    if (next <= until) next = now + BLOCKED_RECHECK_MS;
    if (this.nextReadToggle !== Infinity) next = Math.min(next, this.toggleReading(now));
    this.host.wake(this, Math.min(next, this.ttlAt));
  }

  /**
   * Send the requests that are due, while the in-flight bound and the send buffer allow. Slots that
   * overflowed the bucket's burst meanwhile are counted as dropped (and walk the mix like sent ones).
   * Requests due after `now` but by `until` go out early; their latency then counts from the actual
   * send (Recorder.response), never from a later intended time.
   */
  private sendDue(now: number, until = now): void {
    const bucket = this.bucket!;
    const host = this.host;
    const lost = bucket.overflow(now);
    for (let i = 0; i < lost; i++) host.methodOf[host.mix[this.nextEntry()]].dropped++;
    const maxInFlight = host.profile.maxInFlight;
    const timeoutMs = host.profile.timeoutMs;
    const transport = this.transport!;
    // Two or more frames: one write for all of them (a turn's hold, see pump(), may already do that).
    const batch = bucket.readyTwo(until) && this.pending.size + 1 < maxInFlight && transport.cork !== undefined;
    if (batch) transport.cork!();
    while (bucket.ready(until) && this.pending.size < maxInFlight && transport.bufferedAmount <= MAX_BUFFERED_BYTES) {
      const intended = bucket.take();
      const entry = host.mix[this.nextEntry()];
      const method = host.methodOf[entry];
      const id = this.nextId++;
      if (!this.write(host.templates[entry].frame(id), 'request')) {
        method.dropped++; // the connection is closing: its close event follows
        break;
      }
      method.sent++;
      if (now > intended) host.recorder.sendLagSumMs += now - intended;
      this.pending.set(id, { entry, intended, sentAt: now });
      host.trackTimeout(this, id, now + timeoutMs);
    }
    if (batch) transport.uncork!();
  }

  private nextEntry(): number {
    const i = this.mixCursor;
    this.mixCursor = i + 1 === this.host.mix.length ? 0 : i + 1;
    return i;
  }

  /** Slow reader: pause the socket for `pause` of every `interval`; returns when to toggle next. */
  private toggleReading(now: number): number {
    if (now < this.nextReadToggle) return this.nextReadToggle;
    const { pauseMs, intervalMs } = this.host.profile.slowRead!;
    const phase = (now - this.openedAt) % intervalMs;
    const shouldPause = phase < pauseMs;
    if (shouldPause !== this.paused) {
      this.paused = shouldPause;
      if (shouldPause) this.transport!.pause();
      else this.transport!.resume();
    }
    this.nextReadToggle = now + (shouldPause ? pauseMs - phase : intervalMs - phase);
    return this.nextReadToggle;
  }

  /** Request `id` passed its deadline. */
  timedOut(id: number): void {
    if (id < 0) {
      // The connect deadline of connection -id: still connecting means the upgrade never came.
      if (-id === this.generation && this.state === State.Connecting) {
        this.host.note(this, 'connect timed out');
        this.transport?.close();
      }
      return;
    }
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    const rec = this.host.recorder;
    if (p.entry === HANDSHAKE) {
      rec.error('handshake');
      this.host.note(this, 'initialize timed out');
      this.state = State.Backoff;
      this.transport?.close(1000, 'initialize timed out');
      return;
    }
    rec.error('timeout');
    this.host.methodOf[p.entry].timeout++;
    (this.lateIds ??= new LateIds()).mark(id, true);
    if (this.state === State.Retiring && this.pending.size === 0) this.transport?.close(1000);
  }

  /** Stop sending; close when in-flight requests are answered. `reconnect`: open a new session then (TTL). */
  retire(reconnect: boolean): void {
    this.readAgain();
    if (this.state === State.Open || this.state === State.Handshake) {
      this.state = State.Retiring;
      this.reconnectAfterRetire = reconnect;
      if (this.pending.size === 0) this.transport?.close(1000);
    } else if (!reconnect && this.state !== State.Retiring) {
      // Not connected: just leave (queued or backing off sessions are dropped by the engine).
      this.transport?.close(1000);
      this.generation++;
      this.settle();
      this.state = State.Idle;
    }
  }

  /** The connection attempt is over (open, failed, or abandoned): its slot goes back to the engine. */
  private settle(): void {
    if (!this.settling) return;
    this.settling = false;
    this.host.connectSettled();
  }

  /** A slow reader that stops sending reads again, so the answers to its last requests arrive. */
  private readAgain(): void {
    this.nextReadToggle = Infinity;
    if (this.paused) {
      this.paused = false;
      this.transport?.resume();
    }
  }

  /** The run is over: close now, whatever is in flight (counted as closed by the drain). */
  stop(): void {
    this.settle();
    const wasConnected = this.state === State.Open || this.state === State.Retiring || this.state === State.Handshake;
    this.failPending();
    this.state = State.Stopped;
    if (wasConnected) this.transport?.close(1000, 'run finished');
    else this.transport?.close(1000);
  }

  closed(code: number): void {
    this.settle();
    const was = this.state;
    this.failPending();
    this.paused = false;
    this.transport = undefined;
    this.lateIds = undefined;
    const rec = this.host.recorder;
    switch (was) {
      case State.Stopped:
      case State.Idle:
        return;
      case State.Retiring:
        if (this.reconnectAfterRetire) {
          this.state = State.Queued;
          this.host.enqueueConnect(this);
        } else this.state = State.Idle;
        return;
      case State.Connecting:
        rec.error('connect');
        this.host.note(this, `connect failed (close code ${code})`);
        break;
      case State.Handshake:
        if (code === CLOSE_UNREACHABLE) {
          // Streamable HTTP: the first POST never reached the server (refused, reset, no route).
          rec.error('connect');
          this.host.note(this, 'connect failed');
          break;
        }
        if (!this.endCounted) rec.error('handshake');
        this.host.note(this, `closed during initialize (close code ${code})`);
        break;
      case State.Open:
        if (code === CLOSE_SESSION_EXPIRED) {
          // The server forgot the session (HTTP 404 on its Mcp-Session-Id). The spec's answer is a new
          // initialize: not an error, counted as a reconnect; requests it had in flight count as closed.
          this.host.note(this, 'session expired (HTTP 404): initializing a new one');
          this.state = State.Queued;
          this.host.enqueueConnect(this);
          return;
        }
        if (!this.endCounted) rec.error('closed');
        this.host.note(this, `closed by server (close code ${code})`);
        break;
      case State.Backoff:
        break; // a failed handshake, already counted
      default:
        return;
    }
    this.backoff();
  }

  /**
   * The connection failed. A frame that breaks the WebSocket protocol (bad opcode, invalid UTF-8,
   * longer than the max payload: ws codes WS_ERR_*) is the server's protocol error; ws then closes
   * the connection (1002/1007/1009) and that close is not counted again. Resets and refusals are
   * counted by closed() as closed/connect.
   */
  failed(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    const connected = this.state === State.Open || this.state === State.Handshake || this.state === State.Retiring;
    if (connected && !this.endCounted && typeof code === 'string' && code.startsWith('WS_ERR_')) {
      this.host.recorder.error('protocol');
      this.endCounted = true;
    }
    this.host.note(this, 'connection error', err);
  }

  private failPending(): void {
    for (const p of this.pending.values()) if (p.entry !== HANDSHAKE) this.host.methodOf[p.entry].closed++;
    this.pending.clear();
  }

  private backoff(): void {
    const policy = this.host.profile.reconnect;
    this.attempts++;
    if (policy.maxAttempts > 0 && this.attempts > policy.maxAttempts) {
      this.state = State.Failed;
      return;
    }
    // Exponential backoff with full jitter (AWS architecture blog): spreads reconnect storms.
    const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(this.attempts - 1, 30));
    const now = performance.now();
    this.reconnectAt = now + Math.random() * cap;
    this.state = State.Backoff;
    this.host.wake(this, this.reconnectAt);
  }
}
