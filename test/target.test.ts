import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTarget, type RunningTarget, type TargetOptions } from '../src/reference-server/server.js';

/** A raw ws client: sends text frames as given, queues every frame it receives. */
interface RawClient {
  socket: WebSocket;
  /** Every frame received so far, as text. */
  frames: string[];
  send(text: string): void;
  /** The next JSON-RPC message (frames may hold several, one per line). */
  next(): Promise<any>;
}

function connect(url: string, protocols: string[] = ['mcp']): Promise<RawClient> {
  const socket = new WebSocket(url, protocols);
  const frames: string[] = [];
  const queue: any[] = [];
  const waiting: Array<(message: any) => void> = [];
  socket.on('message', (data) => {
    const text = (data as Buffer).toString();
    frames.push(text);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const message = JSON.parse(line);
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    }
  });
  const client: RawClient = {
    socket,
    frames,
    send: (text) => socket.send(text),
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}

const request = (id: number | string, method: string, params?: unknown): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }) + '\n';

let target: RunningTarget | undefined;
const clients: RawClient[] = [];

async function start(opts: Partial<TargetOptions> = {}): Promise<RunningTarget> {
  target = await startTarget({ port: 0, ...opts });
  return target;
}
async function open(): Promise<RawClient> {
  const client = await connect(target!.url);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await target?.close();
  target = undefined;
});

describe('reference target', () => {
  it('serves the MCP surface to a raw ws client', async () => {
    await start();
    expect(target!.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mcp\/ws$/);
    const client = await open();
    expect(client.socket.protocol).toBe('mcp');

    client.send(request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } }));
    const init = await client.next();
    expect(init).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {}, resources: {}, prompts: {} },
        serverInfo: { name: 'mcpload-target' },
      },
    });
    // Every frame the target sends ends with a newline, like erlmcp.
    expect(client.frames[0].endsWith('}\n')).toBe(true);
    client.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');

    client.send(request(2, 'tools/list', { _meta: { 'mcpload/pad': 'xxxx' } }));
    const tools = await client.next();
    expect(tools.id).toBe(2);
    expect(tools.result.tools).toEqual([
      expect.objectContaining({ name: 'echo', inputSchema: expect.objectContaining({ type: 'object', required: ['text'] }) }),
    ]);

    client.send(request('three', 'tools/call', { name: 'echo', arguments: { text: 'hi "there"' }, _meta: { 'mcpload/pad': 'xx' } }));
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 'three', result: { content: [{ type: 'text', text: 'hi "there"' }] } });

    client.send(request(4, 'resources/read', { uri: 'mcpload://resources/7' }));
    expect(await client.next()).toEqual({
      jsonrpc: '2.0',
      id: 4,
      result: { contents: [{ uri: 'mcpload://resources/7', mimeType: 'text/plain', text: 'resource 7' }] },
    });

    client.send(request(5, 'prompts/get', { name: 'greeting', arguments: { name: 'Ada' } }));
    expect(await client.next()).toEqual({
      jsonrpc: '2.0',
      id: 5,
      result: { messages: [{ role: 'user', content: { type: 'text', text: 'Hello, Ada' } }] },
    });

    client.send(request(6, 'ping'));
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 6, result: {} });

    client.send(request(7, 'no/such/method'));
    expect(await client.next()).toMatchObject({ id: 7, error: { code: -32601 } });

    client.send('{"jsonrpc":"2.0","id":8,"method":');
    expect(await client.next()).toMatchObject({ id: null, error: { code: -32700 } });

    // Two messages in one frame, the second without a terminator: two answers, in order.
    client.send(request(9, 'ping') + JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'resources/list' }));
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 9, result: {} });
    const list = await client.next();
    expect(list.id).toBe(10);
    expect(list.result.resources).toHaveLength(10);
    expect(list.result.resources[0]).toEqual({ uri: 'mcpload://resources/1', name: 'resource-1', mimeType: 'text/plain' });

    const stats = target!.stats();
    expect(stats).toMatchObject({ sessionsOpen: 1, sessionsTotal: 1, requests: 9, notifications: 1, responses: 10, errors: 2 });
    expect(stats.byMethod).toMatchObject({ initialize: 1, 'tools/call': 1, ping: 2, '(other)': 1, 'notifications/initialized': 1 });
    // The same counters over HTTP, for tools that cross-check what the target saw.
    const res = await fetch(`http://127.0.0.1:${target!.port}/stats`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(target!.stats());
  });

  it('answers a frame without a terminator, the way the SDK client sends', async () => {
    await start();
    const client = await open();
    client.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
  });

  it('answers the latest protocol version when the asked one is unknown', async () => {
    await start();
    const client = await open();
    client.send(request(1, 'initialize', { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 't', version: '1' } }));
    expect((await client.next()).result.protocolVersion).toBe('2025-11-25');
  });

  it('rejects bad params and unknown names with MCP errors; bad tool input is a tool error (isError)', async () => {
    await start();
    const client = await open();
    client.send(request(1, 'tools/call', { name: 'nope', arguments: {} }));
    client.send(request(2, 'tools/call', { name: 'echo', arguments: { text: 42 } }));
    client.send(request(3, 'resources/read', { uri: 'mcpload://resources/11' }));
    client.send(request(4, 'prompts/get', { name: 'greeting' }));
    client.send(request(5, 'tools/call'));
    expect((await client.next()).error.code).toBe(-32602);
    // 2025-11-25 server/tools "Error Handling": input validation is a tool execution error, a result.
    expect((await client.next()).result).toEqual({
      content: [{ type: 'text', text: 'Invalid arguments for tool echo: text must be a string' }],
      isError: true,
    });
    expect((await client.next()).error.code).toBe(-32002);
    expect((await client.next()).error.code).toBe(-32602);
    expect((await client.next()).error.code).toBe(-32602);
  });

  it('survives anything a client sends', async () => {
    await start();
    const client = await open();
    client.socket.send(Buffer.from([0xde, 0xad]), { binary: true });
    expect(await client.next()).toMatchObject({ id: null, error: { code: -32700 } });
    for (const text of [
      'null',
      '42',
      '[]',
      '{"jsonrpc":"1.0","id":1,"method":"ping"}',
      '{"jsonrpc":"2.0","id":{},"method":"ping"}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}',
    ]) {
      client.send(text);
      expect((await client.next()).error.code).toBeLessThan(0);
    }
    // A pretty-printed message has newlines inside it and is still one message.
    client.send(JSON.stringify({ jsonrpc: '2.0', id: 'pretty', method: 'ping' }, null, 2));
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 'pretty', result: {} });
    // A response nobody asked for is counted, not answered.
    client.send('{"jsonrpc":"2.0","id":99,"result":{}}\n');
    client.send(request(100, 'ping'));
    expect((await client.next()).id).toBe(100);
    expect(target!.stats()).toMatchObject({ badMessages: 6, unmatchedResponses: 1 });
  });

  it('answers every request but initialize with -32603 at errorRate 1', async () => {
    await start({ errorRate: 1 });
    const client = await open();
    client.send(request(1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } }));
    expect((await client.next()).result.protocolVersion).toBe('2025-11-25');
    client.send(request(2, 'ping'));
    client.send(request(3, 'tools/list'));
    expect(await client.next()).toMatchObject({ id: 2, error: { code: -32603 } });
    expect(await client.next()).toMatchObject({ id: 3, error: { code: -32603 } });
    expect(target!.stats().errors).toBe(2);
  });

  it('pings open sessions and counts the replies', async () => {
    await start({ pingIntervalMs: 20 });
    const client = await open();
    const ping = await client.next();
    expect(ping).toMatchObject({ jsonrpc: '2.0', method: 'ping' });
    expect(typeof ping.id).toBe('string');
    client.send(JSON.stringify({ jsonrpc: '2.0', id: ping.id, result: {} }) + '\n');
    await expect.poll(() => target!.stats().pongsReceived).toBeGreaterThanOrEqual(1);
    const stats = target!.stats();
    expect(stats.pingsSent).toBeGreaterThanOrEqual(1);
    expect(stats.requests).toBe(0);
  });

  it('holds responses during a stall and sends them after', async () => {
    await start({ stallEveryMs: 10, stallForMs: 5, delayMs: 1, jitterMs: 2 });
    const client = await open();
    // Spread the requests over several stall periods; what matters is that none is lost.
    for (let id = 1; id <= 20; id++) {
      client.send(request(id, 'ping'));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push((await client.next()).id);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('counts close frames and sessions', async () => {
    await start();
    const a = await open();
    await open();
    expect(target!.stats().sessionsOpen).toBe(2);
    a.socket.close(1000, 'done');
    await expect.poll(() => target!.stats().closeFramesReceived).toBe(1);
    expect(target!.stats()).toMatchObject({ sessionsOpen: 1, sessionsTotal: 2 });
  });

  it('rejects other paths with 404 and closes idempotently', async () => {
    await start();
    const wrong = target!.url.replace('/mcp/ws', '/other');
    await expect(connect(wrong)).rejects.toThrow(/404/);
    await target!.close();
    await target!.close();
  });
});

describe('reference target with --fixtures, over WebSocket', () => {
  const init = (capabilities: Record<string, unknown>) =>
    request(0, 'initialize', { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 't', version: '1' } });

  it('adds the conformance surface; without fixtures it is not there', async () => {
    await start();
    const plain = await open();
    plain.send(request(1, 'tools/call', { name: 'test_simple_text', arguments: {} }));
    expect((await plain.next()).error.code).toBe(-32602);
    await target!.close();
    await start({ fixtures: true });
    const client = await open();
    client.send(init({}));
    expect((await client.next()).result.capabilities).toMatchObject({ logging: {}, completions: {}, resources: { subscribe: true } });
    client.send(request(1, 'tools/call', { name: 'test_simple_text', arguments: {} }));
    client.send(request(2, 'tools/call', { name: 'echo', arguments: { text: 'still here' } }));
    client.send(request(3, 'resources/read', { uri: 'test://template/42/data' }));
    client.send(request(4, 'tools/call', { name: 'test_error_handling', arguments: {} }));
    expect((await client.next()).result.content[0]).toEqual({ type: 'text', text: 'This is a simple text response for testing.' });
    expect((await client.next()).result.content[0].text).toBe('still here');
    expect((await client.next()).result.contents[0].text).toContain('"id":"42"');
    expect((await client.next()).result.isError).toBe(true);
  });

  it('streams progress before the result, and round-trips sampling through the client', async () => {
    await start({ fixtures: true });
    const client = await open();
    client.send(init({ sampling: {} }));
    await client.next();
    client.send(request(1, 'tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p1' } }));
    for (const progress of [0, 50, 100]) {
      expect(await client.next()).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'p1', progress, total: 100 } });
    }
    expect((await client.next()).id).toBe(1);
    client.send(request(2, 'tools/call', { name: 'test_sampling', arguments: { prompt: 'say hi' } }));
    const ask = await client.next();
    expect(ask).toMatchObject({ method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'say hi' } }] } });
    client.send(JSON.stringify({ jsonrpc: '2.0', id: ask.id, result: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' } }));
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'LLM response: hi' }] } });
    expect(target!.stats().unmatchedResponses).toBe(0);
  });

  it('a client that declared no elicitation gets a tool error, not a request', async () => {
    await start({ fixtures: true });
    const client = await open();
    client.send(init({}));
    await client.next();
    client.send(request(1, 'tools/call', { name: 'test_elicitation', arguments: { message: 'name?' } }));
    expect(await client.next()).toMatchObject({ id: 1, result: { isError: true, content: [{ text: 'The client declared no elicitation capability' }] } });
  });
});
