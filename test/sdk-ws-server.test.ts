/**
 * Checks the SDK-McpServer-over-WebSocket helper: with the official SDK client, and with a raw
 * ws client sending what mcpload sends (newline-terminated frames, `params._meta` padding).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSdkWsServer, type SdkWsServer } from './helpers/sdk-ws-server.js';

// WebSocketClientTransport needs a global WebSocket; Node 20 has none, `ws` provides the same API.
const globals = globalThis as { WebSocket?: unknown };
const hadWebSocket = typeof globals.WebSocket !== 'undefined';
beforeAll(() => {
  if (!hadWebSocket) globals.WebSocket = WebSocket;
});
afterAll(() => {
  if (!hadWebSocket) delete globals.WebSocket;
});

/** A raw ws client: `next()` resolves with the next JSON-RPC message, frames are kept as text. */
async function connectRaw(url: string) {
  const socket = new WebSocket(url, 'mcp');
  const frames: string[] = [];
  const queue: any[] = [];
  const waiting: Array<(message: any) => void> = [];
  socket.on('message', (data) => {
    frames.push((data as Buffer).toString());
    for (const line of (data as Buffer).toString().split('\n')) {
      if (line.trim() === '') continue;
      const message = JSON.parse(line);
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    }
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    frames,
    send: (message: unknown) => socket.send(JSON.stringify(message) + '\n'),
    next: (): Promise<any> => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))),
  };
}

const PAD = { 'mcpload/pad': 'xxxx' };

let server: SdkWsServer | undefined;
let client: Client | undefined;
const rawSockets: WebSocket[] = [];

afterEach(async () => {
  await client?.close();
  client = undefined;
  for (const socket of rawSockets.splice(0)) socket.terminate();
  await server?.close();
  server = undefined;
});

describe('SDK McpServer over WebSocket (test helper)', () => {
  it('serves the target surface to the SDK client', async () => {
    server = await startSdkWsServer();
    client = new Client({ name: 'helper-check', version: '1.0.0' });
    await client.connect(new WebSocketClientTransport(new URL(server.url)));
    expect(client.getServerVersion()).toMatchObject({ name: 'sdk-target' });
    await expect.poll(() => server!.sessions()).toBe(1);

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo']);
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toEqual(Array.from({ length: 10 }, (_, i) => `mcpload://resources/${i + 1}`));
    expect((await client.readResource({ uri: 'mcpload://resources/10' })).contents).toEqual([
      { uri: 'mcpload://resources/10', mimeType: 'text/plain', text: 'resource 10' },
    ]);
    expect((await client.getPrompt({ name: 'greeting', arguments: { name: 'Ada' } })).messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'Hello, Ada' } },
    ]);
    expect(await client.ping()).toEqual({});
  });

  it('accepts params._meta padding from a raw client on every method mcpload sends', async () => {
    server = await startSdkWsServer();
    const raw = await connectRaw(server.url);
    rawSockets.push(raw.socket);

    raw.send({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' }, _meta: PAD },
    });
    expect((await raw.next()).result.protocolVersion).toBe('2025-06-18');
    // The SDK server ends frames with `\n` by default in this helper (erlmcp style).
    expect(raw.frames[0].endsWith('}\n')).toBe(true);
    raw.send({ jsonrpc: '2.0', method: 'notifications/initialized', params: { _meta: PAD } });

    const padded: Array<[string, Record<string, unknown>]> = [
      ['tools/list', {}],
      ['tools/call', { name: 'echo', arguments: { text: 'hi' } }],
      ['resources/list', {}],
      ['resources/read', { uri: 'mcpload://resources/1' }],
      ['prompts/list', {}],
      ['prompts/get', { name: 'greeting', arguments: { name: 'Ada' } }],
      ['ping', {}],
    ];
    for (const [i, [method, params]] of padded.entries()) {
      raw.send({ jsonrpc: '2.0', id: i + 1, method, params: { ...params, _meta: PAD } });
      const response = await raw.next();
      expect({ method, id: response.id, error: response.error }).toEqual({ method, id: i + 1, error: undefined });
      expect(response.result).toBeDefined();
    }
  });

  it('takes several messages in one frame and can send frames without a terminator', async () => {
    server = await startSdkWsServer({ frameTerminator: '' });
    const raw = await connectRaw(server.url);
    rawSockets.push(raw.socket);
    raw.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) + '\n' + JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }));
    expect((await raw.next()).id).toBe(1);
    expect((await raw.next()).id).toBe(2);
    expect(raw.frames.every((frame) => !frame.endsWith('\n'))).toBe(true);
  });

  it('rejects other paths and closes idempotently', async () => {
    server = await startSdkWsServer({ path: '/custom' });
    expect(server.url.endsWith('/custom')).toBe(true);
    await expect(connectRaw(server.url.replace('/custom', '/mcp/ws'))).rejects.toThrow(/404/);
    const raw = await connectRaw(server.url);
    rawSockets.push(raw.socket);
    await server.close();
    await server.close();
    expect(server.sessions()).toBe(0);
  });
});
