/**
 * The MCP handshake of a session, as frames and checks: `initialize` + `notifications/initialized`
 * (2025-11-25 and earlier), or `server/discover` in the revisions without initialize (2026-07-28
 * and later, which every server must implement), standing in as the handshake so handshake time and
 * "could any session start" keep their meaning. The session sends and times it; this builds the
 * frames and reads the answer.
 */
import type { FrameTerminator } from '../../shared/types.js';
import { MCP_REVISIONS } from '../../shared/version.js';
import { jsonFrame } from '../frames.js';
import { routeOf } from '../transport/http-headers.js';
import type { Route } from '../transport/transport.js';

/** MCP 2026-07-28 dropped initialize and sessions: each request carries its version in `_meta`. */
export function isStatelessRevision(protocolVersion: string): boolean {
  return protocolVersion >= '2026-07-28';
}

/** What the handshake is made of (the engine's settings: SessionHost). */
export interface HandshakeSettings {
  readonly protocolVersion: string;
  readonly stateless: boolean;
  /** `params._meta` of every request in a stateless revision (version, capabilities, client info). */
  readonly requestMeta: Record<string, unknown>;
  readonly clientVersion: string;
  readonly terminator: FrameTerminator;
  /** What the profile's answers declare (server-requests.ts). */
  readonly clientCapabilities: Record<string, unknown>;
}

const DISCOVER_ROUTE = routeOf('server/discover');
const INITIALIZE_ROUTE = routeOf('initialize');

export function handshakeMethod(s: HandshakeSettings): 'server/discover' | 'initialize' {
  return s.stateless ? 'server/discover' : 'initialize';
}

export function handshakeRoute(s: HandshakeSettings): Route {
  return s.stateless ? DISCOVER_ROUTE : INITIALIZE_ROUTE;
}

/** The handshake request with id `id`. */
export function handshakeFrame(s: HandshakeSettings, id: number): string {
  return jsonFrame(
    s.stateless
      ? { jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: s.requestMeta } }
      : {
          jsonrpc: '2.0',
          id,
          method: 'initialize',
          params: {
            protocolVersion: s.protocolVersion,
            capabilities: s.clientCapabilities,
            clientInfo: { name: 'mcpload', version: s.clientVersion },
          },
        },
    s.terminator,
  );
}

/** After a successful initialize (stateful revisions only). */
export function initializedFrame(s: HandshakeSettings): string {
  return jsonFrame({ jsonrpc: '2.0', method: 'notifications/initialized' }, s.terminator);
}
export const INITIALIZED_ROUTE = routeOf('notifications/initialized');

/**
 * The revision the handshake's answer agreed on, or undefined when it failed: an error, an
 * initialize result without a protocolVersion or with one mcpload does not speak (neither asked for
 * nor in MCP_REVISIONS), or a discover result that does not list ours.
 */
export function agreedVersion(s: HandshakeSettings, answer: { result?: unknown; error?: unknown }): string | undefined {
  if (answer.error !== undefined) return undefined;
  const result = answer.result as { protocolVersion?: unknown; supportedVersions?: unknown } | undefined;
  if (s.stateless) {
    return Array.isArray(result?.supportedVersions) && result.supportedVersions.includes(s.protocolVersion) ? s.protocolVersion : undefined;
  }
  const version = result?.protocolVersion;
  return typeof version === 'string' && spoken(s, version) ? version : undefined;
}

function spoken(s: HandshakeSettings, version: string): boolean {
  return version === s.protocolVersion || (MCP_REVISIONS as readonly string[]).includes(version);
}

/** What a failed handshake answered, for the log. */
export function handshakeFailure(s: HandshakeSettings, answer: { result?: unknown; error?: unknown }): string {
  const version = (answer.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
  if (answer.error === undefined && typeof version === 'string' && !s.stateless && !spoken(s, version)) {
    const known = [...new Set([s.protocolVersion, ...MCP_REVISIONS])].join(', ');
    return `initialize failed: the server agreed on protocolVersion ${JSON.stringify(version)}, which mcpload does not speak (it speaks ${known}; --protocol-version picks the one it asks for)`;
  }
  return `${handshakeMethod(s)} failed: ` + JSON.stringify(answer.error ?? answer.result); // the engine redacts, then cuts
}
