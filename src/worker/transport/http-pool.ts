/**
 * The undici pools behind an engine's Streamable HTTP sessions: one request Pool per target origin
 * (and source address) shared by all of them, and a small one for notifications, answers to server
 * requests and DELETEs.
 */
import { Pool } from 'undici';
import type { Connect, ConnectOptions } from './transport.js';
import { RoutingHeaders } from './http-headers.js';
import { HttpTransport } from './http.js';

export interface HttpClientOptions {
  /** The most sessions this engine holds at once (sizes the small pool for notifications and answers). */
  sessions: number;
  /** Connections each request pool may open: see connectionsFor(). */
  connections: number;
  /** The profile's request timeout: undici gives up on a response a little after the session did. */
  timeoutMs: number;
  /** 2026-07-28 and later: no session, no initialize; routing headers on every request. */
  stateless: boolean;
  /** The revision spoken; sent as MCP-Protocol-Version (2025-11-25: the one initialize agreed on). */
  protocolVersion: string;
  maxPayload: number;
}

export interface Endpoint {
  /** Requests: as many connections as the engine has sessions. */
  pool: Pool;
  /**
   * Notifications, answers to server requests and DELETEs: quick 202s on connections of their own,
   * so an answer the server waits for never queues behind the streams that wait for it.
   */
  control: Pool;
  path: string;
}

/**
 * Connections for an engine's request pool: up to PER_SESSION per session (concurrent requests of a
 * session, as a browser or fetch opens them), within the open-files limit left after every session's
 * first connection (and its peer, when the target runs in this process).
 */
const PER_SESSION = 4;
export function connectionsFor(sessions: number, engines: number, openFilesSoft: number, reserve: number): number {
  const spare = Number.isFinite(openFilesSoft) ? Math.floor((openFilesSoft - reserve) / Math.max(1, engines)) - 2 * sessions : Infinity;
  return Math.max(1, sessions + Math.max(0, Math.min((PER_SESSION - 1) * sessions, spare)));
}

/** One undici Pool per origin (and source address) for all sessions of an engine. */
export class HttpClients {
  private readonly endpoints = new Map<string, Endpoint>();
  readonly routing: RoutingHeaders | undefined;
  private closing: Promise<void> | undefined;

  constructor(readonly opts: HttpClientOptions) {
    this.routing = opts.stateless ? new RoutingHeaders() : undefined;
  }

  readonly connect: Connect = (opts, events) => new HttpTransport(this.endpoint(opts), opts, events, this);

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
      endpoint = {
        pool: new Pool(url.origin, options(Math.max(1, this.opts.connections))),
        control: new Pool(url.origin, options(Math.ceil(Math.max(1, this.opts.sessions) / 10))),
        path: url.pathname + url.search,
      };
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** Let queued requests (DELETEs of closing sessions) finish for up to graceMs, then drop the rest. Idempotent. */
  close(graceMs = 1000): Promise<void> {
    return (this.closing ??= (async () => {
      const pools = [...this.endpoints.values()].flatMap((e) => [e.pool, e.control]);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled(pools.map((p) => p.close())), grace]);
      clearTimeout(timer);
      await Promise.allSettled(pools.map((p) => p.destroy()));
    })());
  }
}
