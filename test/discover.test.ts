/**
 * `mcpload discover` and mix entries that draw targets from discovery, against a real local server
 * whose lists come in pages and whose tools carry every kind of annotation: paging is followed,
 * only read-only or allow-listed tools are ever called (a destructive one only by name), arguments
 * are sampled deterministically from each inputSchema, and a failing target is left out.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../src/config/profile.js';
import { sampleArguments } from '../src/discover/sample.js';
import { toolVerdict } from '../src/discover/policy.js';
import { runCli, runMain } from './helpers/cli.js';

const TOOLS = [
  [
    {
      name: 'read-a',
      inputSchema: { type: 'object', properties: { q: { type: 'string', minLength: 1 } }, required: ['q'] },
      annotations: { readOnlyHint: true },
    },
    { name: 'write-b', inputSchema: { type: 'object' } },
  ],
  [
    { name: 'wipe-c', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true, destructiveHint: true } },
    { name: 'fails-e', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  ],
];

/** A WebSocket MCP server with paged lists; it records every tools/call by name. */
async function pagingServer(o: { noSubprotocol?: boolean } = {}) {
  const calls: string[] = [];
  // noSubprotocol, like erlmcp: it selects none (discovery connects again without offering one).
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...(o.noSubprotocol ? { handleProtocols: () => false as const } : {}) });
  await new Promise((r) => wss.once('listening', r));
  const answer = (method: string, params: any): unknown => {
    switch (method) {
      case 'initialize':
        return {
          protocolVersion: params.protocolVersion,
          capabilities: { tools: {}, resources: {}, prompts: {} },
          serverInfo: { name: 'Paging Test', version: '1.0' },
        };
      case 'ping':
        return {};
      case 'tools/list':
        return params?.cursor === 'p2' ? { tools: TOOLS[1] } : { tools: TOOLS[0], nextCursor: 'p2' };
      case 'tools/call':
        calls.push(params.name);
        if (params.name === 'fails-e') return { content: [{ type: 'text', text: 'no' }], isError: true };
        if (params.name === 'read-a' && !(typeof params.arguments?.q === 'string' && params.arguments.q.length > 0)) return { content: [], isError: true };
        return { content: [{ type: 'text', text: 'ok' }] };
      case 'resources/list':
        return params?.cursor === 'r2' ? { resources: [{ uri: 'test://r/2' }] } : { resources: [{ uri: 'test://r/1', name: 'one' }], nextCursor: 'r2' };
      case 'resources/templates/list':
        return { resourceTemplates: [{ uriTemplate: 'test://t/{id}', name: 'by id' }] };
      case 'resources/read':
        return { contents: [{ uri: params.uri, text: 'x' }] };
      case 'prompts/list':
        return { prompts: [{ name: 'hello', arguments: [{ name: 'who', required: true }] }] };
      case 'prompts/get':
        return typeof params?.arguments?.who === 'string' ? { messages: [] } : undefined;
    }
    return undefined;
  };
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data: Buffer) => {
      for (const line of data.toString().split('\n').filter(Boolean)) {
        const msg = JSON.parse(line);
        if (msg.id === undefined) continue;
        const result = answer(msg.method, msg.params);
        ws.send(
          JSON.stringify(
            result === undefined ? { jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'bad' } } : { jsonrpc: '2.0', id: msg.id, result },
          ),
        );
      }
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  return { url, calls, close: () => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))) };
}

let server: Awaited<ReturnType<typeof pagingServer>>;
let dir: string;
beforeAll(async () => {
  server = await pagingServer();
  dir = mkdtempSync(join(tmpdir(), 'mcpload-discover-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  server.calls.length = 0;
});

describe('mcpload discover', () => {
  it('lists every page of tools and resources, templates and prompts, and says which tools a run may call', async () => {
    const r = await runMain(['discover', server.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Paging Test 1.0');
    expect(r.stdout).toMatch(/tools \(4\):/);
    for (const name of ['read-a', 'write-b', 'wipe-c', 'fails-e', 'test://r/1', 'test://r/2', 'test://t/{id}', 'hello']) expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/write-b[^]*?NOT called: not annotated readOnlyHint: true/);
    expect(r.stdout).toMatch(/wipe-c[^]*?NOT called: destructive/);
    // Listing calls nothing.
    expect(server.calls).toEqual([]);
  });

  it('writes a starter profile that calls only what is read-only and works, and loads', async () => {
    const file = join(dir, 'starter.yaml');
    const r = await runMain(['discover', server.url, '--write', file]);
    expect(r.code, r.stderr).toBe(0);
    const p = loadProfile(file);
    const called = p.mix.filter((e) => e.method === 'tools/call').map((e) => e.params?.name);
    expect(called).toEqual(['read-a']);
    expect(p.mix.filter((e) => e.method === 'resources/read').map((e) => e.params?.uri)).toEqual(['test://r/1', 'test://r/2']);
    expect(p.mix.some((e) => e.method === 'prompts/get' && e.params?.name === 'hello')).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/#\s+wipe-c: destructive/);
    expect(text).toMatch(/left out tool fails-e: the tool answered isError: true/);
    // Probes went to the callable tools only: never to write-b or wipe-c.
    expect(new Set(server.calls)).toEqual(new Set(['read-a', 'fails-e']));
  });

  it('calls a destructive tool only when it is named with --tools', async () => {
    const file = join(dir, 'named.yaml');
    const r = await runMain(['discover', server.url, '--write', file, '--tools', 'wipe-c']);
    expect(r.code, r.stderr).toBe(0);
    const p = loadProfile(file);
    expect(p.mix.filter((e) => e.method === 'tools/call').map((e) => e.params?.name)).toEqual(['read-a', 'wipe-c']);
    expect(p.discovery?.tools).toEqual(['wipe-c']);
    expect(server.calls).not.toContain('write-b');
  });

  it('is deterministic: the same seed writes the same profile', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    expect((await runMain(['discover', server.url, '--write', a, '--seed', '7'])).code).toBe(0);
    expect((await runMain(['discover', server.url, '--write', b, '--seed', '7'])).code).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
  });

  it('connects to a server that selects no subprotocol (erlmcp)', async () => {
    const plain = await pagingServer({ noSubprotocol: true });
    try {
      const r = await runMain(['discover', plain.url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Paging Test 1.0');
    } finally {
      await plain.close();
    }
  });

  it('bad URL: exit 2; nothing listening: exit 3; one line each', async () => {
    const bad = await runMain(['discover', 'ftp://127.0.0.1/']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/scheme ftp/);
    const gone = await pagingServer();
    await gone.close();
    for (const url of [gone.url, gone.url.replace('ws://', 'http://')]) {
      const r = await runMain(['discover', url]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/cannot reach an MCP server at/);
    }
  });
});

describe('mix entries with discover', () => {
  it('discover: true spreads a tools/call entry over the read-only tools that work, at run start', async () => {
    const file = join(dir, 'run.yaml');
    writeFileSync(
      file,
      [
        'name: t',
        'clients: 1',
        'rate: 20',
        'mix:',
        '  - { method: tools/call, weight: 1, discover: true, progress: true }',
        '  - { method: resources/read, discover: true }',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'run.json');
    const r = await runCli(['--profile', file, '--url', server.url, '--duration', '1s', '--workers', '1', '--quiet', '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8'));
    expect(rep.requests.failed).toBe(0);
    expect(rep.requests.ok).toBeGreaterThan(0);
    // What the entry asked besides its target stays with the entries it became.
    expect(rep.progress.total.count).toBe(rep.methods['tools/call'].ok);
    expect(server.calls.filter((n) => n === 'read-a').length).toBeGreaterThan(1);
    expect(server.calls).not.toContain('write-b');
    expect(server.calls).not.toContain('wipe-c');
    // fails-e was probed once, left out, and never called again.
    expect(server.calls.filter((n) => n === 'fails-e')).toHaveLength(1);
    expect(r.stderr).toContain('left out tool fails-e');
  });

  it('the profile schema and checks accept discover only where it means something', async () => {
    const bad = (mix: string) => {
      const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(f, `name: t\nclients: 1\nrate: 1\nmix:\n  - ${mix}\n`);
      return () => loadProfile(f);
    };
    expect(bad('{ method: ping, discover: true }')).toThrow(/mix\[0\]\.discover: only tools\/call, resources\/read, prompts\/get/);
    expect(bad('{ method: tools/call, discover: fallback }')).toThrow(/tools\/call needs params\.name/);
    expect(bad('{ method: tools/call, discover: maybe }')).toThrow(/mix\[0\]\.discover: must be true .* or fallback .*got "maybe"/);
    expect(bad('{ method: tools/call, discover: true }')).not.toThrow();
  });
});

describe('arguments from an inputSchema', () => {
  const schema = {
    type: 'object',
    properties: {
      a: { type: 'number' },
      city: { enum: ['Oslo', 'Lima'] },
      n: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
      opt: { type: 'string' },
    },
    required: ['a', 'city', 'n'],
  };
  it('are valid, use defaults, leave optional properties out, and repeat for a seed', () => {
    const one = sampleArguments(schema, 5);
    expect(one).toEqual(sampleArguments(schema, 5));
    expect(typeof one?.a).toBe('number');
    expect(['Oslo', 'Lima']).toContain(one?.city);
    expect(one?.n).toBe(3);
    expect(one).not.toHaveProperty('opt');
    expect(sampleArguments({ type: 'object' }, 1)).toEqual({});
    expect(sampleArguments(undefined, 1)).toEqual({});
  });
  it('the safety rule: read-only or named; destructive only named', () => {
    const none = new Set<string>();
    expect(toolVerdict({ name: 'x', annotations: { readOnlyHint: true } }, none).call).toBe(true);
    expect(toolVerdict({ name: 'x' }, none).call).toBe(false);
    expect(toolVerdict({ name: 'x', annotations: { readOnlyHint: true, destructiveHint: true } }, none).call).toBe(false);
    expect(toolVerdict({ name: 'x', annotations: { destructiveHint: true } }, new Set(['x'])).call).toBe(true);
  });
});
