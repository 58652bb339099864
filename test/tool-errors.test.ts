/**
 * Tool errors (issue 16): a tools/call answered with a result whose `isError` is true is a failed call,
 * counted as its own outcome (toolError) and error type (tool), per method and per tool. The hot path
 * finds a success response without JSON.parse (fast-response.ts): these frames, written byte for byte,
 * check that it never calls a tool error ok (either key order, spaces around the colon) and that the
 * words `isError` elsewhere (inside a text, nested, `false`, another method's result) never make a failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorDetail } from '../src/shared/error-details.js';
import type { EngineSnapshot, MethodDelta } from '../src/shared/messages.js';
import { deltaCount } from '../src/shared/stats.js';
import { mayBeToolError } from '../src/worker/session/fast-response.js';
import { runEngine } from './helpers/engine-run.js';
import { rpcError, startRawServer, type BaseServer, type JsonRpc } from './helpers/raw-servers.js';

let server: BaseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The answer to each tool, as the bytes of its frame (`id` spliced in). */
const TOOL_FRAMES: Record<string, (id: unknown) => string> = {
  // mcpload serve's key order, with spaces around the colon.
  fails: (id) => `{"jsonrpc":"2.0","id":${String(id)},"result":{"content":[{"type":"text","text":"boom"}],"isError" : true}}\n`,
  // The SDK's key order (result first).
  'fails-sdk': (id) => `{"result":{"isError":true,"content":[{"type":"text","text":"sdk boom"}]},"jsonrpc":"2.0","id":${String(id)}}\n`,
  // The words inside a text (escaped quotes: never the key's bytes).
  quotes: (id) => `{"jsonrpc":"2.0","id":${String(id)},"result":{"content":[{"type":"text","text":"{\\"isError\\":true}"}]}}\n`,
  // A text that is exactly the key's bytes, and isError nested in structuredContent: the full parse decides.
  word: (id) => `{"jsonrpc":"2.0","id":${String(id)},"result":{"content":[{"type":"text","text":"isError"}],"structuredContent":{"isError":true}}}\n`,
  // Said, but false.
  false: (id) => `{"jsonrpc":"2.0","id":${String(id)},"result":{"content":[],"isError":false}}\n`,
  // Past 512 bytes the scan is Buffer.indexOf's: a tool error with a large image, and a large text that mentions it.
  'fails-big': (id) =>
    `{"jsonrpc":"2.0","id":${String(id)},"result":{"content":[{"type":"image","mimeType":"image/png","data":"${'A'.repeat(1000)}"},{"type":"text","text":"big boom"}],"isError":true}}\n`,
  'big-ok': (id) => `{"result":{"content":[{"type":"text","text":"${'z'.repeat(1000)} \\"isError\\": true"}]},"jsonrpc":"2.0","id":${String(id)}}\n`,
};

function answer(conn: { send(m: object | string): void }, msg: JsonRpc): void {
  const params = (msg.params ?? {}) as { name?: string };
  if (msg.method === 'tools/call') conn.send(TOOL_FRAMES[params.name!](msg.id));
  else if (msg.method === 'resources/read') conn.send(rpcError(msg.id, -32002, 'Resource not found: mcpload://missing'));
  // isError means nothing outside tools/call.
  else conn.send(`{"jsonrpc":"2.0","id":${String(msg.id)},"result":{"messages":[],"isError":true}}\n`);
}

function sumDeltas(snapshots: EngineSnapshot[], pick: (s: EngineSnapshot) => Record<string, MethodDelta>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const s of snapshots) {
    for (const [key, d] of Object.entries(pick(s))) {
      const t = (out[key] ??= { latency: 0 });
      for (const [k, v] of Object.entries(d)) if (typeof v === 'number') t[k] = (t[k] ?? 0) + v;
      t.latency += deltaCount(d.latency);
    }
  }
  return out;
}

describe('tool errors', () => {
  it('a tools/call result with isError: true is a tool error, per method and per tool; the words elsewhere are not', async () => {
    server = await startRawServer({ connection: (conn) => ({ onRequest: (msg) => answer(conn, msg) }) });
    const tool = (name: string) => ({ method: 'tools/call', weight: 1, params: { name, arguments: {} } });
    const run = await runEngine({
      url: server.url,
      clients: 2,
      profile: {
        rate: 60,
        mix: [
          ...Object.keys(TOOL_FRAMES).map(tool),
          { method: 'resources/read', weight: 1, params: { uri: 'mcpload://missing' } },
          { method: 'prompts/get', weight: 1, params: { name: 'greeting', arguments: { name: 'x' } } },
        ],
      },
      durationMs: 800,
      drainMs: 1000,
    });
    const targets = sumDeltas(run.snapshots, (s) => s.targets);
    expect(Object.keys(targets)).toEqual([
      'tools/call fails',
      'tools/call fails-sdk',
      'tools/call quotes',
      'tools/call word',
      'tools/call false',
      'tools/call fails-big',
      'tools/call big-ok',
      'resources/read mcpload://missing',
      'prompts/get greeting',
    ]);
    for (const [key, t] of Object.entries(targets)) {
      expect(t.sent, key).toBeGreaterThan(0);
      // Every request was answered (a tool error is an answer: its latency is recorded).
      expect(t.latency, key).toBe(t.sent);
    }
    for (const key of ['tools/call fails', 'tools/call fails-sdk', 'tools/call fails-big'])
      expect(targets[key], key).toMatchObject({ ok: 0, toolError: targets[key].sent });
    for (const key of ['tools/call quotes', 'tools/call word', 'tools/call false', 'tools/call big-ok', 'prompts/get greeting'])
      expect(targets[key], key).toMatchObject({ ok: targets[key].sent, toolError: 0, rpcError: 0 });
    expect(targets['resources/read mcpload://missing']).toMatchObject({ ok: 0, rpcError: targets['resources/read mcpload://missing'].sent });

    // The method's figures hold its targets'; the error types count the same requests.
    const calls = run.total.methods['tools/call'];
    const toolErrors = targets['tools/call fails'].toolError + targets['tools/call fails-sdk'].toolError + targets['tools/call fails-big'].toolError;
    expect(calls.toolError).toBe(toolErrors);
    expect(calls.sent).toBe(Object.keys(TOOL_FRAMES).reduce((n, k) => n + targets[`tools/call ${k}`].sent, 0));
    expect(run.total.errors.tool).toBe(toolErrors);
    expect(run.total.errors.rpc).toBe(targets['resources/read mcpload://missing'].rpcError);
    expect(run.total.errors.protocol).toBe(0);

    // The reasons, in the server's words, add up to the counts.
    const details = new Map<string, number>();
    for (const d of run.snapshots.flatMap((s) => s.errorDetails)) {
      const k = JSON.stringify({ ...d, count: undefined } satisfies Partial<ErrorDetail>);
      details.set(k, (details.get(k) ?? 0) + d.count);
    }
    expect(Object.fromEntries(details)).toEqual({
      [JSON.stringify({ method: 'tools/call', target: 'fails', type: 'tool', message: 'boom' })]: targets['tools/call fails'].toolError,
      [JSON.stringify({ method: 'tools/call', target: 'fails-sdk', type: 'tool', message: 'sdk boom' })]: targets['tools/call fails-sdk'].toolError,
      [JSON.stringify({ method: 'tools/call', target: 'fails-big', type: 'tool', message: 'big boom' })]: targets['tools/call fails-big'].toolError,
      [JSON.stringify({ method: 'resources/read', target: 'mcpload://missing', type: 'rpc', code: -32002, message: 'Resource not found: mcpload://missing' })]:
        targets['resources/read mcpload://missing'].rpcError,
    });
  });
});

describe('the isError scan', () => {
  it('finds the key wherever it is, in frames short and long, as Buffer.indexOf does', () => {
    const key = '"isError"';
    // Text around the key made of its own letters, so the scan's shifts meet every case.
    const filler = (n: number) => Array.from({ length: n }, (_, i) => 'rros"iE x'[(i * 7) % 9]).join('');
    for (const size of [0, 1, 8, 9, 10, 60, 200, 511, 512, 513, 2000]) {
      for (let at = 0; at <= size; at += Math.max(1, Math.floor(size / 40))) {
        const text = filler(at) + key + filler(size - at);
        expect(mayBeToolError(Buffer.from(text)), `key at ${at} of ${text.length}`).toBe(true);
        const broken = filler(at) + '"isErro"' + filler(size - at);
        expect(mayBeToolError(Buffer.from(broken)), `broken at ${at}`).toBe(Buffer.from(broken).includes(key));
      }
    }
    expect(mayBeToolError(Buffer.from('{"text":"\\"isError\\":true"}'))).toBe(false);
  });
});
