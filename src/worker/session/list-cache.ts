/**
 * Cache hints on list results (MCP 2026-07-28, server/utilities/caching), honoured when the profile
 * says `cacheLists: true`: a list result's `ttlMs` keeps it fresh for that long after it came, and a
 * request of the same mix entry (same method, same params: the cache key) due meanwhile is answered
 * from the cache: counted `cached`, not sent (request-loop.ts). Off by default: a load test usually
 * wants the server to see every list call, as a client that ignores the hint would send it.
 */

/** The list methods whose results carry cache hints. */
export const CACHEABLE_METHODS: readonly string[] = ['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list'];

/** Until when a result with `ttlMs` that came `now` stays fresh; absent, zero or negative: not at all (the spec's reading). */
export function freshUntil(now: number, ttlMs: unknown): number {
  return typeof ttlMs === 'number' && ttlMs > 0 ? now + ttlMs : 0;
}
