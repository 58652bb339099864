/**
 * The shapes the Streamable HTTP pieces share (http-pool.ts makes them, http.ts uses them), in a
 * module of their own so the pool, the transport and the POST handler import downward only.
 */
import type { Pool } from 'undici';
import type { RequestPool } from './h1-pool.js';

/** What every HTTP session of an engine speaks. */
export interface HttpSettings {
  /** 2026-07-28 and later: no session, no initialize; routing headers on every request. */
  stateless: boolean;
  /** The revision spoken; sent as MCP-Protocol-Version (2025-11-25: from the one initialize agreed on). */
  protocolVersion: string;
  maxPayload: number;
  /** Each session opens a GET stream for server-initiated messages once initialized (--http-get-stream). */
  getStream: boolean;
}

export interface HttpClientOptions extends HttpSettings {
  /** The most sessions this engine holds at once (sizes the small pool for notifications and answers). */
  sessions: number;
  /** Connections each request pool may open: see connectionsFor() in pick.ts. */
  connections: number;
  /** The profile's request timeout: undici gives up on a response a little after the session did. */
  timeoutMs: number;
}

/**
 * Response bytes all of an engine's POSTs hold at once (JSON bodies and SSE events not read to their
 * end), against one limit: a chunk that would pass it ends its response as the server's protocol
 * error, so memory is bounded for the engine, not only per response (maxPayload).
 */
export interface BodyBudget {
  held: number;
  readonly limit: number;
}

export interface Endpoint {
  /** Requests: as many connections as the engine has sessions (the hand-written h1-pool.ts on http:, undici's Pool on https:). */
  pool: RequestPool;
  /**
   * Notifications, answers to server requests and DELETEs: quick 202s on connections of their own,
   * so an answer the server waits for never queues behind the streams that wait for it.
   */
  control: Pool;
  /** GET streams (--http-get-stream): a connection per session, apart from its requests'. */
  streams: Pool | undefined;
  path: string;
  /** How long undici waits for the answer to a request the session does not time itself (the profile's timeout and a second). */
  waitMs: number;
  /** The engine's, shared by all its endpoints. */
  budget: BodyBudget;
}
