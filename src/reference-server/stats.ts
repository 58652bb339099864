/**
 * The target's own counters: plain numbers bumped on the hot path, copied out only when asked.
 */
import { SecondCounts } from './stats-seconds.js';
import type { StreamStats } from './streams.js';

export interface TargetStats {
  sessionsOpen: number;
  sessionsTotal: number;
  /** JSON-RPC requests received (messages with a method and an id). */
  requests: number;
  /** JSON-RPC notifications received (a method, no id): never answered. */
  notifications: number;
  /** Response frames written to a socket (results and errors; held or delayed ones count when sent). */
  responses: number;
  /** Of those, JSON-RPC error responses (injected, unknown method, bad params, bad JSON ...). */
  errors: number;
  /** Frames or lines that were not JSON-RPC: bad JSON, binary frames, invalid requests. */
  badMessages: number;
  /** Responses from a client whose id matches no ping this target sent. */
  unmatchedResponses: number;
  pingsSent: number;
  pongsReceived: number;
  /** Sessions that ended with a close frame from the client (not a dropped connection). */
  closeFramesReceived: number;
  /** HTTP requests and WebSocket upgrades refused with 403 for their Host or Origin. */
  forbidden: number;
  /** Requests and notifications by method; unknown methods are summed under `(other)`. */
  byMethod: Record<string, number>;
  /** tools/call requests by tool name (the first MAX_TOOLS names; later ones under `(other)`); absent: none. */
  byTool?: Record<string, number>;
  /** The streaming surface: cancellations, held work, requests to clients, subscriptions (streams.ts). */
  streams?: StreamStats;
  /** 2026-07-28 requests refused with HeaderMismatch (-32020): routing or Mcp-Param-* headers that disagree with the body. */
  headerMismatches: number;
  /** 2026-07-28 requests refused with UnsupportedProtocolVersion (-32022), as `--reject-version` asks. */
  unsupportedVersions: number;
}

/** Tool names counted by name at most: a client calling random names cannot grow the map without bound. */
const MAX_TOOLS = 100;

/**
 * Methods counted by name. Anything else goes to `(other)`, so a client sending random
 * method names cannot grow the map without bound.
 */
const COUNTED_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'logging/setLevel',
  'completion/complete',
  'resources/subscribe',
  'resources/unsubscribe',
  'subscriptions/listen',
  'server/discover',
] as const;
export const OTHER_METHOD = '(other)';

export class TargetCounters {
  sessionsTotal = 0;
  requests = 0;
  notifications = 0;
  responses = 0;
  errors = 0;
  badMessages = 0;
  unmatchedResponses = 0;
  pingsSent = 0;
  pongsReceived = 0;
  closeFramesReceived = 0;
  forbidden = 0;
  headerMismatches = 0;
  unsupportedVersions = 0;
  private readonly byMethod = new Map<string, number>();
  private readonly byTool = new Map<string, number>();
  /** The same counts per wall-clock second (GET /stats/seconds). */
  readonly seconds = new SecondCounts();

  constructor() {
    for (const method of COUNTED_METHODS) this.byMethod.set(method, 0);
    this.byMethod.set(OTHER_METHOD, 0);
  }

  /** `params`: a tools/call's params, whose name is counted too. */
  countMethod(method: string, params?: unknown): void {
    const count = this.byMethod.get(method);
    if (count === undefined) this.byMethod.set(OTHER_METHOD, this.byMethod.get(OTHER_METHOD)! + 1);
    else this.byMethod.set(method, count + 1);
    this.seconds.count(count === undefined ? OTHER_METHOD : method);
    if (method === 'tools/call') this.countTool((params as { name?: unknown } | null | undefined)?.name);
  }

  private countTool(name: unknown): void {
    const key = typeof name === 'string' && (this.byTool.has(name) || this.byTool.size < MAX_TOOLS) ? name : OTHER_METHOD;
    this.byTool.set(key, (this.byTool.get(key) ?? 0) + 1);
  }

  snapshot(sessionsOpen: number): TargetStats {
    const byMethod: Record<string, number> = {};
    for (const [method, count] of this.byMethod) if (count > 0) byMethod[method] = count;
    return {
      sessionsOpen,
      sessionsTotal: this.sessionsTotal,
      requests: this.requests,
      notifications: this.notifications,
      responses: this.responses,
      errors: this.errors,
      badMessages: this.badMessages,
      unmatchedResponses: this.unmatchedResponses,
      pingsSent: this.pingsSent,
      pongsReceived: this.pongsReceived,
      closeFramesReceived: this.closeFramesReceived,
      forbidden: this.forbidden,
      headerMismatches: this.headerMismatches,
      unsupportedVersions: this.unsupportedVersions,
      byMethod,
      ...(this.byTool.size > 0 ? { byTool: Object.fromEntries(this.byTool) } : {}),
    };
  }
}
