/**
 * What the reference target does for MCP 2026-07-28 requests beyond routing (http.ts): every result
 * carries `resultType` (basic, "Result"), list results carry cache hints (`ttlMs`, `cacheScope`:
 * server/utilities/caching), a version it is told to reject is answered UnsupportedProtocolVersion
 * (-32022, with the versions it does speak), and `Mcp-Param-*` headers are checked against the
 * arguments of tools whose inputSchema marks them with `x-mcp-header` (transports, "Custom Headers
 * from Tool Parameters"): HeaderMismatch (-32020) when one is missing or says otherwise.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** A tool that exists to exercise `x-mcp-header`: listed on 2026-07-28 only (older clients have no such headers). */
export const ROUTED_TOOL = {
  name: 'routed_echo',
  description: 'Returns the text it is given; region and tenant.id are mirrored into Mcp-Param-* headers.',
  inputSchema: {
    type: 'object',
    properties: {
      text: { type: 'string' },
      region: { type: 'string', 'x-mcp-header': 'Region' },
      tenant: { type: 'object', properties: { id: { type: 'integer', 'x-mcp-header': 'TenantId' }, vip: { type: 'boolean', 'x-mcp-header': 'Vip' } } },
    },
    required: ['text'],
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};
/** The mirrored parameters of ROUTED_TOOL: header (lower case, as node gives it) and the path under arguments. */
const ROUTED_PARAMS: readonly { header: string; path: readonly string[] }[] = [
  { header: 'mcp-param-region', path: ['region'] },
  { header: 'mcp-param-tenantid', path: ['tenant', 'id'] },
  { header: 'mcp-param-vip', path: ['tenant', 'vip'] },
];

const LIST_METHODS = new Set(['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);

/** How the target writes `resultType`: as the spec says, or wrong on purpose (a test of a client's check). */
export type ResultTypeFault = 'none' | 'missing' | 'unknown';

export interface StatelessSettings {
  /** `ttlMs` on list results (>= 0, as the spec requires of servers). */
  listTtlMs: number;
  resultTypeFault: ResultTypeFault;
  /** Versions answered -32022 (server/discover leaves them out of supportedVersions). */
  rejectVersions: readonly string[];
  /**
   * > 0: only this many requests (other than server/discover, which lists every version) of a rejected
   * version are refused, then it is accepted: a rolling deploy, where a request lands on an old node.
   */
  rejectVersionRequests: number;
}

export const DEFAULT_STATELESS: StatelessSettings = { listTtlMs: 60_000, resultTypeFault: 'none', rejectVersions: [], rejectVersionRequests: 0 };

export class StatelessSurface {
  private readonly head: string;
  private readonly listTail: string;
  /** Requests refused for their version so far. */
  private rejected = 0;

  constructor(private readonly settings: StatelessSettings) {
    const fault = settings.resultTypeFault;
    this.head = fault === 'missing' ? '' : `"resultType":${JSON.stringify(fault === 'unknown' ? 'partial' : 'complete')}`;
    this.listTail = `"ttlMs":${settings.listTtlMs},"cacheScope":"public"`;
  }

  /** The versions a discover result lists: `known` without the ones rejected for good. */
  supported(known: readonly string[]): string[] {
    const s = this.settings;
    return s.rejectVersionRequests > 0 ? [...known] : known.filter((v) => !s.rejectVersions.includes(v));
  }

  /** True when a request of `method` at `version` is to be refused with -32022 now. */
  refuse(version: string, method: unknown): boolean {
    const s = this.settings;
    if (!s.rejectVersions.includes(version)) return false;
    if (s.rejectVersionRequests === 0) return true;
    if (method === 'server/discover' || this.rejected >= s.rejectVersionRequests) return false;
    this.rejected++;
    return true;
  }

  /** Result JSON (an object's text) with resultType first and, for a list method, the cache hints last. */
  result(method: string, json: string): string {
    if (json.startsWith('{"resultType"')) return json;
    const list = LIST_METHODS.has(method);
    const inner = json.slice(1, -1);
    const fields = [this.head, inner, list ? this.listTail : ''].filter((f) => f !== '');
    return '{' + fields.join(',') + '}';
  }
}

/**
 * Why a tools/call's `Mcp-Param-*` headers disagree with its arguments, or undefined when they agree:
 * every value present at a mirrored path must come as its header (decoded from =?base64?…?=), and a
 * header must not come for a value that is absent.
 */
export function paramMismatch(headers: IncomingHttpHeaders, params: Record<string, unknown> | undefined): string | undefined {
  if (params?.name !== ROUTED_TOOL.name) return undefined;
  const args = params.arguments;
  for (const p of ROUTED_PARAMS) {
    let v: unknown = args;
    for (const key of p.path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    const header = headers[p.header];
    const present = v !== undefined && v !== null;
    if (!present && header === undefined) continue;
    if (typeof header !== 'string') return present ? `${p.header} header is missing` : `${p.header} header given for an absent value`;
    if (!present || decoded(header) !== String(v)) return `${p.header} header does not match arguments.${p.path.join('.')}`;
  }
  return undefined;
}

function decoded(value: string): string {
  return value.startsWith('=?base64?') && value.endsWith('?=') ? Buffer.from(value.slice(9, -2), 'base64').toString('utf8') : value;
}
