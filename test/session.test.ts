/**
 * Sessions driven by a real in-process Engine against small real ws servers (test/helpers):
 * id correlation, timeouts, server-to-client traffic, the in-flight bound, slow readers.
 * Counts are exact where the behaviour is deterministic, inequalities where timing decides.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runEngine, until } from './helpers/engine-run.js';
import { notifyingServer, outOfOrderServer, pingingServer, silentServer, result, startRawServer, type RawServer } from './helpers/raw-servers.js';
import { startTarget } from '../src/reference-server/server.js';

const servers: RawServer[] = [];
async function use<T extends RawServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const NO_ERRORS = { connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 };

describe('responses are matched by id', () => {
  it('matches responses that arrive out of order, every one of them', async () => {
    const server = await use(outOfOrderServer(5, 20));
    const { total } = await runEngine({ url: server.url, clients: 3, profile: { rate: 100 }, durationMs: 1000, drainMs: 1500 });

    expect(server.reversedBatches()).toBeGreaterThan(0); // the server really did reorder
    expect(total.sent).toBeGreaterThan(20);
    expect(total.ok).toBe(total.sent);
    expect(total.errors).toEqual(NO_ERRORS);
    expect(total.closed).toBe(0);
    // Every response received was matched to a request: ours plus one initialize result per session.
    expect(total.messagesReceived.response).toBe(total.ok + total.sessionsEstablished);
    expect(total.latencyCount).toBe(total.ok);
    expect(total.latencyRawCount).toBe(total.ok);
  });
});

describe('timeouts', () => {
  it('counts requests a silent server never answers as timeouts', async () => {
    const server = await use(silentServer());
    const { total } = await runEngine({
      url: server.url,
      clients: 2,
      profile: { rate: 20, timeoutMs: 300 },
      durationMs: 1000,
      drainMs: 100,
    });

    expect(total.sessionsEstablished).toBeGreaterThanOrEqual(1);
    expect(total.errors.timeout).toBeGreaterThan(0);
    let methodTimeouts = 0;
    for (const m of Object.values(total.methods)) methodTimeouts += m.timeout;
    expect(methodTimeouts).toBe(total.errors.timeout);
    expect(total.timeout).toBe(total.errors.timeout);
    expect(total.ok).toBe(0);
    expect(total.latencyCount).toBe(0);
    // Every request ended one way: timed out, or failed when the run closed the connection.
    expect(total.timeout + total.closed).toBe(total.sent);
    expect(total.errors.protocol).toBe(0);
    expect(total.errors.rpc).toBe(0);
  });
});

describe('server-to-client traffic', () => {
  it('answers a server ping with an empty result and an unknown server request with -32601', async () => {
    const server = await use(pingingServer());
    const { total } = await runEngine({ url: server.url, clients: 1, profile: { rate: 10 }, durationMs: 500 });
    await until(() => server.replies.length >= 2);

    expect(total.sessionsEstablished).toBe(1);
    expect(server.replies).toHaveLength(2);
    expect(server.replies[0]).toStrictEqual({ jsonrpc: '2.0', id: 'srv-ping-1', result: {} });
    expect(server.replies[1]).toMatchObject({ jsonrpc: '2.0', id: 42, error: { code: -32601 } });
    expect(server.replies[1].result).toBeUndefined();
    expect(total.messagesReceived.request).toBe(2);
    expect(total.messagesSent.response).toBe(2);
    expect(total.errors).toEqual(NO_ERRORS);
  });

  it('counts notifications as received notifications, not as errors', async () => {
    const server = await use(notifyingServer(5));
    const { total } = await runEngine({ url: server.url, clients: 2, profile: { rate: 20 }, durationMs: 500 });

    expect(total.sessionsEstablished).toBe(2);
    expect(total.messagesReceived.notification).toBe(10);
    expect(total.errors).toEqual(NO_ERRORS);
    expect(total.ok).toBe(total.sent);
  });
});

describe('the in-flight bound', () => {
  it('sends at most maxInFlight per session and counts the rest as dropped', async () => {
    const server = await use(silentServer());
    const { total } = await runEngine({
      url: server.url,
      clients: 2,
      profile: { rate: 200, maxInFlight: 4, timeoutMs: 10_000 },
      durationMs: 500,
      drainMs: 100,
    });

    expect(total.sessionsEstablished).toBe(2);
    expect(total.sent).toBe(8);
    expect(total.dropped).toBeGreaterThan(0);
    expect(total.maxInFlight).toBeGreaterThan(0);
    expect(total.maxInFlight).toBeLessThanOrEqual(8);
    // The silent server answers nothing: the 8 are failed as closed when the run ends.
    expect(total.closed).toBe(8);
    expect(total.timeout).toBe(0);
    expect(total.ok).toBe(0);
    // Requests the server actually got: initialize + 4 per session.
    const requests = server.frames.filter((f) => !f.binary && /"id":/.test(f.text));
    expect(requests).toHaveLength(2 + 8);
  });
});

describe('tokens held by the in-flight bound', () => {
  it('wait in the bucket (up to its burst) and go out as soon as an answer frees the slot', async () => {
    // The first request of each connection is answered after 300 ms, every later one at once. With one
    // request in flight allowed, the tokens due meanwhile (30 at 100/s, under the burst of 50) must wait,
    // not be dropped, and then go out back to back, each answer releasing the next.
    const server = await use(
      startRawServer({
        connection: (conn) => {
          let first = true;
          return {
            onRequest(msg) {
              if (!first) return conn.send(result(msg.id));
              first = false;
              setTimeout(() => conn.send(result(msg.id)), 300);
            },
          };
        },
      }),
    );
    const { total } = await runEngine({
      url: server.url,
      clients: 1,
      profile: { rate: 100, burst: 50, maxInFlight: 1, timeoutMs: 10_000 },
      durationMs: 800,
      drainMs: 500,
    });

    expect(total.errors).toEqual(NO_ERRORS);
    expect(total.dropped).toBe(0);
    // About 80 due over 800 ms; the ones held behind the first answer were sent, not lost.
    expect(total.sent).toBeGreaterThanOrEqual(60);
    expect(total.ok).toBe(total.sent);
    expect(total.maxInFlight).toBeLessThanOrEqual(1);
  });
});

describe('a slow reader', () => {
  it('still completes requests while pausing its socket', async () => {
    const target = await use(startTarget({ port: 0 }));
    const { total } = await runEngine({
      url: target.url,
      clients: 2,
      profile: { rate: 50, slowRead: { pauseMs: 300, intervalMs: 400 } },
      durationMs: 1200,
      drainMs: 1500,
    });

    expect(total.ok).toBeGreaterThan(0);
    expect(total.errors.protocol).toBe(0);
    expect(total.errors.rpc).toBe(0);
    expect(total.ok + total.timeout + total.closed).toBe(total.sent);
  });

  // BUG (src/worker/session/session.ts): a session that is paused (slowRead) when the run stops is never
  // resumed: toggleReading() only runs from pump(), which only runs in State.Open, and retire()
  // does not resume the transport. Its in-flight responses cannot be read during the drain, so
  // they are counted as `closed` although the server answered at once and the drain (1.5 s) is
  // far longer than the pause (≤ 390 ms). With pause 390 of every 400 ms a session is almost
  // always paused at stop. Expected: every request answered during the drain (closed == 0).
  it('answers its in-flight requests during the drain even if paused at stop', async () => {
    const target = await use(startTarget({ port: 0 }));
    const { total } = await runEngine({
      url: target.url,
      clients: 2,
      profile: { rate: 50, slowRead: { pauseMs: 390, intervalMs: 400 } },
      durationMs: 1000,
      drainMs: 1500,
    });

    expect(total.sent).toBeGreaterThan(0);
    expect(total.closed).toBe(0);
    expect(total.ok).toBe(total.sent);
  });
});
