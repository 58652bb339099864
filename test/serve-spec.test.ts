/**
 * `mcpload serve` against the 2025-11-25 text, as a real process: Host/Origin validation against DNS
 * rebinding (basic/transports "Security Warning": 403) on Streamable HTTP and on the WebSocket upgrade,
 * 400 for an MCP-Protocol-Version it does not speak, and bad tool input as a tool error (isError).
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli } from './helpers/cli.js';
import { initializeBody, MCP_POST_HEADERS, rawRequest, startServe, type Serve } from './helpers/serve.js';

let serve: Serve | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

const portOf = (url: string) => new URL(url).port;

/** The status a WebSocket upgrade gets: 101 when it opens. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'mcp', { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode!);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

async function initialize(s: Serve, headers: Record<string, string> = {}) {
  return rawRequest(s.httpUrl, 'POST', { ...MCP_POST_HEADERS, ...headers }, initializeBody());
}

describe('mcpload serve refuses DNS rebinding (Host and Origin)', () => {
  it('bound to loopback: answers loopback names and origins, 403 for others, on HTTP and on the WebSocket upgrade', async () => {
    serve = await startServe();
    const port = portOf(serve.httpUrl);
    expect((await initialize(serve)).status).toBe(200);
    expect((await initialize(serve, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
    expect((await initialize(serve, { origin: 'http://127.0.0.1:6274' })).status).toBe(200);

    const evilHost = await initialize(serve, { host: 'evil.example.com', origin: 'http://evil.example.com' });
    expect(evilHost.status).toBe(403);
    expect(JSON.parse(evilHost.text)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expect((await initialize(serve, { origin: 'http://evil.example.com' })).status).toBe(403);
    expect((await initialize(serve, { host: `evil.example.com:${port}` })).status).toBe(403);

    expect(await upgradeStatus(serve.wsUrl, {})).toBe(101);
    expect(await upgradeStatus(serve.wsUrl, { origin: `http://localhost:${port}` })).toBe(101);
    expect(await upgradeStatus(serve.wsUrl, { origin: 'https://evil.example.com' })).toBe(403);
    expect(await upgradeStatus(serve.wsUrl, { host: 'evil.example.com' })).toBe(403);
  });

  it('--allowed-hosts and --allowed-origins replace the defaults; * allows any', async () => {
    serve = await startServe(['--allowed-hosts', 'mcp.internal,mcp.internal:9', '--allowed-origins', 'https://app.example.com']);
    expect((await initialize(serve, { host: 'mcp.internal' })).status).toBe(200);
    expect((await initialize(serve, { host: 'mcp.internal', origin: 'https://app.example.com' })).status).toBe(200);
    expect((await initialize(serve, { host: 'mcp.internal', origin: 'http://localhost' })).status).toBe(403);
    expect((await initialize(serve)).status).toBe(403); // 127.0.0.1:PORT is not in the list
    await serve.stop();
    serve = await startServe(['--allowed-hosts', '*', '--allowed-origins', '*']);
    expect((await initialize(serve, { host: 'evil.example.com', origin: 'http://evil.example.com' })).status).toBe(200);
    expect(await upgradeStatus(serve.wsUrl, { host: 'evil.example.com', origin: 'http://evil.example.com' })).toBe(101);
  });

  it('an allow-list entry that can never match is bad input: one line, exit 2', async () => {
    const bad = await runCli(['serve', '--port', '0', '--allowed-origins', 'app.example.com/path'], { timeoutMs: 15_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^mcpload: --allowed-origins: "app\.example\.com\/path" is not an origin .*$/);
  });
});

describe('mcpload serve speaks 2025-11-25', () => {
  it('answers 400 for an MCP-Protocol-Version it does not speak, on any request', async () => {
    serve = await startServe();
    const init = await initialize(serve);
    const sid = init.headers['mcp-session-id'] as string;
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
    const session = { ...MCP_POST_HEADERS, 'mcp-session-id': sid };
    expect((await rawRequest(serve.httpUrl, 'POST', { ...session, 'mcp-protocol-version': '2025-11-25' }, ping)).status).toBe(200);
    expect((await rawRequest(serve.httpUrl, 'POST', { ...session, 'mcp-protocol-version': '2025-03-26' }, ping)).status).toBe(200);
    const bogus = await rawRequest(serve.httpUrl, 'POST', { ...session, 'mcp-protocol-version': '1999-01-01' }, ping);
    expect(bogus.status).toBe(400);
    expect(JSON.parse(bogus.text).error.message).toMatch(/unsupported MCP-Protocol-Version "1999-01-01"/);
    expect((await initialize(serve, { 'mcp-protocol-version': 'banana' })).status).toBe(400);
    expect((await rawRequest(serve.httpUrl, 'DELETE', { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
  });

  it('answers bad tool input with a tool error (isError result), an unknown tool with -32602', async () => {
    serve = await startServe();
    const init = await initialize(serve);
    const session = { ...MCP_POST_HEADERS, 'mcp-session-id': init.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' };
    const call = (id: number, params: unknown) =>
      rawRequest(serve!.httpUrl, 'POST', session, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }));
    const bad = JSON.parse((await call(2, { name: 'echo', arguments: { text: 42 } })).text);
    expect(bad).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { content: [{ type: 'text', text: 'Invalid arguments for tool echo: text must be a string' }], isError: true },
    });
    expect(JSON.parse((await call(3, { name: 'nope', arguments: {} })).text).error.code).toBe(-32602);
    expect(JSON.parse((await call(4, { name: 'echo', arguments: { text: 'hi' } })).text).result).toEqual({ content: [{ type: 'text', text: 'hi' }] });
  });
});
