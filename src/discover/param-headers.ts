/**
 * `Mcp-Param-*` headers (MCP 2026-07-28, Streamable HTTP, "Custom Headers from Tool Parameters"): a
 * tool's inputSchema may mark parameters with `x-mcp-header`, and a client MUST mirror their values
 * into headers. Before the engines start, a run over 2026-07-28 HTTP that calls tools asks tools/list
 * once and writes each tools/call entry's mirrored parameters (`paramHeaders`: header name and path
 * under arguments) into it; the engines build the headers once per frame template from that
 * (worker/transport/http-headers.ts), so a request costs nothing more. A tool whose annotations break
 * the spec's constraints is rejected (the spec: excluded, with a warning): a note says why, and its
 * calls go without mirrored headers (a server that checks them answers HeaderMismatch, counted).
 */
import { describe, redactSecrets } from '../shared/errors.js';
import type { ParamHeader, Profile, RequestSpec, TlsOptions } from '../shared/types.js';
import { VERSION } from '../shared/version.js';
import { HttpPeer } from './http-peer.js';
import { MAX_PAGES } from './catalog.js';

/** RFC 9110 token characters: what an `x-mcp-header` value may hold. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean']);

/** The mirrored parameters of a tool, or why its annotations are invalid. */
export function paramHeadersOf(inputSchema: unknown): { headers: ParamHeader[] } | { problem: string } {
  const headers: ParamHeader[] = [];
  const seen = new Set<string>();
  let problem: string | undefined;
  const walk = (schema: unknown, path: string[], reachable: boolean): void => {
    if (problem !== undefined || schema === null || typeof schema !== 'object') return;
    const node = schema as Record<string, unknown>;
    const mark = node['x-mcp-header'];
    if (mark !== undefined && path.length > 0) {
      const where = path.join('.');
      if (!reachable) return void (problem = `x-mcp-header at ${where} is not reachable through properties alone`);
      if (typeof mark !== 'string' || !TOKEN.test(mark)) return void (problem = `x-mcp-header ${JSON.stringify(mark)} at ${where} is not an HTTP token`);
      if (!PRIMITIVE.has(node.type as string))
        return void (problem = `x-mcp-header at ${where} is on a ${String(node.type)}, not a string, integer or boolean`);
      if (seen.has(mark.toLowerCase())) return void (problem = `x-mcp-header ${mark} is used twice`);
      seen.add(mark.toLowerCase());
      headers.push({ name: mark, path: [...path] });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value !== null && typeof value === 'object') {
        for (const [prop, sub] of Object.entries(value as Record<string, unknown>)) walk(sub, [...path, prop], reachable);
      } else if (value !== null && typeof value === 'object' && key !== 'x-mcp-header') {
        // items, anyOf, $defs ...: an annotation below them is not statically reachable.
        const children = Array.isArray(value) ? value : [value];
        for (const child of children) walk(child, [...path, key], false);
      }
    }
  };
  walk(inputSchema, [], true);
  return problem !== undefined ? { problem } : { headers };
}

export interface ParamHeaderTarget {
  url: string;
  headers: Record<string, string>;
  tls?: TlsOptions;
  protocolVersion: string;
  timeoutMs: number;
}

/** Does this run mirror headers: a stateless revision over HTTP, with tools/call requests? */
export function mirrorsParamHeaders(profile: Profile, t: { url: string; protocolVersion: string }): boolean {
  return t.protocolVersion >= '2026-07-28' && /^https?:/i.test(t.url) && requestsOf(profile).some((r) => r.method === 'tools/call');
}

function requestsOf(profile: Profile): RequestSpec[] {
  const out: RequestSpec[] = [...profile.mix];
  const walk = (steps: NonNullable<Profile['flow']>) => {
    for (const s of steps) {
      if (s.kind === 'request') out.push(s);
      else if (s.kind === 'repeat' || s.kind === 'parallel') walk(s.steps);
    }
  };
  if (profile.flow) walk(profile.flow);
  return out;
}

/** The profile with `paramHeaders` on each tools/call request whose tool marks parameters. */
export async function withParamHeaders(profile: Profile, t: ParamHeaderTarget, note: (line: string) => void): Promise<Profile> {
  if (!mirrorsParamHeaders(profile, t)) return profile;
  const meta = {
    'io.modelcontextprotocol/protocolVersion': t.protocolVersion,
    // Listing tools asks nothing of the client: no capabilities to declare for it.
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'mcpload', version: VERSION },
  };
  const peer = new HttpPeer({ url: t.url, headers: t.headers, tls: t.tls }).statelessly(meta, t.protocolVersion);
  const byTool = new Map<string, ParamHeader[]>();
  try {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const a = await peer.request('tools/list', cursor === undefined ? undefined : { cursor }, t.timeoutMs);
      if (a.error) throw new Error(`error ${a.error.code} ${a.error.message}`);
      const tools = Array.isArray(a.result?.tools) ? (a.result.tools as { name?: unknown; inputSchema?: unknown }[]) : [];
      for (const tool of tools) {
        if (typeof tool?.name !== 'string') continue;
        const found = paramHeadersOf(tool.inputSchema);
        if ('problem' in found) note(`tool ${tool.name}: invalid x-mcp-header annotation (${found.problem}); its calls carry no Mcp-Param-* headers`);
        else if (found.headers.length > 0) byTool.set(tool.name, found.headers);
      }
      const next = a.result?.nextCursor;
      if (typeof next !== 'string' || next === '') break;
      cursor = next;
    }
  } catch (err) {
    note(`tools/list at ${redactSecrets(t.url)} failed (${describe(err)}): tools/call requests carry no Mcp-Param-* headers`);
    return profile;
  } finally {
    await peer.close().catch(() => {});
  }
  if (byTool.size === 0) return profile;
  const mark = <T extends RequestSpec>(r: T): T => {
    const name = r.params?.name;
    const headers = r.method === 'tools/call' && typeof name === 'string' ? byTool.get(name) : undefined;
    return headers ? { ...r, paramHeaders: headers } : r;
  };
  const markSteps = (steps: NonNullable<Profile['flow']>): NonNullable<Profile['flow']> =>
    steps.map((s) => (s.kind === 'request' ? mark(s) : s.kind === 'repeat' || s.kind === 'parallel' ? { ...s, steps: markSteps(s.steps) } : s));
  return { ...profile, mix: profile.mix.map(mark), ...(profile.flow ? { flow: markSteps(profile.flow) } : {}) };
}
