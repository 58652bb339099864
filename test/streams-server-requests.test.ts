/**
 * The server's requests answered like a real client (issue 17): a profile that declares sampling,
 * elicitation and roots answers `sampling/createMessage`, `elicitation/create` and `roots/list` on the
 * session (2025-11-25: `mcpload serve` over WebSocket, the official SDK McpServer over Streamable HTTP,
 * where they come on the POST's SSE stream), and over 2026-07-28 retries each `input_required` result
 * with `inputResponses`, the whole multi-round call timed end to end. Counted by kind on both sides.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import type { RunReport } from '../src/report/types.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { startSdkHttpServer, type SdkHttpServer } from './helpers/sdk-http-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-streams-asks-'));
const KINDS = ['sampling', 'elicitation', 'roots'] as const;
const CAPABILITIES = { sampling: true, elicitation: { delay: '5ms' }, roots: true };

let target: RunningTarget | undefined;
let sdk: SdkHttpServer | undefined;
afterEach(async () => {
  await target?.close();
  await sdk?.close();
  target = sdk = undefined;
});

async function run(url: string, name: string, tool: string, protocolVersion?: string): Promise<RunReport> {
  const profile = writeProfile(dir, name, {
    clients: 2,
    rate: 5,
    timeout: '5s',
    mix: [{ method: 'tools/call', params: { name: tool } }],
    capabilities: CAPABILITIES,
  });
  const opts = resolveRunOptions({
    url: [url],
    profile,
    duration: '3s',
    drainTimeout: '5s',
    workers: 1,
    quiet: true,
    logLevel: 'silent',
    ...(protocolVersion ? { protocolVersion } : {}),
  });
  return (await start(opts).result).report;
}

function allAnswered(report: RunReport, kind: string): number {
  const calls = report.methods['tools/call'];
  expect(calls.sent).toBeGreaterThan(0);
  expect(calls.ok).toBe(calls.sent);
  expect(report.requests.failed).toBe(0);
  expect(report.streams!.events[kind]).toBe(calls.sent);
  return calls.sent;
}

describe('server requests, 2025-11-25, mcpload serve over WebSocket', () => {
  for (const kind of KINDS) {
    it(`${kind}: every request answered, every call ok; the target counts the answers`, async () => {
      target = await startTarget({ port: 0 });
      const report = await run(target.url, `ws-${kind}`, `ask_${kind}`);
      const sent = allAnswered(report, kind);
      const s = target.stats().streams!;
      expect(s.serverRequestsSent[kind]).toBe(sent);
      expect(s.serverRequestsAnswered[kind]).toBe(sent);
    });
  }
});

describe('multi-round requests, 2026-07-28, mcpload serve over Streamable HTTP', () => {
  for (const kind of KINDS) {
    it(`${kind}: input_required retried with inputResponses; one multiRound sample per call`, async () => {
      target = await startTarget({ port: 0 });
      const report = await run(target.httpUrl, `mrtr-${kind}`, `ask_${kind}`, '2026-07-28');
      const sent = allAnswered(report, kind);
      expect(report.streams!.events.inputRequired).toBe(sent);
      expect(report.streams!.latency.multiRound.count).toBe(sent);
      const s = target.stats().streams!;
      expect(s.inputRequired[kind]).toBe(sent);
      expect(s.inputResponses[kind]).toBe(sent);
    });
  }
});

describe('server requests, 2025-11-25, the SDK McpServer over Streamable HTTP (on the POST SSE stream)', () => {
  it('sampling, elicitation and roots: every request answered, every call ok', async () => {
    const asked: Record<string, number> = { sampling: 0, elicitation: 0, roots: 0 };
    sdk = await startSdkHttpServer({
      register: (server) => {
        server.registerTool('ask_sampling', { description: 'asks the client to sample' }, async (extra) => {
          // Related to the call: the SDK sends it on the call's SSE stream (unrelated ones go to the GET stream).
          const related = { relatedRequestId: extra.requestId };
          await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 }, related);
          asked.sampling++;
          return { content: [{ type: 'text', text: 'sampled' }] };
        });
        server.registerTool('ask_elicitation', { description: 'asks the user' }, async (extra) => {
          const r = await server.server.elicitInput(
            { message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string', default: 'Ada' } } } },
            { relatedRequestId: extra.requestId },
          );
          if (r.action === 'accept' && (r.content as { name?: unknown } | undefined)?.name === 'Ada') asked.elicitation++;
          return { content: [{ type: 'text', text: 'elicited' }] };
        });
        server.registerTool('ask_roots', { description: 'lists the client roots' }, async (extra) => {
          const r = await server.server.listRoots(undefined, { relatedRequestId: extra.requestId });
          if (r.roots.length > 0) asked.roots++;
          return { content: [{ type: 'text', text: 'rooted' }] };
        });
      },
    });
    for (const kind of KINDS) {
      const report = await run(sdk.url, `sdk-${kind}`, `ask_${kind}`);
      if (process.env.DEBUG_ASKS)
        console.log(JSON.stringify({ m: report.methods, e: report.errors, d: report.errorDetails, s: report.streams, msg: report.messages }));
      expect(asked[kind]).toBe(allAnswered(report, kind));
    }
  });
});

describe('templated answers and an answer delay', () => {
  it('the SDK McpServer receives answers filled per request: {{session}}, {{seq}} and random holes', async () => {
    const names: string[] = [];
    const texts: string[] = [];
    sdk = await startSdkHttpServer({
      register: (server) => {
        server.registerTool('ask_both', { description: 'asks the user, then the model' }, async (extra) => {
          const related = { relatedRequestId: extra.requestId };
          const e = await server.server.elicitInput(
            { message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } },
            related,
          );
          names.push(String((e.content as { name?: unknown } | undefined)?.name));
          const m = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 }, related);
          texts.push((m.content as { text?: string }).text ?? '');
          return { content: [{ type: 'text', text: 'done' }] };
        });
      },
    });
    const profile = writeProfile(dir, 'sdk-templated', {
      clients: 2,
      rate: 5,
      timeout: '5s',
      mix: [{ method: 'tools/call', params: { name: 'ask_both' } }],
      capabilities: {
        elicitation: { result: { action: 'accept', content: { name: 'user-{{session}}-{{randString 6}}' } } },
        sampling: { result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'call {{seq}} says {{pick yes no}}' } } },
      },
    });
    const opts = resolveRunOptions({ url: [sdk.url], profile, duration: '2s', drainTimeout: '5s', workers: 1, quiet: true, logLevel: 'silent' });
    const report = (await start(opts).result).report;
    const calls = report.methods['tools/call'];
    expect(calls.sent).toBeGreaterThan(2);
    expect(calls.ok).toBe(calls.sent);
    expect(names).toHaveLength(calls.sent);
    for (const n of names) expect(n).toMatch(/^user-[01]-[A-Za-z0-9]{6}$/);
    expect(new Set(names).size).toBe(names.length); // random per answer
    expect(new Set(names.map((n) => n.split('-')[1]))).toEqual(new Set(['0', '1']));
    for (const t of texts) expect(t).toMatch(/^call \d+ says (yes|no)$/);
  });

  it('a bad template in an answer is bad input, one line naming where', () => {
    const profile = writeProfile(dir, 'bad-answer-template', {
      mix: [{ method: 'ping' }],
      capabilities: { roots: { result: { roots: [{ uri: 'file:///{{row.dir}}' }] } } },
    });
    expect(() => resolveRunOptions({ profile })).toThrow(/capabilities\.roots\.result\.roots\[0\]\.uri: \{\{row\.FIELD\}\} needs a data file/);
  });

  it('mcpload serve, 2026-07-28: the answer waits its delay: no multi-round call ends before it', async () => {
    target = await startTarget({ port: 0 });
    const profile = writeProfile(dir, 'delayed-roots', {
      clients: 1,
      rate: 4,
      timeout: '5s',
      mix: [{ method: 'tools/call', params: { name: 'ask_roots' } }],
      capabilities: { roots: { result: { roots: [{ uri: 'file:///s{{session}}', name: 'r{{randInt 1 9}}' }] }, delay: '150ms' } },
    });
    const opts = resolveRunOptions({
      url: [target.httpUrl],
      profile,
      duration: '2s',
      drainTimeout: '5s',
      workers: 1,
      quiet: true,
      logLevel: 'silent',
      protocolVersion: '2026-07-28',
    });
    const report = (await start(opts).result).report;
    const sent = allAnswered(report, 'roots');
    const multi = report.streams!.latency.multiRound;
    expect(multi.count).toBe(sent);
    expect(multi.min).toBeGreaterThanOrEqual(150_000); // µs: the delay is a floor, not a speed
    expect(target.stats().streams!.inputResponses.roots).toBe(sent);
  });
});
