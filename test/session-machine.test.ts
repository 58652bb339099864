/**
 * The session state machine over the in-memory transport pair (src/worker/transport/memory.ts): a
 * real Engine, a small in-process MCP responder on the other side, no sockets. Handshake, request
 * outcomes, server requests, and every way a connection ends (CloseReason) counted exactly once.
 * Fake timers only where the maths of timeouts and backoff is the point.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runEngine, type EngineRun, type EngineRunOptions } from './helpers/engine-run.js';
import { memoryConnect, type MemoryServerSide } from '../src/worker/transport/memory.js';
import { CloseKind, type Route } from '../src/worker/transport/transport.js';

interface Frame {
  msg: { id?: unknown; method?: string; result?: unknown; error?: unknown; params?: unknown };
  /** What the session told the transport about the frame. */
  id: number | undefined;
  route: Route | undefined;
}

/** One connection as the responder sees it. */
interface Conn {
  index: number;
  server: MemoryServerSide;
  frames: Frame[];
  /** Requests of the mix received (not the handshake). */
  requests: number;
  openedAt: number;
}

interface Behaviour {
  /** How the responder meets the handshake: answer (the default, with `version`), an error, silence, or a close of this kind. */
  handshake?: 'ok' | 'error' | 'silent' | CloseKind;
  /** The protocolVersion its initialize result names. */
  version?: string;
  /** A request of the mix on connection `c`; default: answered with a result at once. */
  request?: (msg: Frame['msg'], c: Conn) => void;
  /** Right after the handshake was answered. */
  opened?: (c: Conn) => void;
}

const result = (id: unknown, value: object = {}) => JSON.stringify({ jsonrpc: '2.0', id, result: value }) + '\n';
const rpcError = (id: unknown) => JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: 'no' } }) + '\n';

/** A small MCP responder on the server side of the in-memory pair. */
function responder(b: Behaviour = {}) {
  const conns: Conn[] = [];
  const connect = memoryConnect((server) => {
    const c: Conn = { index: conns.length, server, frames: [], requests: 0, openedAt: Date.now() };
    conns.push(c);
    server.onmessage = (text, id, route) => {
      const msg = JSON.parse(text) as Frame['msg'];
      c.frames.push({ msg, id, route });
      if (msg.method === 'initialize') {
        const how = b.handshake ?? 'ok';
        if (how === 'ok') {
          server.send(result(msg.id, { protocolVersion: b.version ?? '2025-11-25', capabilities: {}, serverInfo: { name: 'memory', version: '0' } }));
          b.opened?.(c);
        } else if (how === 'error') server.send(rpcError(msg.id));
        else if (how !== 'silent') server.close(1011, how);
        return;
      }
      if (msg.method === undefined || msg.id === undefined) return; // notifications, answers to our requests
      c.requests++;
      if (b.request) b.request(msg, c);
      else server.send(result(msg.id, { content: [] }));
    };
  });
  return { connect, conns };
}

const FAST_RECONNECT = { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 0 };
const NO_ERRORS = { connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 };

function run(connect: EngineRunOptions['connect'], opts: Partial<EngineRunOptions> = {}): Promise<EngineRun> {
  return runEngine({ url: 'ws://memory.invalid/mcp', clients: 1, durationMs: 300, drainMs: 200, ...opts, connect, profile: { rate: 50, ...opts.profile } });
}

/** Fake timers for timeout and backoff maths: the engine's ticker, Date and the performance clock move only when told. */
async function runFake(connect: EngineRunOptions['connect'], opts: Partial<EngineRunOptions>): Promise<EngineRun> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] });
  const base = Date.now();
  const perf0 = performance.now();
  vi.spyOn(performance, 'now').mockImplementation(() => perf0 + (Date.now() - base));
  const done = run(connect, opts);
  await vi.advanceTimersByTimeAsync((opts.durationMs ?? 300) + (opts.drainMs ?? 200) + 1000);
  return done;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('handshake', () => {
  it('initializes, sends notifications/initialized, and hands the agreed version to the transport', async () => {
    const target = responder({ version: '2025-06-18' });
    const r = await run(target.connect, { clients: 2 });

    expect(r.total.errors).toEqual(NO_ERRORS);
    expect(r.total.sessionsEstablished).toBe(2);
    expect(r.total.handshakes).toBe(2);
    expect(r.total.messagesSent.notification).toBe(2);
    for (const c of target.conns) {
      expect(c.frames[0].msg.method).toBe('initialize');
      expect(c.frames[0].id).toBe(c.frames[0].msg.id); // the handshake is a request: its id is handed over
      expect(c.frames[1].msg.method).toBe('notifications/initialized');
      expect(c.frames[1].id).toBeUndefined();
      // The version the server answered, not the one asked for: the session read it once, for the transport too.
      expect(c.server.protocolVersion).toBe('2025-06-18');
    }
  });

  it('counts an error answer to initialize as a handshake error, backs off and gives up after maxAttempts', async () => {
    const target = responder({ handshake: 'error' });
    const r = await run(target.connect, { durationMs: 500, profile: { reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 } } });

    expect(r.total.errors).toEqual({ ...NO_ERRORS, handshake: 3 });
    expect(r.total.reconnects).toBe(2);
    expect(r.total.sessionsEstablished).toBe(0);
    expect(r.total.sent).toBe(0);
    // Failed for good while the run still wants it.
    expect(r.snapshots.filter((s) => s.sessionsWanted === 1).at(-1)!.sessionsFailed).toBe(1);
    expect(target.conns).toHaveLength(3);
  });

  it('counts a server close during initialize as a handshake error, and an unreachable server as a connect error', async () => {
    const closing = await run(responder({ handshake: CloseKind.Peer }).connect, {
      durationMs: 500,
      profile: { reconnect: { ...FAST_RECONNECT, maxAttempts: 1 } },
    });
    expect(closing.total.errors).toEqual({ ...NO_ERRORS, handshake: 2 });

    const unreachable = await run(responder({ handshake: CloseKind.Unreachable }).connect, {
      durationMs: 500,
      profile: { reconnect: { ...FAST_RECONNECT, maxAttempts: 1 } },
    });
    expect(unreachable.total.errors).toEqual({ ...NO_ERRORS, connect: 2 });
    expect(unreachable.total.reconnects).toBe(1);
  });

  it('counts an initialize that is never answered as a handshake error once its timeout passes', async () => {
    const target = responder({ handshake: 'silent' });
    const r = await runFake(target.connect, {
      durationMs: 1000,
      profile: { timeoutMs: 400, reconnect: { initialDelayMs: 10, maxDelayMs: 10, maxAttempts: 1 } },
    });

    // Two attempts of 400 ms each fit in the second of sending; both time out.
    expect(r.total.errors).toEqual({ ...NO_ERRORS, handshake: 2 });
    expect(r.total.sessionsEstablished).toBe(0);
    expect(target.conns).toHaveLength(2);
  });
});

describe('requests', () => {
  it('matches every answer, and tells the transport each request id and route', async () => {
    const target = responder();
    const r = await run(target.connect, { profile: { rate: 50, mix: [{ method: 'tools/call', weight: 1, params: { name: 'echo', arguments: {} } }] } });

    expect(r.total.errors).toEqual(NO_ERRORS);
    expect(r.total.sent).toBeGreaterThan(0);
    expect(r.total.ok).toBe(r.total.sent);
    expect(r.total.latencyCount).toBe(r.total.ok);
    const requests = target.conns[0].frames.filter((f) => f.msg.method === 'tools/call');
    expect(requests).toHaveLength(r.total.sent);
    for (const f of requests) {
      expect(f.id).toBe(f.msg.id);
      expect(f.route).toEqual(['mcp-method', 'tools/call', 'mcp-name', 'echo']);
    }
  });

  it('counts JSON-RPC error answers as rpc errors, with their latency', async () => {
    const target = responder({ request: (msg, c) => c.server.send(rpcError(msg.id)) });
    const r = await run(target.connect);

    expect(r.total.sent).toBeGreaterThan(0);
    expect(r.total.rpcError).toBe(r.total.sent);
    expect(r.total.errors).toEqual({ ...NO_ERRORS, rpc: r.total.sent });
    expect(r.total.ok).toBe(0);
    expect(r.total.latencyCount).toBe(r.total.sent);
  });

  it('counts unanswered requests as timeouts when their deadline passes', async () => {
    const target = responder({ request: () => {} });
    const r = await runFake(target.connect, { durationMs: 1000, drainMs: 600, profile: { rate: 20, timeoutMs: 300 } });

    expect(r.total.sent).toBeGreaterThan(0);
    expect(r.total.timeout).toBe(r.total.sent); // the drain outlasts every deadline
    expect(r.total.errors).toEqual({ ...NO_ERRORS, timeout: r.total.sent });
    expect(r.total.closed).toBe(0);
  });

  it('takes a late answer to a timed-out request as counted already, and a second answer as a protocol error', async () => {
    let late = 0;
    let doubled = 0;
    const target = responder({
      request: (msg, c) => {
        if ((msg.id as number) % 2 === 1) {
          late++;
          setTimeout(() => c.server.send(result(msg.id)), 300); // after its 200 ms deadline
        } else {
          doubled++;
          c.server.send(result(msg.id));
          c.server.send(result(msg.id));
        }
      },
    });
    const r = await runFake(target.connect, { durationMs: 1000, drainMs: 500, profile: { rate: 20, timeoutMs: 200, reconnect: FAST_RECONNECT } });

    expect(late).toBeGreaterThan(0);
    expect(doubled).toBeGreaterThan(0);
    expect(r.total.timeout).toBe(late);
    expect(r.total.ok).toBe(doubled);
    expect(r.total.errors).toEqual({ ...NO_ERRORS, timeout: late, protocol: doubled });
  });
});

describe('server requests', () => {
  it('answers a ping with an empty result and anything else with -32601, as answers (no request id of ours)', async () => {
    const target = responder({
      opened: (c) => {
        c.server.send(JSON.stringify({ jsonrpc: '2.0', id: 'p-1', method: 'ping' }) + '\n');
        c.server.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'sampling/createMessage', params: {} }) + '\n');
      },
    });
    const r = await run(target.connect);

    expect(r.total.errors).toEqual(NO_ERRORS);
    expect(r.total.messagesReceived.request).toBe(2);
    expect(r.total.messagesSent.response).toBe(2);
    const answers = target.conns[0].frames.filter((f) => f.msg.method === undefined);
    expect(answers.map((f) => f.msg)).toEqual([
      { jsonrpc: '2.0', id: 'p-1', result: {} },
      { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'Method not found: sampling/createMessage' } },
    ]);
    for (const f of answers) {
      expect(f.id).toBeUndefined();
      expect(f.route).toBeUndefined();
    }
  });
});

describe('how a connection ends', () => {
  /** The first connection holds its requests and ends with `kind` at the fifth; later ones answer everything. */
  function endingAtFifth(kind: CloseKind) {
    return responder({
      request: (msg, c) => {
        if (c.index > 0) c.server.send(result(msg.id));
        else if (c.requests === 5) c.server.close(1001, kind);
      },
    });
  }
  const opts = { durationMs: 600, drainMs: 300, profile: { rate: 100, reconnect: FAST_RECONNECT } };

  it('a server close fails the requests in flight as closed, counts one closed error, and reconnects', async () => {
    const target = endingAtFifth(CloseKind.Peer);
    const r = await run(target.connect, opts);

    expect(target.conns.length).toBeGreaterThanOrEqual(2);
    expect(r.total.errors).toEqual({ ...NO_ERRORS, closed: 1 });
    // Every request the first connection carried was in flight when it closed.
    expect(r.total.closed).toBe(target.conns[0].requests);
    expect(r.total.ok).toBe(r.total.sent - r.total.closed);
    expect(r.total.reconnects).toBe(target.conns.length - 1);
    expect(r.total.sessionsEstablished).toBe(target.conns.length);
  });

  it('an expired session that answered requests initializes a new one without an error; its requests in flight count as closed', async () => {
    // The first connection answers four requests, then forgets the session at the fifth.
    const target = responder({
      request: (msg, c) => {
        if (c.index > 0 || c.requests < 5) c.server.send(result(msg.id));
        else if (c.requests === 5) c.server.close(1001, CloseKind.SessionExpired);
      },
    });
    const r = await run(target.connect, opts);

    expect(r.total.errors).toEqual(NO_ERRORS);
    expect(r.total.closed).toBe(target.conns[0].requests - 4);
    expect(r.total.reconnects).toBe(1);
    expect(r.total.sessionsEstablished).toBe(2);
    expect(target.conns).toHaveLength(2);
  });

  it('a session that expires before any of its requests was answered counts as closed and backs off', async () => {
    const target = endingAtFifth(CloseKind.SessionExpired);
    const r = await run(target.connect, opts);

    expect(r.total.errors).toEqual({ ...NO_ERRORS, closed: 1 });
    expect(r.total.closed).toBe(target.conns[0].requests);
    expect(r.total.reconnects).toBe(1);
    expect(r.notes.some((n) => n.includes('before any request was answered: backing off'))).toBe(true);
  });

  it('a protocol violation counts as one protocol error, not also as closed', async () => {
    const target = endingAtFifth(CloseKind.ProtocolViolation);
    const r = await run(target.connect, opts);

    expect(r.total.errors).toEqual({ ...NO_ERRORS, protocol: 1 });
    expect(r.total.closed).toBe(target.conns[0].requests);
  });

  it('a lost connection counts as closed, like a server close', async () => {
    const r = await run(endingAtFifth(CloseKind.Lost).connect, opts);
    expect(r.total.errors).toEqual({ ...NO_ERRORS, closed: 1 });
  });
});

describe('reconnect backoff', () => {
  it('waits initialDelay × 2^(attempt-1), capped at maxDelay, with full jitter, between attempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999); // the top of each jitter range
    const target = responder({ handshake: CloseKind.Peer });
    const r = await runFake(target.connect, { durationMs: 2000, profile: { reconnect: { initialDelayMs: 100, maxDelayMs: 300, maxAttempts: 4 } } });

    expect(r.total.errors).toEqual({ ...NO_ERRORS, handshake: 5 });
    expect(r.total.reconnects).toBe(4);
    const gaps = target.conns.slice(1).map((c, i) => c.openedAt - target.conns[i].openedAt);
    // 100, 200, then the 300 cap twice; a reconnect waits for the engine's next 1 ms tick at most.
    [100, 200, 300, 300].forEach((cap, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(Math.floor(cap * 0.999));
      expect(gaps[i]).toBeLessThanOrEqual(cap + 3);
    });
  });
});
