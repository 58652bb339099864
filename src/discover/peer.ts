/**
 * A small MCP client for discovery, off the hot path: one connection, one request at a time or a
 * few, each awaited. It is not the engines' session (that one is built for 100K sessions); this one
 * is built to be read. WebSocket (ws) and Streamable HTTP (undici) speak the same interface.
 */
import { StartError, UsageError, describe, redactSecrets } from '../shared/errors.js';
import type { TlsOptions } from '../shared/types.js';

/** A JSON-RPC answer: a result, or an error object. */
export interface Answer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** What a discovery connection needs to know. */
export interface PeerOptions {
  url: string;
  headers: Record<string, string>;
  tls?: TlsOptions;
  /** Frames end with `\n` (erlmcp reads newline-delimited JSON-RPC) unless 'none'. */
  frameTerminator?: 'newline' | 'none';
}

export interface Peer {
  /** Send a request and wait for its answer; on timeout, `notifications/cancelled` and an error. */
  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<Answer>;
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** The revision the handshake agreed on (HTTP sends it as MCP-Protocol-Version). */
  setProtocolVersion(version: string): void;
  close(): Promise<void>;
}

/** A request that got no answer in time. */
export class RequestTimeout extends Error {
  constructor(method: string, ms: number) {
    super(`${method}: no answer within ${ms} ms`);
  }
}

/** ws:// or http:// URL, checked: anything else is bad input (exit 2). */
export function checkUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`"${redactSecrets(url)}" is not a URL; write it like ws://127.0.0.1:8080/mcp/ws or http://127.0.0.1:3001/mcp`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(u.protocol))
    throw new UsageError(`"${redactSecrets(url)}" has scheme ${u.protocol.replace(':', '')}; use ws(s):// (WebSocket) or http(s):// (Streamable HTTP)`);
  return u;
}

/** The server could not be reached or did not speak MCP: exit 3, one line. */
export function unreachable(url: string, err: unknown): StartError {
  return new StartError(`cannot reach an MCP server at ${redactSecrets(url)}: ${describe(err)}`);
}

/** What a server asked of us: ping is answered, anything else is "method not found". */
export function answerServerRequest(msg: { id: unknown; method: string }): string {
  const reply = msg.method === 'ping' ? { result: {} } : { error: { code: -32601, message: `Method not found: ${msg.method}` } };
  return JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...reply });
}

/** A parsed JSON-RPC message, or undefined for anything else. */
export function parseMessage(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A response's answer part (result or error), normalized. */
export function answerOf(msg: Record<string, unknown>): Answer {
  const e = msg.error as { code?: unknown; message?: unknown } | undefined;
  if (e && typeof e === 'object') return { error: { code: Number(e.code), message: typeof e.message === 'string' ? e.message : '' } };
  const r = msg.result;
  return { result: r !== null && typeof r === 'object' ? (r as Record<string, unknown>) : {} };
}
