/**
 * The one place that picks an engine's transport and sizes its Streamable HTTP pools, from the
 * figures the coordinator put in its EngineConfig (the open-files limit, read once on the main
 * thread, and the sessions the engine holds at most).
 */
import type { EngineConfig } from '../../shared/messages.js';
import { FD_RESERVE } from '../../config/limits.js';
import type { Connect } from './transport.js';
import { connectWebSocket } from './ws.js';
import { HttpClients } from './http-pool.js';

/** How an engine's sessions connect, and how it lets go of what they shared when the run ends. */
export interface Connector {
  readonly connect: Connect;
  /** Let queued requests (HTTP DELETEs of closing sessions) finish for up to graceMs. Idempotent. */
  close(graceMs: number): Promise<void>;
}

/** `http:`/`https:` URLs are Streamable HTTP targets. */
export function isHttpUrl(url: string): boolean {
  return url.startsWith('http://') || url.startsWith('https://');
}

/** The engine's sessions speak Streamable HTTP (else WebSocket). */
export function speaksHttp(config: EngineConfig): boolean {
  return config.transport === 'http' || config.urls.some(isHttpUrl);
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

const NOTHING_TO_CLOSE = (): Promise<void> => Promise.resolve();

/**
 * `stateless`: the revision has no initialize (2026-07-28 and later). `connect`: a given connector
 * (tests: memory.ts), used as it is.
 */
export function connectorFor(config: EngineConfig, stateless: boolean, maxPayload: number, connect?: Connect): Connector {
  if (connect) return { connect, close: NOTHING_TO_CLOSE };
  if (!speaksHttp(config)) return { connect: connectWebSocket, close: NOTHING_TO_CLOSE };
  // One undici pool per origin for the engine, sized from the sessions it holds at most.
  const sessions = config.sessionsPerEngine;
  const http = new HttpClients({
    sessions,
    connections: connectionsFor(sessions, config.engineCount, config.openFilesSoft, FD_RESERVE),
    timeoutMs: config.profile.timeoutMs,
    stateless,
    protocolVersion: config.protocolVersion,
    maxPayload,
    getStream: config.httpGetStream === true && !stateless,
  });
  return { connect: http.connect, close: (graceMs) => http.close(graceMs) };
}
