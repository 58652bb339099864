/**
 * The pools behind an engine's Streamable HTTP sessions: one request pool per target origin (and
 * source address) shared by all of them, and a small one for notifications, answers to server
 * requests and DELETEs. The request pool of an `http:` origin is the hand-written one (h1-pool.ts:
 * the hot path); https, the small pool and the GET streams are undici's.
 */
import { Pool } from 'undici';
import { H1Pool, type RequestPool } from './h1-pool.js';
import type { Connect, ConnectOptions } from './transport.js';
import type { BodyBudget, Endpoint, HttpClientOptions } from './http-endpoint.js';
import { HttpTransport } from './http.js';

/** Response bytes an engine's POSTs may hold at once (see BodyBudget): four times the default payload bound. */
export const ENGINE_BODY_BUDGET = 256 * 1024 * 1024;

/** One undici Pool per origin (and source address) for all sessions of an engine. */
export class HttpClients {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly budget: BodyBudget;
  private closing: Promise<void> | undefined;

  constructor(readonly opts: HttpClientOptions) {
    // At least one whole payload fits, whatever --max-payload says.
    this.budget = { held: 0, limit: Math.max(ENGINE_BODY_BUDGET, opts.maxPayload) };
  }

  readonly connect: Connect = (opts, events) => new HttpTransport(this.endpoint(opts), opts, events, this.opts);

  private endpoint(opts: ConnectOptions): Endpoint {
    const key = opts.localAddress ? opts.url + ' ' + opts.localAddress : opts.url;
    let endpoint = this.endpoints.get(key);
    if (!endpoint) {
      const url = new URL(opts.url);
      const waitMs = this.opts.timeoutMs + 1000;
      const options = (connections: number): Pool.Options => ({
        // No pipelining: MCP POSTs are not idempotent, and an answer may be an SSE stream that would
        // hold up every request behind it on the connection.
        connections,
        pipelining: 1,
        headersTimeout: waitMs,
        bodyTimeout: waitMs,
        connect: {
          ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
          rejectUnauthorized: opts.rejectUnauthorized ?? true,
          ...(opts.ca ? { ca: opts.ca } : {}),
        },
      });
      // The session times every request on this pool and aborts it at its deadline (abandon()): the
      // pool keeps no timer per request of its own here, except for those the session does not time
      // (HttpTransport.send gives them waitMs).
      const connections = Math.max(1, this.opts.connections);
      const pool: RequestPool =
        url.protocol === 'http:'
          ? new H1Pool(url.origin, { connections, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) })
          : new Pool(url.origin, { ...options(connections), headersTimeout: 0, bodyTimeout: 0 });
      endpoint = {
        pool,
        control: new Pool(url.origin, options(Math.ceil(Math.max(1, this.opts.sessions) / 10))),
        // A GET stream has no answer to wait for: no body timeout on it.
        streams: this.opts.getStream ? new Pool(url.origin, { ...options(Math.max(1, this.opts.sessions)), bodyTimeout: 0 }) : undefined,
        path: url.pathname + url.search,
        waitMs,
        budget: this.budget,
      };
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** Let queued requests (DELETEs of closing sessions) finish for up to graceMs, then drop the rest. Idempotent. */
  close(graceMs = 1000): Promise<void> {
    return (this.closing ??= (async () => {
      const pools: RequestPool[] = [...this.endpoints.values()].flatMap((e) => (e.streams ? [e.pool, e.control, e.streams] : [e.pool, e.control]));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled(pools.map((p) => p.close())), grace]);
      clearTimeout(timer);
      await Promise.allSettled(pools.map((p) => p.destroy()));
    })());
  }
}
