/**
 * Acceptance: the official MCP SDK Client with its WebSocketClientTransport connects to the
 * reference target (`mcpload serve`), initializes, lists and calls tools, reads, prompts and pings.
 * It also shows the SDK client tolerates the `\n` the target puts at the end of every frame.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';

// WebSocketClientTransport calls the global `WebSocket`, which Node 20 does not have (it arrived
// unflagged in Node 22). The `ws` package's WebSocket implements the same browser-style API.
// Restored after, so no other test file sees a global it did not set.
const globals = globalThis as { WebSocket?: unknown };
const hadWebSocket = typeof globals.WebSocket !== 'undefined';
beforeAll(() => {
  if (!hadWebSocket) globals.WebSocket = WsWebSocket;
});
afterAll(() => {
  if (!hadWebSocket) delete globals.WebSocket;
});

let target: RunningTarget | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await target?.close();
  target = undefined;
});

describe('the official SDK client against the reference target', () => {
  it('initializes, lists and calls tools, reads a resource, gets a prompt, pings', async () => {
    target = await startTarget({ port: 0 });
    client = new Client({ name: 'sdk-acceptance', version: '1.0.0' });
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    await client.connect(new WebSocketClientTransport(new URL(target.url)));

    expect(client.getServerVersion()).toMatchObject({ name: 'mcpload-target' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {} });

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo']);

    const called = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(called.content).toEqual([{ type: 'text', text: 'hello' }]);

    const { resources } = await client.listResources();
    expect(resources).toHaveLength(10);
    const read = await client.readResource({ uri: 'mcpload://resources/3' });
    expect(read.contents).toEqual([{ uri: 'mcpload://resources/3', mimeType: 'text/plain', text: 'resource 3' }]);

    const prompt = await client.getPrompt({ name: 'greeting', arguments: { name: 'Ada' } });
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello, Ada' } }]);

    expect(await client.ping()).toEqual({});

    // Frames ending in `\n` parsed without a single transport error.
    expect(errors).toEqual([]);
    await expect.poll(() => target!.stats().byMethod['notifications/initialized']).toBe(1);
    expect(target.stats().requests).toBe(7);
  });

  it('answers the pings the target sends', async () => {
    target = await startTarget({ port: 0, pingIntervalMs: 20 });
    client = new Client({ name: 'sdk-acceptance', version: '1.0.0' });
    await client.connect(new WebSocketClientTransport(new URL(target.url)));
    await expect.poll(() => target!.stats().pongsReceived).toBeGreaterThanOrEqual(1);
  });
});
