/**
 * Every error type of SPEC §3.5 is counted, by a real Engine against a real server that causes
 * exactly that error, and none of them crashes the run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runEngine } from './helpers/engine-run.js';
import {
  badHandshakeServer,
  closingServer,
  deadPort,
  garbageServer,
  rpcErrorServer,
  silentServer,
  type Garbage,
  type RawServer,
} from './helpers/raw-servers.js';

const servers: RawServer[] = [];
async function use<T extends RawServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Reconnect quickly so a short run sees several attempts. */
const FAST_RECONNECT = { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 0 };

function othersZero(errors: Record<string, number>, except: string[]): void {
  for (const [type, n] of Object.entries(errors)) if (!except.includes(type)) expect(n, `errors.${type}`).toBe(0);
}

describe('connect errors', () => {
  it('counts a refused connection as a connect error and keeps retrying', async () => {
    const dead = await use(deadPort());
    const { total } = await runEngine({ url: dead.url, clients: 1, profile: { reconnect: FAST_RECONNECT }, durationMs: 500, drainMs: 50 });

    expect(total.errors.connect).toBeGreaterThanOrEqual(2);
    expect(total.reconnects).toBeGreaterThanOrEqual(1);
    // Every attempt failed; the last one may still have been connecting when the run stopped.
    expect(total.errors.connect - total.reconnects).toBeGreaterThanOrEqual(0);
    expect(total.errors.connect - total.reconnects).toBeLessThanOrEqual(1);
    expect(total.sessionsEstablished).toBe(0);
    expect(total.sent).toBe(0);
    othersZero(total.errors, ['connect']);
  });

  it('gives up after reconnect.maxAttempts failed attempts', async () => {
    const dead = await use(deadPort());
    const { total, snapshots } = await runEngine({
      url: dead.url,
      clients: 1,
      profile: { reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 } },
      durationMs: 1000,
      drainMs: 50,
    });

    // The first attempt plus two retries, then the session is failed for good.
    expect(total.errors.connect).toBe(3);
    expect(total.reconnects).toBe(2);
    // ...and shows as failed (not as wanted-but-missing) while the run still wants it.
    const beforeStop = snapshots.filter((s) => s.sessionsWanted === 1).at(-1)!;
    expect(beforeStop.sessionsFailed).toBe(1);
    expect(beforeStop.sessionsOpen + beforeStop.sessionsConnecting).toBe(0);
  });
});

describe('handshake errors', () => {
  it.each(['error', 'no-version'] as const)('counts an initialize answered with %s as a handshake error', async (mode) => {
    const server = await use(badHandshakeServer(mode));
    const { total } = await runEngine({ url: server.url, clients: 1, profile: { reconnect: FAST_RECONNECT }, durationMs: 500, drainMs: 50 });

    expect(total.errors.handshake).toBeGreaterThanOrEqual(1);
    // One handshake error per connection the server accepted (the last may be cut short by the stop).
    expect(server.stats.accepted - total.errors.handshake).toBeGreaterThanOrEqual(0);
    expect(server.stats.accepted - total.errors.handshake).toBeLessThanOrEqual(1);
    expect(server.stats.closeCodes).toContain(1002);
    expect(total.sessionsEstablished).toBe(0);
    expect(total.sent).toBe(0);
    othersZero(total.errors, ['handshake']);
  });

  it('counts an unanswered initialize as a handshake error, not a request timeout', async () => {
    const server = await use(badHandshakeServer('silent'));
    const { total } = await runEngine({
      url: server.url,
      clients: 1,
      profile: { timeoutMs: 250, reconnect: FAST_RECONNECT },
      durationMs: 1000,
      drainMs: 50,
    });

    expect(total.errors.handshake).toBeGreaterThanOrEqual(1);
    expect(total.errors.timeout).toBe(0);
    expect(total.sessionsEstablished).toBe(0);
    othersZero(total.errors, ['handshake']);
  });
});

describe('timeout errors', () => {
  it('counts unanswered requests as timeouts, per method and in errors alike', async () => {
    const server = await use(silentServer());
    const { total } = await runEngine({ url: server.url, clients: 1, profile: { rate: 50, timeoutMs: 250 }, durationMs: 1000, drainMs: 50 });

    expect(total.errors.timeout).toBeGreaterThan(0);
    expect(total.timeout).toBe(total.errors.timeout);
    othersZero(total.errors, ['timeout', 'handshake']);
  });
});

describe('protocol errors', () => {
  it.each<Garbage>(['not-json', 'binary', 'unknown-id', 'string-id'])('counts one %s message as exactly one protocol error', async (kind) => {
    const server = await use(garbageServer([kind]));
    const { total } = await runEngine({ url: server.url, clients: 1, profile: { rate: 20 }, durationMs: 400 });

    expect(total.sessionsEstablished).toBe(1);
    expect(total.errors.protocol).toBe(1);
    othersZero(total.errors, ['protocol']);
    // The session carried on: requests were still answered and matched.
    expect(total.sent).toBeGreaterThan(0);
    expect(total.ok).toBe(total.sent);
  });

  it('counts all four kinds from one server, one each', async () => {
    const server = await use(garbageServer(['not-json', 'binary', 'unknown-id', 'string-id']));
    const { total } = await runEngine({ url: server.url, clients: 2, profile: { rate: 20 }, durationMs: 400 });

    expect(total.sessionsEstablished).toBe(2);
    expect(total.errors.protocol).toBe(8);
    othersZero(total.errors, ['protocol']);
  });
});

describe('rpc errors', () => {
  it('counts JSON-RPC error responses as rpc errors, never as ok', async () => {
    const server = await use(rpcErrorServer());
    const { total } = await runEngine({ url: server.url, clients: 2, profile: { rate: 50 }, durationMs: 600, drainMs: 1000 });

    expect(total.sent).toBeGreaterThan(0);
    expect(total.ok).toBe(0);
    expect(total.rpcError).toBe(total.errors.rpc);
    expect(total.rpcError).toBe(total.sent);
    // Errors are responses too: their latency is recorded.
    expect(total.latencyCount).toBe(total.rpcError);
    othersZero(total.errors, ['rpc']);
  });
});

describe('closed errors', () => {
  it('counts a server close as closed, fails in-flight requests and reconnects', async () => {
    const server = await use(closingServer({ afterRequests: 3 }));
    const { total } = await runEngine({
      url: server.url,
      clients: 1,
      profile: { rate: 100, reconnect: FAST_RECONNECT },
      durationMs: 800,
      drainMs: 50,
    });

    expect(total.errors.closed).toBeGreaterThanOrEqual(1);
    expect(total.reconnects).toBeGreaterThanOrEqual(1);
    expect(server.stats.accepted).toBeGreaterThanOrEqual(2);
    expect(server.stats.closeCodes).toContain(1011);
    // The server answers nothing and closes after 3 requests: at least 3 fail per close.
    expect(total.closed).toBeGreaterThanOrEqual(3 * total.errors.closed);
    expect(total.closed).toBe(total.sent);
    othersZero(total.errors, ['closed']);
  });

  it('counts exactly one close when the server refuses to take the session back', async () => {
    const server = await use(closingServer({ afterRequests: 0, acceptConnections: 1 }));
    const { total } = await runEngine({
      url: server.url,
      clients: 1,
      profile: { rate: 20, reconnect: FAST_RECONNECT },
      durationMs: 500,
      drainMs: 50,
    });

    expect(total.sessionsEstablished).toBe(1);
    expect(total.errors.closed).toBe(1);
    expect(server.stats.refused).toBeGreaterThanOrEqual(1);
    expect(total.errors.connect).toBeGreaterThanOrEqual(1);
    // Every reconnect was refused, except perhaps one still connecting when the run stopped.
    expect(total.reconnects - total.errors.connect).toBeGreaterThanOrEqual(0);
    expect(total.reconnects - total.errors.connect).toBeLessThanOrEqual(1);
    othersZero(total.errors, ['closed', 'connect']);
  });
});
