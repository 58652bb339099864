/**
 * Flows with session arrivals against real servers: `mcpload serve --fixtures` (its slow_progress tool)
 * and the official SDK McpServer over Streamable HTTP and over WebSocket, each with a slow tool that
 * streams progress. Every flow: list tools, think, 3 parallel calls with progress, read a resource, end.
 * Then a server that stalls 1 s every 10 s: the stall shows in the flow's corrected step latency, not
 * in the raw one (arrivals keep their schedule while the server holds their handshakes).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { resolveRunOptions } from '../src/config/options.js';
import { loadProfile, parseProfile, profilesDir } from '../src/config/profile.js';
import { UsageError } from '../src/shared/errors.js';
import { start, type RunReport } from '../src/index.js';
import { startServe, type Serve } from './helpers/serve.js';
import { startSdkHttpServer } from './helpers/sdk-http-server.js';
import { startSdkWsServer } from './helpers/sdk-ws-server.js';
import { testOutputDir } from './helpers/reports.js';
import { runEngine } from './helpers/engine-run.js';
import { deadPort } from './helpers/raw-servers.js';
import { ARRIVAL_CONNECT_ATTEMPTS } from '../src/worker/session/ending.js';

const dir = testOutputDir('flows');
const FIRST_PROGRESS_MS = 30;
const SLOW = { durationMs: 150, firstProgressMs: FIRST_PROGRESS_MS, intervalMs: 40 };

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function agentProfile(name: string, uri: string): string {
  const profile = {
    name,
    arrivalRate: 20,
    timeout: '5s',
    flow: [
      { method: 'tools/list' },
      { think: '50ms' },
      { parallel: 3, steps: [{ method: 'tools/call', name: 'slow', progress: true, params: { name: 'slow_progress', arguments: SLOW } }] },
      { method: 'resources/read', params: { uri } },
      'end',
    ],
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

async function runFlow(url: string, profile: string, duration = '2s'): Promise<RunReport> {
  const opts = resolveRunOptions({ url: [url], profile, duration, drainTimeout: '5s', workers: 1, quiet: true, logLevel: 'silent' });
  const { report } = await start(opts).result;
  return report;
}

/** What the server saw, per step of the agent flow. */
interface Seen {
  toolsList: number;
  slowCalls: number;
  reads: number;
}

function expectAgentRun(report: RunReport, seen: Seen): void {
  expect(
    Object.values(report.errors).every((n) => n === 0),
    JSON.stringify(report.errors),
  ).toBe(true);
  expect(report.flows!.started).toBeGreaterThan(10);
  const steps = report.steps!;
  expect(Object.keys(steps)).toEqual(['1 tools/list', 'slow', '4 resources/read']);
  for (const st of Object.values(steps)) expect(st.ok).toBe(st.sent);
  expect(steps['1 tools/list'].sent).toBe(seen.toolsList);
  expect(steps.slow.sent).toBe(seen.slowCalls);
  expect(steps['4 resources/read'].sent).toBe(seen.reads);
  // Three parallel calls per flow that got past its first step.
  expect(steps.slow.sent).toBeGreaterThan(0);
  expect(steps.slow.sent % 3).toBe(0);
  const progress = steps.slow.progress!;
  expect(progress.firstProgress.count).toBe(steps.slow.ok);
  expect(progress.total.count).toBe(steps.slow.ok);
  expect(progress.notifications).toBeGreaterThanOrEqual(steps.slow.ok);
  // Time to first progress: the server's first-progress delay, within 5 ms at p50 beyond the server's own
  // cost of a call, which its answers show: the slow call's raw p50 past its configured duration (about
  // 2 ms for mcpload serve over WebSocket, 7 ms for the SDK's Streamable HTTP stack on this 2-core VM).
  const serverCostUs = Math.max(0, steps.slow.latency.raw.p50 - SLOW.durationMs * 1000);
  expect(progress.firstProgress.p50).toBeGreaterThanOrEqual((FIRST_PROGRESS_MS - 1) * 1000);
  expect(progress.firstProgress.p50).toBeLessThanOrEqual((FIRST_PROGRESS_MS + 5) * 1000 + serverCostUs);
  expect(report.progress!.firstProgress.count).toBe(progress.firstProgress.count);
}

/** The slow tool on an SDK McpServer, counting what it is asked (tools/list answered by the SDK's Server too). */
function registerSlowProgress(server: McpServer, seen: Seen): void {
  server.registerTool(
    'slow_progress',
    { description: 'Streams progress, then answers.', inputSchema: { durationMs: z.number(), firstProgressMs: z.number(), intervalMs: z.number() } },
    async ({ durationMs, firstProgressMs, intervalMs }, extra) => {
      seen.slowCalls++;
      const token = extra._meta?.progressToken;
      const started = performance.now();
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await sleep(firstProgressMs);
      let n = 0;
      // The first one whatever the delay was (as serve's slow_progress), then each an interval after the last.
      while (token !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++n } });
        if (performance.now() - started + intervalMs >= durationMs) break;
        await sleep(intervalMs);
      }
      await sleep(Math.max(0, started + durationMs - performance.now()));
      return { content: [{ type: 'text', text: `${n} progress notifications` }] };
    },
  );
  server.registerResource('agent-notes', 'mcpload://agent/notes', { mimeType: 'text/plain' }, async () => {
    seen.reads++;
    return { contents: [{ uri: 'mcpload://agent/notes', mimeType: 'text/plain', text: 'notes' }] };
  });
  // Counted, then answered as McpServer would for this surface.
  server.server.setRequestHandler(ListToolsRequestSchema, () => {
    seen.toolsList++;
    return { tools: [{ name: 'slow_progress', inputSchema: { type: 'object' as const } }] };
  });
}

describe('profile flows: validation', () => {
  const bad = (raw: unknown): string => {
    try {
      parseProfile(JSON.stringify(raw), 'p.json');
    } catch (err) {
      if (err instanceof UsageError) return err.message;
      throw err;
    }
    throw new Error('accepted');
  };
  const base = { name: 'f', clients: 1, flow: [{ method: 'ping' }] };

  it('normalizes steps: think kinds in ms, nested steps, names and keys', () => {
    const p = parseProfile(
      JSON.stringify({
        name: 'f',
        arrivalRate: 5,
        flow: [
          { method: 'tools/list' },
          { think: { p50: '1s', p90: '3s' } },
          { repeat: 2, steps: [{ think: { mean: '200ms' } }, { method: 'ping', name: 'beat' }] },
          { parallel: 3, steps: [{ method: 'tools/call', params: { name: 'echo' }, progress: true }] },
          { think: { min: '1s', max: '2s' } },
          'end',
        ],
      }),
      'p.json',
    );
    expect(p.arrivalRate).toBe(5);
    expect(p.mix).toEqual([]);
    expect(p.flow).toEqual([
      { kind: 'request', key: '1 tools/list', method: 'tools/list' },
      {
        kind: 'think',
        think: {
          kind: 'percentiles',
          points: [
            { q: 0.5, ms: 1000 },
            { q: 0.9, ms: 3000 },
          ],
        },
      },
      {
        kind: 'repeat',
        count: 2,
        steps: [
          { kind: 'think', think: { kind: 'exponential', meanMs: 200 } },
          { kind: 'request', key: 'beat', method: 'ping' },
        ],
      },
      { kind: 'parallel', count: 3, steps: [{ kind: 'request', key: '4.1 tools/call', method: 'tools/call', params: { name: 'echo' }, progress: true }] },
      { kind: 'think', think: { kind: 'uniform', minMs: 1000, maxMs: 2000 } },
      { kind: 'end' },
    ]);
  });

  it.each([
    [
      { ...base, flow: [{ method: 'ping', think: '1s' }] },
      'p.json: flow[0]: a step is one thing, a request, think, repeat, parallel or end (got method and think)',
    ],
    [{ ...base, flow: [{ repeat: 2 }] }, 'p.json: flow[0].steps: repeat needs the steps it runs, e.g. steps: [{method: ping}]'],
    [{ ...base, flow: [{ think: { min: '2s', max: '1s' } }] }, 'p.json: flow[0].think.max: must be >= flow[0].think.min (got "1s")'],
    [{ ...base, flow: [{ think: { p90: '1s', p50: '2s' } }] }, 'p.json: flow[0].think: percentiles must not go down: p90 is shorter than p50'],
    [{ ...base, flow: [{ method: 'tools/call' }] }, 'p.json: flow[0].params: tools/call needs params.name, e.g. params: {name: echo, arguments: {text: hi}}'],
    [{ ...base, flow: [{ think: '1s', progress: true }] }, 'p.json: flow[0].progress: belongs to a request step (one with method:), not to think'],
    [{ ...base, flow: [{ think: '1s', cancelAfter: '1s' }] }, 'p.json: flow[0].cancelAfter: belongs to a request step (one with method:), not to think'],
    [
      {
        ...base,
        flow: [
          { method: 'ping', name: 'a' },
          { method: 'ping', name: 'a' },
        ],
      },
      'p.json: flow[1].name: "a" names another step already: give each step its own name',
    ],
    [
      { name: 'f', arrivalRate: 5, mix: [{ method: 'ping' }], rate: 1 },
      'p.json: arrivalRate: arriving sessions run a flow and then close: add flow: (the steps each session runs)',
    ],
    [{ ...base, arrivalRate: 5 }, 'p.json: clients: with arrivalRate, concurrent sessions are a result, not an input: drop clients'],
    [{ name: 'f', flow: [{ method: 'ping' }] }, 'p.json: missing required field "clients"'],
  ])('refuses bad flows in one line (%#)', (raw, message) => {
    expect(bad(raw)).toBe(message);
  });

  it('the example agent profile (README "Flows") validates', () => {
    const p = loadProfile(join(profilesDir(), 'examples', 'agent.yaml'));
    expect(p.arrivalRate).toBe(20);
    expect(p.flow?.map((s) => s.kind)).toEqual(['request', 'think', 'parallel', 'request', 'think', 'repeat', 'end']);
  });

  it('the schema catches a bad field with the usual message', () => {
    expect(bad({ ...base, flow: [{ mehtod: 'ping' }] })).toBe('p.json: flow[0]: unknown field "mehtod" (did you mean "method"?)');
    expect(bad({ ...base, flow: [{ parallel: 0, steps: [{ method: 'ping' }] }] })).toBe('p.json: flow[0].parallel: must be >= 1 (got 0)');
  });
});

describe('flows with session arrivals against real servers', () => {
  let serve: Serve | undefined;
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
  });

  it('mcpload serve --fixtures over WebSocket: zero errors, per-step counts = the server counts, first progress on time', async () => {
    serve = await startServe(['--fixtures']);
    const report = await runFlow(serve.wsUrl, agentProfile('agent-serve', 'test://static-text'));
    const stats = (await (await fetch(serve.httpUrl.replace(/\/mcp$/, '/stats'))).json()) as {
      byMethod: Record<string, number>;
      byTool: Record<string, number>;
    };
    expectAgentRun(report, { toolsList: stats.byMethod['tools/list'], slowCalls: stats.byTool.slow_progress, reads: stats.byMethod['resources/read'] });
  });

  it('the SDK McpServer over Streamable HTTP', async () => {
    const seen: Seen = { toolsList: 0, slowCalls: 0, reads: 0 };
    const server = await startSdkHttpServer({ register: (s) => registerSlowProgress(s, seen) });
    closers.push(() => server.close());
    const report = await runFlow(server.url, agentProfile('agent-sdk-http', 'mcpload://agent/notes'));
    expectAgentRun(report, seen);
  });

  it('the SDK McpServer over WebSocket', async () => {
    const seen: Seen = { toolsList: 0, slowCalls: 0, reads: 0 };
    const server = await startSdkWsServer({ register: (s) => registerSlowProgress(s, seen) });
    closers.push(() => server.close());
    const report = await runFlow(server.url, agentProfile('agent-sdk-ws', 'mcpload://agent/notes'));
    expectAgentRun(report, seen);
  });
});

describe('flow steps draw their targets from discovery', () => {
  it('the SDK McpServer over WebSocket: a discover step picks among the read-only tools and the resources found at start, each counted under the step', async () => {
    const calls: Record<string, number> = { lookup: 0, search: 0, wipe: 0 };
    const reads: Record<string, number> = {};
    const server = await startSdkWsServer({
      register: (s) => {
        for (const name of ['lookup', 'search', 'wipe'] as const) {
          s.registerTool(
            name,
            { inputSchema: { q: z.string() }, annotations: name === 'wipe' ? { destructiveHint: true } : { readOnlyHint: true } },
            async () => {
              calls[name]++;
              return { content: [{ type: 'text', text: name }] };
            },
          );
        }
        for (const n of ['a', 'b']) {
          const uri = `mcpload://notes/${n}`;
          s.registerResource(`notes-${n}`, uri, { mimeType: 'text/plain' }, async () => {
            reads[uri] = (reads[uri] ?? 0) + 1;
            return { contents: [{ uri, mimeType: 'text/plain', text: n }] };
          });
        }
      },
    });
    closers.push(() => server.close());
    const file = join(dir, 'discover-steps.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'discover-steps',
        arrivalRate: 40,
        timeout: '5s',
        flow: [
          { method: 'tools/call', name: 'tool', discover: true },
          { method: 'resources/read', name: 'read', discover: true },
          { repeat: 2, steps: [{ method: 'tools/call', name: 'again', discover: true }] },
        ],
      }),
    );
    const report = await runFlow(server.url, file);
    expect(
      Object.values(report.errors).every((n) => n === 0),
      JSON.stringify(report.errors),
    ).toBe(true);
    const steps = report.steps!;
    expect(Object.keys(steps)).toEqual(['tool', 'read', 'again']);
    for (const st of Object.values(steps)) expect(st.ok).toBe(st.sent);
    // One probe call per tool discovery picked, then the steps' calls; never the destructive one.
    expect(calls.wipe).toBe(0);
    expect(calls.lookup + calls.search).toBe(steps.tool.sent + steps.again.sent + 2);
    expect(calls.lookup).toBeGreaterThan(3);
    expect(calls.search).toBeGreaterThan(3);
    expect(steps.again.sent).toBe(2 * steps.read.sent);
    // The helper's server has 10 resources of its own besides these two: the step spreads over all 12.
    const mine = reads['mcpload://notes/a'] + reads['mcpload://notes/b'] - 2;
    expect(mine).toBeGreaterThan(0);
    expect(mine).toBeLessThan(steps.read.sent / 2);
  });
});

describe('session arrivals against a dead server', () => {
  it(`each arriving session tries ARRIVAL_CONNECT_ATTEMPTS times, then gives up (counted): sessions are reused, not piled up retrying`, async () => {
    const dead = await deadPort();
    const { snapshots, total } = await runEngine({
      url: dead.url,
      clients: 1,
      // The reconnect policy would retry forever (maxAttempts 0); an arrival is one visit.
      profile: {
        mix: [],
        arrivalRate: 200,
        reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 0 },
        flow: [{ kind: 'request', key: 'p', method: 'ping' }],
      },
      durationMs: 1500,
      drainMs: 200,
    });
    let started = 0;
    let abandoned = 0;
    for (const s of snapshots) {
      started += s.flows?.started ?? 0;
      abandoned += s.flows?.abandoned ?? 0;
    }
    expect(started).toBeGreaterThan(100);
    expect(total.errors.connect).toBeLessThanOrEqual(started * ARRIVAL_CONNECT_ATTEMPTS);
    // All but those still between their attempts when sending stopped gave up, after every attempt.
    expect(abandoned).toBeGreaterThan(started * 0.8);
    expect(total.errors.connect).toBeGreaterThanOrEqual(abandoned * ARRIVAL_CONNECT_ATTEMPTS);
    // Given-up sessions take the next arrivals: the engine holds about as many as are trying at once.
    const wanted = Math.max(...snapshots.map((s) => s.sessionsWanted));
    expect(wanted).toBeLessThan(started / 2);
  });
});

/** A WebSocket MCP server whose tool blocks the whole server for 1 s, the first time after 1 s and then every 10 s. */
async function stallingServer(): Promise<{ url: string; stalls: () => number; close: () => Promise<void> }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/mcp/ws', handleProtocols: () => 'mcp' });
  const blocker = new Int32Array(new SharedArrayBuffer(4));
  const startedAt = performance.now();
  let nextStall = startedAt + 1000;
  let stalls = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      for (const line of (data as Buffer).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        const msg = JSON.parse(line) as { id?: number; method: string };
        if (msg.id === undefined) continue;
        if (msg.method === 'tools/call' && performance.now() >= nextStall) {
          stalls++;
          nextStall += 10_000;
          // Blocks this thread (the whole server) without spinning a core.
          Atomics.wait(blocker, 0, 0, 1000);
        }
        const result =
          msg.method === 'initialize'
            ? { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'stall', version: '1' } }
            : { content: [] };
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }) + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/mcp/ws`,
    stalls: () => stalls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}

describe('the open model holds for flows', () => {
  it('a server stall shows in the corrected step latency, not in the raw one', async () => {
    const server = await stallingServer();
    closers.push(() => server.close());
    const file = join(dir, 'stall.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'stall', arrivalRate: 100, timeout: '5s', flow: [{ method: 'tools/call', name: 'call', params: { name: 'work' } }] }),
    );
    const report = await runFlow(server.url, file, '3s');
    expect(server.stalls()).toBe(1);
    expect(
      Object.values(report.errors).every((n) => n === 0),
      JSON.stringify(report.errors),
    ).toBe(true);
    const step = report.steps!.call;
    expect(step.ok).toBe(step.sent);
    // The sessions that arrived during the stall waited for their handshake: about a third of them, up to 1 s late.
    expect(step.latency.corrected.p90).toBeGreaterThan(500_000);
    // Once they could send, the server answered at once: only the call that stalled it (and any in flight with it) took long.
    expect(step.latency.raw.p90).toBeLessThan(250_000);
    expect(step.latency.raw.max).toBeGreaterThan(900_000);
  });
});
