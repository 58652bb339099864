/**
 * The routing headers of MCP 2026-07-28 (SEP-2243): `Mcp-Method` on every request and notification,
 * `Mcp-Name` on tools/call and prompts/get (params.name) and resources/read (params.uri), so that
 * gateways can route without reading the body. Built once per frame template (frames.ts) from what
 * the session knows, and handed to Transport.send with each request: nothing is read back from bytes.
 */
import type { ParamHeader } from '../../shared/types.js';
import type { Route } from './transport.js';

const NAMED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
const SENTINEL = /^=\?base64\?.*\?=$/;

/** SEP-2243 value encoding: printable ASCII as is; anything else wrapped as =?base64?…?=. */
export function headerValue(value: string): string {
  const plain = /^[\x20-\x7e]*$/.test(value) && value.trim() === value && !SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/**
 * The [name, value, …] header pairs of a request or notification. The name is params.name where
 * there is one, else params.uri (mcpload's frames carry that key first in params), when a string.
 */
export function routeOf(method: string, params?: Record<string, unknown>, paramHeaders?: readonly ParamHeader[]): Route {
  const pairs = ['mcp-method', headerValue(method)];
  if (NAMED_METHODS.has(method)) {
    const target = params?.name !== undefined ? params.name : params?.uri;
    if (typeof target === 'string') pairs.push('mcp-name', headerValue(target));
  }
  if (paramHeaders !== undefined) for (const h of paramHeaders) pushParam(pairs, h, valueAt(params?.arguments, h.path));
  return pairs;
}

/**
 * The route of 2026-07-28's `subscriptions/listen`: its answer is a stream that lives as long as the
 * session and may say nothing for minutes, so its POST has no body timeout (HttpTransport.send).
 */
export const LISTEN_ROUTE: Route = routeOf('subscriptions/listen');

/** The instance value at `path` (a chain of property names), or undefined. */
export function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/**
 * `Mcp-Param-{name}: value` for a mirrored parameter (SEP-2243 value encoding: integers in decimal,
 * booleans as true/false); none when the value is absent or null, as the spec says.
 */
export function pushParam(pairs: string[], h: ParamHeader, v: unknown): void {
  if (typeof v === 'string') pairs.push('mcp-param-' + h.name.toLowerCase(), headerValue(v));
  else if ((typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'boolean') pairs.push('mcp-param-' + h.name.toLowerCase(), String(v));
}
