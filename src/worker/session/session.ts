/**
 * One MCP session's lifecycle, as a state machine (State, host.ts): connect, handshake
 * (handshake.ts), open with its token bucket, retire, stop, and what each connection's end leads to
 * (ending.ts: the count, a reconnect with backoff). Requests go out in request-loop.ts, messages are
 * read in inbound.ts and matched to requests by the correlator (correlator.ts). A plain object woken
 * by its engine's ticker: no timers of its own.
 */
import type { SentCounts } from '../../shared/counters.js';
import type { CloseReason, Route, Transport } from '../transport/transport.js';
import { Answer } from '../recorder.js';
import { phasedStart, TokenBucket } from './rate-limiter.js';
import { Correlator, HANDSHAKE, type Pending } from './correlator.js';
import { agreedVersion, handshakeFailure, handshakeFrame, handshakeMethod, handshakeRoute, initializedFrame, INITIALIZED_ROUTE } from './handshake.js';
import { receive, type Inbound } from './inbound.js';
import { Link, type LinkedSession } from './link.js';
import { SlowReader } from './slow-reader.js';
import { sendDue, type Sender } from './request-loop.js';
import { ClosedLoop, sendClosed } from './closed-loop.js';
import { arrivalAttempts, backoffDelay, ending, Next } from './ending.js';
import { State, type SessionHost } from './host.js';
import { methodsAt } from './measuring.js';
import { FlowRun, type FlowSender } from './flow.js';
import { ProgressWatches } from './progress-watch.js';
import { subscribe, type SubscriptionIds } from './subscriptions.js';
import { freshUntil } from './list-cache.js';

export { State, type SessionHost } from './host.js';

/** A session that sends nothing for this long after its last answer tells its transport it is idle (ms). */
const IDLE_MS = 1000;

/** How often a session held back by its in-flight bound or send buffer looks again (ms). */
const BLOCKED_RECHECK_MS = 5;
/**
 * BENCH_WAKE_HOLD=1 (measurements only): an open-model wake-up's frames wait for the turn's end (holdTurn), as
 * they did before 2026-12-06. Written at once they cost no more syscalls (sendDue corks a wake-up's frames into
 * one write) and reach the target a batch earlier: raw p50 at 25 % load 326–333 vs 400–546 µs (bench/RESULTS.md).
 */
const HOLD_WAKE = process.env.BENCH_WAKE_HOLD === '1';
const NO_SUBSCRIPTIONS: SubscriptionIds = { from: 0, to: 0 };
/** UnsupportedProtocolVersion (-32022) answers in a row (no ok answer between) after which the session gives up. */
const MAX_REFUSALS = 5;

/** Session's yes/no state, one bit each of `flags` (one field instead of seven per session). */
const SEND_AFTER_READ = 1;
const EVER_CONNECTED = 2;
const RECONNECT_AFTER_RETIRE = 4;
const SETTLING = 8;
const ANSWERED_HERE = 16;
const EXPIRING = 32;
const REDISCOVERING = 64;

/**
 * What a session needs only in some profiles (closed model, flows, progress, list caching, slow
 * reads, subscriptions, a TTL) or after some events (a failure, a backoff, a refusal, an arrival):
 * made on first use. An idle open-model session never makes it, and its 12 fields are heap that
 * 100K sessions would each hold (heap snapshots).
 */
class Rare {
  subscriptionIds: SubscriptionIds = NO_SUBSCRIPTIONS;
  attempts = 0;
  reconnectAt = 0;
  failure: Error | undefined = undefined;
  arrivalAt = 0;
  refusals = 0;
  rediscoverAt = 0;
  loop: ClosedLoop | undefined = undefined;
  flow: FlowRun | undefined = undefined;
  watches: ProgressWatches | undefined = undefined;
  cachedUntil: Float64Array | undefined = undefined;
  slow: SlowReader | undefined = undefined;
}

export class Session implements LinkedSession, Inbound, Sender, FlowSender {
  state: State = State.Idle;
  /** Bumped per connection; events of older connections are ignored. */
  generation = 0;
  /** Where the engine's wheel expects to wake this session (-1: not scheduled). */
  wakeSlot = -1;
  transport: Transport | undefined;
  /** Requests in flight, matched to answers. */
  readonly calls: Correlator;
  /** The request schedule (made at the first open; the open model). */
  bucket: TokenBucket | undefined;
  /** Where in the engine's mix sequence the next request comes from. */
  mixCursor: number;
  /** Mix requests sent, across connections: `{{seq}}` (request-loop.ts). */
  seq = 0;
  private connectStartedAt = 0;
  /** ttlAt, below. */
  private ttlMs = 0;
  /** The bits above (SEND_AFTER_READ, ...). */
  private flags = 0;
  /** Made on first use (Rare). */
  private rare: Rare | undefined;

  private more(): Rare {
    return (this.rare ??= new Rare());
  }
  private flag(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }
  private setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** Answers freed in-flight slots during this socket read; readEnd() sends then. */
  private get sendAfterRead(): boolean {
    return this.flag(SEND_AFTER_READ);
  }
  private set sendAfterRead(on: boolean) {
    this.setFlag(SEND_AFTER_READ, on);
  }
  private get everConnected(): boolean {
    return this.flag(EVER_CONNECTED);
  }
  private set everConnected(on: boolean) {
    this.setFlag(EVER_CONNECTED, on);
  }
  private get reconnectAfterRetire(): boolean {
    return this.flag(RECONNECT_AFTER_RETIRE);
  }
  private set reconnectAfterRetire(on: boolean) {
    this.setFlag(RECONNECT_AFTER_RETIRE, on);
  }
  /** Between connect() and the end of the attempt (open or failed): counted against the engine's bound. */
  private get settling(): boolean {
    return this.flag(SETTLING);
  }
  private set settling(on: boolean) {
    this.setFlag(SETTLING, on);
  }
  /** Some request of this connection was answered (an expiry after that is a free re-initialize). */
  private get answeredHere(): boolean {
    return this.flag(ANSWERED_HERE);
  }
  private set answeredHere(on: boolean) {
    this.setFlag(ANSWERED_HERE, on);
  }
  /** The last connections expired before any answer: the backoff keeps growing across their handshakes. */
  private get expiring(): boolean {
    return this.flag(EXPIRING);
  }
  private set expiring(on: boolean) {
    this.setFlag(EXPIRING, on);
  }
  /** The handshake under way is a re-discovery of an open session (not a new connection's). */
  private get rediscovering(): boolean {
    return this.flag(REDISCOVERING);
  }
  private set rediscovering(on: boolean) {
    this.setFlag(REDISCOVERING, on);
  }

  // The Rare fields; a write of the default value makes nothing.
  /** This connection's subscription requests (subscriptions.ts). */
  get subscriptionIds(): SubscriptionIds {
    return this.rare?.subscriptionIds ?? NO_SUBSCRIPTIONS;
  }
  set subscriptionIds(ids: SubscriptionIds) {
    if (this.rare !== undefined || ids !== NO_SUBSCRIPTIONS) this.more().subscriptionIds = ids;
  }
  /**
   * When the session TTL retires it (performance clock; Infinity: no TTL). Kept in whole ms, 0 for
   * none, so the field holds a small integer: a fractional time or Infinity would be a heap number
   * of its own (16 B per session), and the seed profiles all have a TTL.
   */
  private get ttlAt(): number {
    return this.ttlMs === 0 ? Infinity : this.ttlMs;
  }
  private set ttlAt(at: number) {
    this.ttlMs = at === Infinity ? 0 : Math.ceil(at);
  }
  private get attempts(): number {
    return this.rare?.attempts ?? 0;
  }
  private set attempts(n: number) {
    if (this.rare !== undefined || n !== 0) this.more().attempts = n;
  }
  private get reconnectAt(): number {
    return this.rare?.reconnectAt ?? 0;
  }
  private set reconnectAt(at: number) {
    if (this.rare !== undefined || at !== 0) this.more().reconnectAt = at;
  }
  /** What failed this connection (onerror comes before onclose): told in the close's one log line. */
  private get failure(): Error | undefined {
    return this.rare?.failure;
  }
  private set failure(err: Error | undefined) {
    if (this.rare !== undefined || err !== undefined) this.more().failure = err;
  }
  /** Session arrivals: when this session was due to arrive (performance clock): its flow's plan starts there. */
  private get arrivalAt(): number {
    return this.rare?.arrivalAt ?? 0;
  }
  private set arrivalAt(at: number) {
    if (this.rare !== undefined || at !== 0) this.more().arrivalAt = at;
  }
  /** UnsupportedProtocolVersion answers since the last ok one: the re-discovery's backoff grows with them. */
  private get refusals(): number {
    return this.rare?.refusals ?? 0;
  }
  private set refusals(n: number) {
    if (this.rare !== undefined || n !== 0) this.more().refusals = n;
  }
  /** When a refused session sends server/discover again (0: it is not waiting to). */
  private get rediscoverAt(): number {
    return this.rare?.rediscoverAt ?? 0;
  }
  private set rediscoverAt(at: number) {
    if (this.rare !== undefined || at !== 0) this.more().rediscoverAt = at;
  }
  /** The closed model's free slots (made at the first open); undefined in the open model. */
  private get loop(): ClosedLoop | undefined {
    return this.rare?.loop;
  }
  private set loop(loop: ClosedLoop | undefined) {
    if (this.rare !== undefined || loop !== undefined) this.more().loop = loop;
  }
  /** The run through the profile's flow (made at the first open; undefined without a flow). */
  private get flow(): FlowRun | undefined {
    return this.rare?.flow;
  }
  private set flow(flow: FlowRun | undefined) {
    if (this.rare !== undefined || flow !== undefined) this.more().flow = flow;
  }
  /** Requests that asked for progress, in flight (made at the first such request). */
  private get watches(): ProgressWatches | undefined {
    return this.rare?.watches;
  }
  private set watches(watches: ProgressWatches | undefined) {
    if (this.rare !== undefined || watches !== undefined) this.more().watches = watches;
  }
  /** Per mix entry: until when its last list result is fresh (list-cache.ts); made on the first such result. */
  get cachedUntil(): Float64Array | undefined {
    return this.rare?.cachedUntil;
  }
  set cachedUntil(until: Float64Array | undefined) {
    if (this.rare !== undefined || until !== undefined) this.more().cachedUntil = until;
  }
  private get slow(): SlowReader | undefined {
    return this.rare?.slow;
  }
  private set slow(slow: SlowReader | undefined) {
    if (this.rare !== undefined || slow !== undefined) this.more().slow = slow;
  }

  constructor(
    readonly host: SessionHost<Session>,
    /** Index within the engine (used by the timeout queue). */
    readonly slot: number,
    readonly url: string,
    readonly localAddress: string | undefined,
  ) {
    // Start sessions at different points of the mix so short runs still see every method.
    this.mixCursor = host.mix.length > 0 ? (slot * 7919) % host.mix.length : 0;
    this.calls = new Correlator(host);
  }

  get inFlight(): number {
    return this.calls.size;
  }

  /** The engine handed out a connection slot. */
  connect(now: number): void {
    if (this.everConnected || this.attempts > 0) this.host.recorder.reconnects++;
    this.state = State.Connecting;
    this.settling = true;
    this.connectStartedAt = now;
    const link = new Link(this, ++this.generation);
    this.calls.reset();
    this.transport = this.host.connect(
      {
        url: this.url,
        headers: this.host.headers,
        localAddress: this.localAddress,
        localPort: this.localAddress ? this.host.ports.take(this.localAddress) : undefined,
        maxPayload: this.host.maxPayload,
        ca: this.host.tls?.ca,
        rejectUnauthorized: !this.host.tls?.insecure,
        subprotocol: this.host.subprotocol,
      },
      link,
    );
    // The connect + upgrade deadline rides the engine's timeout queue (a negative id: the connection).
    this.host.trackTimeout(this, -this.generation, now + this.host.profile.timeoutMs);
  }

  opened(): void {
    this.state = State.Handshake;
    this.rediscovering = false;
    this.rediscoverAt = 0;
    this.sendHandshake(performance.now());
  }

  private sendHandshake(now: number): void {
    const id = this.calls.nextId();
    this.calls.track(id, HANDSHAKE, now, now, this.transport?.queues !== true);
    this.write(handshakeFrame(this.host, id), 'request', id, handshakeRoute(this.host));
    this.host.trackTimeout(this, id, now + this.host.profile.timeoutMs);
  }

  received(data: Buffer, isBinary: boolean): void {
    receive(this, data, isBinary);
  }

  /** Request `id` was answered (a result, a JSON-RPC error or a tool error). */
  answered(id: number, p: Pending, answer: Answer): void {
    const now = performance.now();
    if (this.refusals !== 0 && answer === Answer.Ok) this.refusals = 0;
    if (this.watches !== undefined) this.watches.ended(id, now, p.sentAt, true);
    if (p.rounds > 0) this.host.recorder.streamLatencyMicros('multiRound', (now - p.intended) * 1000);
    this.calls.answered(id, p, answer, now);
    this.answeredHere = true;
    if (this.flow !== undefined) this.flowSettled(id, now);
    if (this.loop !== undefined) this.closedEnded(now);
    else if (this.state === State.Open && this.bucket !== undefined && this.bucket.due <= now) {
      // Tokens that waited for this in-flight slot go out now, not at the next tick: after the other
      // answers this socket read brought (readEnd), so they leave in one write, or at once.
      if (this.transport?.readEnds) this.sendAfterRead = true;
      else sendDue(this, now);
    } else if (this.state === State.Retiring && this.calls.size === 0) this.transport?.close(1000);
    if (this.state === State.Open && this.calls.size === 0 && this.nextSendAt() - now >= IDLE_MS) this.transport?.idle?.();
  }

  /** When this session next sends of its own accord (its flow's next step, its closed loop's next slot, its bucket's next token). */
  private nextSendAt(): number {
    if (this.flow !== undefined) return this.flow.next();
    if (this.loop !== undefined) return this.loop.next();
    return this.bucket?.due ?? Infinity;
  }

  /** Every message of one socket read has been handled: send what the answers freed slots for. */
  readEnd(): void {
    if (!this.sendAfterRead) return;
    this.sendAfterRead = false;
    if (this.state !== State.Open) return;
    const now = performance.now();
    if (this.loop !== undefined) this.sendClosedNow(now);
    else if (this.bucket !== undefined) sendDue(this, now);
  }

  /** A flow request ended (answered or timed out): the flow goes on; at its end the session retires. */
  private flowSettled(id: number, now: number): void {
    const flow = this.flow!;
    const ended = flow.settled(id, now);
    if (this.state !== State.Open) {
      // Its last answer came while the session was retiring (the run's drain, a TTL): the flow ran to its end all the same.
      if (ended && this.state === State.Retiring) this.host.recorder.flowsCompleted++;
      return;
    }
    if (flow.done) return this.flowDone();
    const next = flow.next();
    if (next !== Infinity) this.host.wake(this, next);
  }

  /** The flow ran to its end: an arrived session leaves; one of a fixed population starts a new session. */
  private flowDone(): void {
    this.host.recorder.flowsCompleted++;
    this.retire(!this.host.arrivals);
  }

  /** A request of the flow went out (FlowRun) at `sentAt`: its deadline is the entry's (timeout, or cancelAfter). */
  flowSent(id: number, entry: number, sentAt: number): void {
    if (this.host.templates[entry].progress === true) this.watchProgress(id, entry);
    this.host.trackEntry(this, id, entry, sentAt);
  }

  /** Request `id` asked for progress: its notifications are timed. */
  watchProgress(id: number, entry: number): void {
    (this.watches ??= new ProgressWatches(this.calls)).watch(id, this.host.methodOf[entry].progress!);
  }

  /** A `notifications/progress` arrived (inbound.ts). */
  progressed(params: unknown): void {
    this.watches?.notified(params, performance.now());
  }

  /** Session arrivals: this session is due at `at` (performance clock); it starts afresh. */
  arrive(at: number): void {
    this.arrivalAt = at;
    this.everConnected = false;
    this.attempts = 0;
    this.expiring = false;
    this.reconnectAfterRetire = false;
    this.host.recorder.flowsStarted++;
  }

  /** Closed model: a request ended at `now`; its slot sends again after the think time. */
  private closedEnded(now: number): void {
    if (this.state === State.Retiring) {
      if (this.calls.size === 0) this.transport?.close(1000);
      return;
    }
    if (this.state !== State.Open) return;
    const at = this.loop!.ended(now);
    if (at > now) this.host.wake(this, at);
    else if (this.transport?.readEnds) this.sendAfterRead = true;
    else this.sendClosedNow(now);
  }

  /** Send what the closed model's free slots owe now; a full send buffer held some back: look again soon. */
  private sendClosedNow(now: number): void {
    sendClosed(this, this.loop!, now, now);
    if (this.loop!.next() <= now) this.host.wake(this, now + BLOCKED_RECHECK_MS);
  }

  /**
   * A request was answered UnsupportedProtocolVersion (-32022): the server no longer takes this
   * revision (a rolling deploy, a node behind the balancer on another version). The session stops
   * sending and asks server/discover again after a backoff (the reconnect policy's, growing with the
   * refusals in a row); it carries on when the server lists the revision again, and fails its
   * handshake (counted, then reconnects per the policy) when it does not. After MAX_REFUSALS in a row
   * without an ok answer between, it gives up (retires).
   */
  versionRefused(): void {
    if (this.state !== State.Open) return;
    if (++this.refusals > MAX_REFUSALS) {
      this.host.note(this, `${MAX_REFUSALS} UnsupportedProtocolVersion answers in a row: the session gives up`);
      this.retire(false);
      return;
    }
    this.state = State.Handshake;
    this.rediscovering = true;
    const now = performance.now();
    this.rediscoverAt = now + Math.max(1, backoffDelay(this.host.profile.reconnect, this.refusals, Math.random()));
    this.host.note(this, `UnsupportedProtocolVersion: asking server/discover again`);
    this.host.wake(this, this.rediscoverAt);
  }

  /** A cacheable list result came (list-cache.ts). */
  cacheFor(entry: number, ttlMs: unknown): void {
    const until = freshUntil(performance.now(), ttlMs);
    if (until > 0) (this.cachedUntil ??= new Float64Array(this.host.templates.length))[entry] = until;
  }

  handshakeAnswered(answer: { result?: unknown; error?: unknown }): void {
    const now = performance.now();
    if (this.state !== State.Handshake) {
      // Retired or stopped while initializing: the session is not wanted any more.
      this.transport?.close(1000);
      return;
    }
    const host = this.host;
    const version = agreedVersion(host, answer);
    if (version === undefined) {
      host.recorder.error('handshake');
      host.note(this, handshakeFailure(host, answer));
      this.state = State.Backoff; // closed() sees a failed handshake already counted
      this.transport?.close(1002, `${handshakeMethod(host)} failed`);
      return;
    }
    this.transport?.setProtocolVersion?.(version);
    if (this.rediscovering) {
      // The server takes the revision again: the open session carries on where it was (its schedule, its flow).
      this.rediscovering = false;
      this.state = State.Open;
      host.wake(this, now);
      return;
    }
    if (!host.stateless) this.write(initializedFrame(host), 'notification', undefined, INITIALIZED_ROUTE);
    host.recorder.handshakeDone(this.connectStartedAt, now, this.transport?.subprotocol);
    this.state = State.Open;
    this.settle();
    this.subscriptionIds = NO_SUBSCRIPTIONS;
    if (host.profile.subscribe) subscribe(this);
    this.everConnected = true;
    this.answeredHere = false;
    if (!this.expiring) this.attempts = 0;
    const ttl = host.profile.sessionTtlMs;
    this.ttlAt = ttl > 0 ? now + ttl : Infinity;
    const closed = host.profile.closed;
    if (closed) {
      (this.loop ??= new ClosedLoop(closed)).restart(now);
      if (host.profile.slowRead) (this.slow ??= new SlowReader(host.profile.slowRead)).start(now);
      host.wake(this, now);
      return;
    }
    const flow = host.flow;
    if (flow !== undefined) {
      // The plan starts at the arrival (its connect and handshake count in the first step), or now.
      (this.flow ??= new FlowRun(flow, this)).start(host.arrivals ? this.arrivalAt : now, now);
      if (!host.arrivals) host.recorder.flowsStarted++;
      if (this.flow.done) return this.flowDone();
      if (host.mix.length === 0) {
        if (host.profile.slowRead) (this.slow ??= new SlowReader(host.profile.slowRead)).start(now);
        const next = this.flow.next();
        if (next !== Infinity) host.wake(this, next);
        return;
      }
    }
    const rate = host.rate();
    // Each session keeps its own phase of the interval on the run's clock, spread evenly over the run's sessions.
    const start = phasedStart(now, host.t0, 1000 / rate, host.sessionIndex(this.slot));
    if (this.bucket) {
      this.bucket.setRate(rate);
      this.bucket.restart(start);
    } else this.bucket = new TokenBucket(rate, host.profile.burst, start);
    const slowRead = host.profile.slowRead;
    if (slowRead) (this.slow ??= new SlowReader(slowRead)).start(now);
    host.wake(this, slowRead ? Math.min(start, now) : start);
    if (start - now >= IDLE_MS) this.transport?.idle?.();
  }

  write(frame: Buffer | string, kind: keyof SentCounts, id?: number, route?: Route): boolean {
    const transport = this.transport;
    if (!transport?.send(frame, id, route)) return false;
    // Held inside mcpload until a connection is free: counted when it reaches the socket (wired()).
    if (transport.queues === true && id !== undefined) return true;
    const rec = this.host.recorder;
    rec.sent[kind]++;
    rec.bytesSent += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    return true;
  }

  /**
   * One request's connection failed after it was written, and only that connection (Streamable HTTP):
   * the request fails as `closed` (one closed error), the session stays open with its session id.
   * A notification or answer lost that way is a closed error too. No reconnect, no new initialize.
   */
  requestLost(id: number | undefined, err: Error): void {
    if (id !== undefined && !this.calls.lost(id)) return;
    this.host.recorder.error('closed');
    this.host.note(
      this,
      id === undefined ? 'a notification lost with its connection; the session goes on' : `request ${id} lost with its connection; the session goes on`,
      err,
    );
    if (this.state === State.Retiring && this.calls.size === 0) this.transport?.close(1000);
  }

  waiting(id: number): boolean {
    return this.calls.get(id) !== undefined;
  }

  /** Request `id`, held by a transport that queues, reached its socket: now it is sent. */
  wired(id: number, bytes: number): void {
    const p = this.calls.wire(id, performance.now());
    if (p === undefined) return;
    const rec = this.host.recorder;
    rec.sent.request++;
    rec.bytesSent += bytes;
    if (p.entry !== HANDSHAKE) methodsAt(this.host, p.intended)[p.entry].sent++;
  }

  /**
   * The engine reached this session's wake time. `until`: send what is due up to then (the ticker
   * looks half a tick ahead, see engine.ts), never later than `now` otherwise.
   */
  wake(now: number, until = now): void {
    switch (this.state) {
      case State.Open:
        return this.pump(now, until);
      case State.Handshake:
        if (this.rediscoverAt === 0) return;
        if (now < this.rediscoverAt) return this.host.wake(this, this.rediscoverAt);
        this.rediscoverAt = 0;
        this.host.recorder.streams.rediscovered++;
        return this.sendHandshake(now);
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
    if (this.loop !== undefined) return this.pumpClosed(now, until);
    if (this.flow !== undefined) return this.pumpFlow(now, until);
    const bucket = this.bucket!;
    const rate = this.host.rate();
    if (bucket.rate !== rate) bucket.setRate(rate); // stages ramp the rate of open sessions too
    // `now` is when the engine began this wake-up's batch of sessions; this session's requests are
    // built and queued only now, after the ones before it, so their send time is read here.
    const sendAt = performance.now();
    if (HOLD_WAKE) this.transport!.holdTurn?.();
    sendDue(this, sendAt, until > sendAt ? until : sendAt);
    // Still due means blocked (in-flight bound, full send buffer): the tokens wait in the bucket, up
    // to its burst, and an answer sends them (answered()). Waking every wheel slot meanwhile would
    // spin; a recheck now and then counts what overflowed and notices a drained send buffer.
    let next = bucket.due;
    if (next <= until) next = now + BLOCKED_RECHECK_MS;
    const slow = this.slow;
    if (slow !== undefined && slow.active) next = Math.min(next, slow.toggle(now, this.transport!));
    this.host.wake(this, Math.min(next, this.ttlAt));
  }

  /** A flow's wake-up: its due steps go out (and the mix beside it, if the profile has one). */
  private pumpFlow(now: number, until: number): void {
    const sendAt = performance.now();
    const flow = this.flow!;
    let next = flow.wake(sendAt, until > sendAt ? until : sendAt);
    if (flow.done) return this.flowDone();
    const bucket = this.bucket;
    if (bucket !== undefined) {
      const rate = this.host.rate();
      if (bucket.rate !== rate) bucket.setRate(rate);
      sendDue(this, sendAt, until > sendAt ? until : sendAt);
      next = Math.min(next, bucket.due <= until ? now + BLOCKED_RECHECK_MS : bucket.due);
    }
    const slow = this.slow;
    if (slow !== undefined && slow.active) next = Math.min(next, slow.toggle(now, this.transport!));
    next = Math.min(next, this.ttlAt);
    if (next !== Infinity) this.host.wake(this, next);
  }

  /** The closed model's wake-up: free slots whose think time is over send; wake for the next one. */
  private pumpClosed(now: number, until: number): void {
    const loop = this.loop!;
    const sendAt = performance.now();
    this.transport!.holdTurn?.();
    sendClosed(this, loop, sendAt, until > sendAt ? until : sendAt);
    let next = loop.next();
    if (next <= until) next = now + BLOCKED_RECHECK_MS; // a full send buffer held them back
    const slow = this.slow;
    if (slow !== undefined && slow.active) next = Math.min(next, slow.toggle(now, this.transport!));
    next = Math.min(next, this.ttlAt);
    if (next !== Infinity) this.host.wake(this, next);
  }

  /** Request `id` passed its deadline (a negative id: the connect deadline of connection -id). */
  timedOut(id: number): void {
    if (id < 0) {
      // Still connecting means the upgrade never came.
      if (-id === this.generation && this.state === State.Connecting) {
        this.host.note(this, 'connect timed out');
        this.transport?.close();
      }
      return;
    }
    // A request still waiting inside mcpload for a connection never reached the server: nothing to cancel there.
    const pending = this.calls.get(id);
    if (pending === undefined) return;
    const wired = pending.wired;
    if (this.watches !== undefined) this.watches.ended(id, 0, 0, false);
    const cancelling = pending.entry >= 0 && this.host.cancelsAt[pending.entry] === 1;
    const entry = this.calls.timedOut(id, cancelling);
    if (entry === undefined) return;
    if (entry === HANDSHAKE) {
      this.host.recorder.error('handshake');
      this.host.note(this, 'initialize timed out');
      this.state = State.Backoff;
      this.transport?.close(1000, 'initialize timed out');
      return;
    }
    // The server may stop working on it (MCP: the sender of a timed-out request SHOULD cancel it).
    const cancel = cancelling ? this.host.cancelAfter : this.host.cancel;
    if (cancel !== undefined && wired) this.write(cancel.frame(id), 'cancellation');
    // A stream still coming for it would hold its connection (Streamable HTTP): the transport lets it go.
    if (this.transport?.abandon?.(id) && !cancelling) this.host.note(this, `request ${id} timed out: its answer stream abandoned`);
    if (this.flow !== undefined) this.flowSettled(id, performance.now());
    if (this.loop !== undefined) this.closedEnded(performance.now());
    else if (this.state === State.Retiring && this.calls.size === 0) this.transport?.close(1000);
  }

  /** Stop sending; close when in-flight requests are answered. `reconnect`: open a new session then (TTL). */
  retire(reconnect: boolean): void {
    this.slow?.stop(this.transport);
    if (this.state === State.Open || this.state === State.Handshake) {
      this.state = State.Retiring;
      this.reconnectAfterRetire = reconnect;
      if (this.calls.size === 0) this.transport?.close(1000);
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

  /** The run is over: close now, whatever is in flight (counted as closed by the drain). */
  stop(): void {
    this.settle();
    const wasConnected = this.state === State.Open || this.state === State.Retiring || this.state === State.Handshake;
    this.calls.failAll();
    this.state = State.Stopped;
    if (wasConnected) this.transport?.close(1000, 'run finished');
    else this.transport?.close(1000);
  }

  /** The connection ended; what it counts as depends on the state it ended in and why (ending.ts). */
  closed(reason: CloseReason): void {
    this.settle();
    const was = this.state;
    this.calls.failAll();
    this.watches?.clear();
    this.slow?.reset();
    this.transport = undefined;
    this.calls.reset();
    const answered = this.answeredHere;
    this.answeredHere = false;
    if (answered && this.expiring) {
      this.expiring = false;
      this.attempts = 0;
    }
    const end = ending(was, reason, this.reconnectAfterRetire, answered);
    if (end.expiredUnanswered) this.expiring = true;
    if (end.error !== undefined) this.host.recorder.error(end.error);
    // One line per connection's end, with the error that caused it: not one for each.
    const failure = this.failure;
    this.failure = undefined;
    if (end.note !== undefined) this.host.note(this, end.note, failure);
    else if (failure !== undefined && was !== State.Stopped) this.host.note(this, 'connection error', failure);
    switch (end.next) {
      case Next.Requeue:
        this.state = State.Queued;
        this.host.enqueueConnect(this);
        return;
      case Next.Idle:
        this.state = State.Idle;
        if (this.host.arrivals) this.host.released(this);
        return;
      case Next.Backoff:
        this.backoff();
        return;
      default:
        return;
    }
  }

  /** The connection failed; its close follows, counts, and tells this error in its log line. */
  failed(err: Error): void {
    this.failure = err;
  }

  private backoff(): void {
    const policy = this.host.profile.reconnect;
    this.attempts++;
    if (this.host.arrivals && this.attempts >= arrivalAttempts(policy)) {
      // An arrival gives up: counted, and its slot is free for the next arrival.
      this.state = State.Idle;
      this.host.recorder.flowsAbandoned++;
      this.host.released(this);
      return;
    }
    if (policy.maxAttempts > 0 && this.attempts > policy.maxAttempts) {
      this.state = State.Failed;
      return;
    }
    this.reconnectAt = performance.now() + backoffDelay(policy, this.attempts, Math.random());
    this.state = State.Backoff;
    this.host.wake(this, this.reconnectAt);
  }
}
