/**
 * The 2026-07-28 client role (issue 17) against `mcpload serve` over Streamable HTTP, each figure
 * compared with what the server saw (GET /stats): Mcp-Param-* headers mirrored from the tools'
 * x-mcp-header annotations (learnt from tools/list), resultType checked on every result,
 * UnsupportedProtocolVersion (-32022) answered by asking server/discover again, and list results
 * served from the cache within their ttlMs when the profile asks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import type { RunReport } from '../src/report/types.js';
import { startTarget, type RunningTarget, type TargetOptions } from '../src/reference-server/server.js';
import { paramHeadersOf } from '../src/discover/param-headers.js';
import { writeProfile } from './helpers/hostile-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-stateless-'));
const VERSION = '2026-07-28';

let target: RunningTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

async function run(
  name: string,
  profile: Record<string, unknown>,
  serve: Partial<TargetOptions> = {},
  duration = '2s',
  headers: Record<string, string> = {},
): Promise<RunReport> {
  target = await startTarget({ port: 0, ...serve });
  const file = writeProfile(dir, name, { clients: 2, rate: 10, timeout: '2s', ...profile });
  const opts = resolveRunOptions({
    url: [target.httpUrl],
    profile: file,
    duration,
    drainTimeout: '3s',
    workers: 1,
    quiet: true,
    logLevel: 'silent',
    protocolVersion: VERSION,
    header: Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  });
  return (await start(opts).result).report;
}

const ROUTED = { method: 'tools/call', params: { name: 'routed_echo', arguments: { text: 'hi', region: 'eu-west 1 ', tenant: { id: 42, vip: false } } } };

describe('Mcp-Param-* headers from x-mcp-header', () => {
  it('every routed_echo call carries its mirrored headers: serve sees no mismatch, every call ok', async () => {
    const report = await run('param-headers', { mix: [ROUTED] });
    const calls = report.methods['tools/call'];
    expect(calls.sent).toBeGreaterThan(0);
    expect(calls.ok).toBe(calls.sent);
    const stats = target!.stats();
    expect(stats.headerMismatches).toBe(0);
    expect(stats.byTool?.routed_echo).toBe(calls.sent);
  });

  it('templated values are mirrored per request: every call ok, serve sees no mismatch', async () => {
    const args = { text: 't{{seq}}', region: 'r{{randInt 1 9}}-{{pick eu us "ap south"}}-{{randString 3}}-s{{session}}', tenant: { id: 7 } };
    const report = await run('param-templated', { mix: [{ method: 'tools/call', params: { name: 'routed_echo', arguments: args } }] });
    const calls = report.methods['tools/call'];
    expect(calls.sent).toBeGreaterThan(0);
    expect(calls.ok).toBe(calls.sent);
    expect(target!.stats().headerMismatches).toBe(0);
  });

  it('a header the body does not back: serve answers -32020, counted as HeaderMismatch with its code', async () => {
    // A user header that names a mirrored parameter the call leaves out (Mcp-Param-Region, no region).
    const report = await run('param-mismatch', { mix: [{ method: 'tools/call', params: { name: 'routed_echo', arguments: { text: 'hi' } } }] }, {}, '2s', {
      'Mcp-Param-Region': 'nowhere',
    });
    const calls = report.methods['tools/call'];
    expect(calls.sent).toBeGreaterThan(0);
    expect(calls.rpcError).toBe(calls.sent);
    expect(report.streams!.events.headerMismatch).toBe(calls.sent);
    expect(report.errorDetails?.some((d) => d.code === -32020)).toBe(true);
    expect(target!.stats().headerMismatches).toBe(calls.sent);
  });

  it('invalid annotations are rejected with a reason', () => {
    expect(paramHeadersOf({ type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'A' } } })).toEqual({ headers: [{ name: 'A', path: ['a'] }] });
    expect(paramHeadersOf({ type: 'object', properties: { a: { type: 'number', 'x-mcp-header': 'A' } } })).toHaveProperty('problem');
    expect(paramHeadersOf({ type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'A B' } } })).toHaveProperty('problem');
    const twice = { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'X' }, b: { type: 'string', 'x-mcp-header': 'x' } } };
    expect(paramHeadersOf(twice)).toHaveProperty('problem');
    const inArray = { type: 'object', properties: { a: { type: 'array', items: { type: 'string', 'x-mcp-header': 'A' } } } };
    expect(paramHeadersOf(inArray)).toHaveProperty('problem');
  });
});

describe('resultType on every result', () => {
  it('serve writes resultType: every answer passes the check', async () => {
    // tools/list (with its cache hints), ping, and a streaming-surface tool (wait: answered after held work).
    const mix = [{ method: 'tools/list' }, { method: 'ping' }, { method: 'tools/call', params: { name: 'wait', arguments: { ms: 5 } } }];
    const report = await run('result-type-ok', { mix });
    expect(report.methods['tools/call'].ok).toBeGreaterThan(0);
    expect(report.requests.failed).toBe(0);
    expect(report.errors.protocol ?? 0).toBe(0);
  });

  for (const fault of ['missing', 'unknown'] as const) {
    it(`resultType ${fault}: every answer is an invalid result, a protocol error`, async () => {
      const report = await run(`result-type-${fault}`, { mix: [{ method: 'ping' }] }, { resultTypeFault: fault });
      const pings = report.methods.ping;
      expect(pings.sent).toBeGreaterThan(0);
      expect(pings.invalid).toBe(pings.sent);
      expect(pings.ok).toBe(0);
      expect(report.errors.protocol).toBe(pings.sent);
      expect(report.streams!.events.resultTypeMissing).toBe(pings.sent);
    });
  }
});

describe('UnsupportedProtocolVersion (-32022)', () => {
  it('a rolling deploy: the refused session asks server/discover again and carries on', async () => {
    const report = await run('version-rolling', { clients: 1, mix: [{ method: 'ping' }] }, { rejectVersions: [VERSION], rejectVersionRequests: 3 });
    const stats = target!.stats();
    expect(stats.unsupportedVersions).toBe(3);
    expect(report.streams!.events.unsupportedVersion).toBe(3);
    expect(report.streams!.events.rediscovered).toBe(3);
    // One discover for the session, one per refusal.
    expect(stats.byMethod['server/discover']).toBe(4);
    expect(report.methods.ping.ok).toBeGreaterThan(0);
    expect(report.methods.ping.rpcError).toBe(3);
  });

  it('a version refused for good: the re-discovery fails its handshake, attempts bounded by the reconnect policy', async () => {
    const report = await run(
      'version-refused',
      { clients: 1, mix: [{ method: 'ping' }], reconnect: { initialDelay: '10ms', maxDelay: '20ms', maxAttempts: 2 } },
      { rejectVersions: [VERSION] },
    );
    const stats = target!.stats();
    // The first server/discover and two reconnects' (maxAttempts): each refused, so each handshake fails.
    expect(stats.unsupportedVersions).toBe(3);
    expect(report.errors.handshake).toBe(3);
    expect(report.requests.sent).toBe(0);
  });
});

describe('ttlMs cache hints on list results', () => {
  it('off by default: every list call is sent', async () => {
    const report = await run('cache-off', { mix: [{ method: 'tools/list' }] });
    expect(report.streams?.events.cached ?? 0).toBe(0);
    expect(target!.stats().byMethod['tools/list']).toBe(report.methods['tools/list'].sent);
  });

  it('cacheLists: a list call within ttl is answered from the cache and not sent', async () => {
    const report = await run('cache-on', { cacheLists: true, mix: [{ method: 'tools/list' }, { method: 'ping' }] }, { listTtlMs: 60_000 });
    const lists = report.methods['tools/list'];
    // One list call per session reaches the server; every later one is fresh in the cache.
    expect(lists.sent).toBe(2);
    expect(target!.stats().byMethod['tools/list']).toBe(2);
    expect(report.streams!.events.cached).toBeGreaterThan(5);
    expect(report.methods.ping.sent).toBeGreaterThan(5);
  });

  it('cacheLists, closed model: the cached list call frees its slot, which goes on to the next entry', async () => {
    const profile = {
      model: 'closed',
      concurrency: 1,
      thinkTime: '20ms',
      rate: undefined,
      cacheLists: true,
      mix: [{ method: 'tools/list' }, { method: 'ping' }],
    };
    const report = await run('cache-closed', profile);
    expect(report.methods['tools/list'].sent).toBe(2);
    expect(target!.stats().byMethod['tools/list']).toBe(2);
    expect(report.streams!.events.cached).toBeGreaterThan(5);
    expect(report.methods.ping.ok).toBeGreaterThan(5);
  });

  it('cacheLists with ttlMs 0: nothing is cached', async () => {
    const report = await run('cache-zero', { cacheLists: true, mix: [{ method: 'tools/list' }] }, { listTtlMs: 0 });
    expect(report.streams?.events.cached ?? 0).toBe(0);
    expect(target!.stats().byMethod['tools/list']).toBe(report.methods['tools/list'].sent);
  });
});
