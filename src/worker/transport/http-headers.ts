/**
 * The routing headers of MCP 2026-07-28 (SEP-2243): `Mcp-Method` on every request and notification,
 * `Mcp-Name` on tools/call and prompts/get (params.name) and resources/read (params.uri), so that
 * gateways can route without reading the body.
 *
 * Read straight from the frame bytes, without parsing it: mcpload's frames start
 * `{"jsonrpc":"2.0","id":N,"method":"…"` and, in this revision, FrameTemplate puts `name`/`uri` first
 * in params. The header pairs are cached per (method, name), so a request costs two short scans.
 */

const PREFIX = '{"jsonrpc":"2.0",';
const ID_KEY = '"id":';
const METHOD_KEY = '"method":"';
const NAME_KEYS = [',"params":{"name":"', ',"params":{"uri":"'];
const NAMED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
const CACHE_LIMIT = 1024;
const SENTINEL = /^=\?base64\?.*\?=$/;

/** SEP-2243 value encoding: printable ASCII as is; anything else wrapped as =?base64?…?=. */
export function headerValue(value: string): string {
  const plain = /^[\x20-\x7e]*$/.test(value) && value.trim() === value && !SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function startsAt(buf: Buffer, at: number, text: string): boolean {
  if (at + text.length > buf.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The JSON string starting at `from` (just after its opening quote), decoded; undefined if unterminated. */
function jsonString(buf: Buffer, from: number): string | undefined {
  let escaped = false;
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x5c) {
      escaped = true;
      i++; // the escaped character, whatever it is
    } else if (c === 0x22) {
      const raw = buf.toString('utf8', from, i);
      if (!escaped) return raw;
      try {
        return JSON.parse('"' + raw + '"') as string;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export class RoutingHeaders {
  private readonly cache = new Map<string, string[]>();

  /** [name, value, …] pairs for this frame; empty for responses (they carry no method). */
  of(frame: Buffer | string): string[] {
    const buf = typeof frame === 'string' ? Buffer.from(frame) : frame;
    if (!startsAt(buf, 0, PREFIX)) return [];
    let at = PREFIX.length;
    if (startsAt(buf, at, ID_KEY)) {
      const comma = buf.indexOf(0x2c, at + ID_KEY.length);
      if (comma === -1) return [];
      at = comma + 1;
    }
    if (!startsAt(buf, at, METHOD_KEY)) return [];
    at += METHOD_KEY.length;
    const end = buf.indexOf(0x22, at);
    if (end === -1) return [];
    const method = buf.toString('latin1', at, end);
    let name: string | undefined;
    if (NAMED_METHODS.has(method)) {
      for (const key of NAME_KEYS) {
        if (startsAt(buf, end + 1, key)) {
          name = jsonString(buf, end + 1 + key.length);
          break;
        }
      }
    }
    const cacheKey = name === undefined ? method : method + '\n' + name;
    let pairs = this.cache.get(cacheKey);
    if (!pairs) {
      pairs = ['mcp-method', headerValue(method)];
      if (name !== undefined) pairs.push('mcp-name', headerValue(name));
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(cacheKey, pairs);
    }
    return pairs;
  }
}
