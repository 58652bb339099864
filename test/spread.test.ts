/**
 * Sessions spread evenly over target URLs, source addresses, engines and processes; source ports are
 * named by mcpload from each engine's slice; a run the open-files limit cannot hold is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { portSlice, DEFAULT_LOCAL_PORTS } from '../src/config/ports.js';
import { runCli } from './helpers/cli.js';

interface Seen {
  server: number;
  address: string;
  port: number;
}

/** Minimal MCP servers that record where each connection came from. */
async function recordingServers(n: number): Promise<{ urls: string[]; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const servers = await Promise.all(
    Array.from({ length: n }, (_, server) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mcp' });
      wss.on('connection', (ws, req) => {
        seen.push({ server, address: req.socket.remoteAddress!, port: req.socket.remotePort! });
        ws.on('message', (data) => {
          for (const line of (data as Buffer).toString().split('\n').filter(Boolean)) {
            const msg = JSON.parse(line);
            if (msg.id === undefined) continue;
            const result = msg.method === 'initialize' ? { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'rec', version: '1' } } : {};
            ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }) + '\n');
          }
        });
      });
      return new Promise<WebSocketServer>((resolve) => wss.on('listening', () => resolve(wss)));
    }),
  );
  return {
    urls: servers.map((s) => `ws://127.0.0.1:${(s.address() as { port: number }).port}/mcp/ws`),
    seen,
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              for (const c of s.clients) c.terminate();
              s.close(() => r());
            }),
        ),
      ).then(() => undefined),
  };
}

const count = <T>(items: T[], key: (t: T) => string) => items.reduce<Record<string, number>>((acc, t) => ((acc[key(t)] = (acc[key(t)] ?? 0) + 1), acc), {});

let servers: Awaited<ReturnType<typeof recordingServers>> | undefined;
afterEach(async () => {
  await servers?.close();
  servers = undefined;
});

describe('spreading sessions', () => {
  it('over URLs, source addresses, engines and processes, evenly, with named source ports', async () => {
    servers = await recordingServers(2);
    const args = ['--profile', 'low-load', '--clients', '32', '--rate', '1', '--duration', '1.5s', '--quiet'];
    for (const url of servers.urls) args.push('--url', url);
    args.push('--local-address', '127.0.0.2-127.0.0.3', '--processes', '2', '--workers', '2');
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    const seen = servers.seen;
    expect(seen).toHaveLength(32);
    expect(count(seen, (s) => String(s.server))).toEqual({ 0: 16, 1: 16 });
    expect(count(seen, (s) => s.address)).toEqual({ '127.0.0.2': 16, '127.0.0.3': 16 });
    expect(Object.values(count(seen, (s) => `${s.server} ${s.address}`))).toEqual([8, 8, 8, 8]);
    // 4 engines (2 processes × 2 threads): each binds ports from its own slice of the range, so the
    // source port tells which engine (and engine i runs in process i % 2) opened the session.
    const engineOf = (port: number) =>
      [0, 1, 2, 3].find((e) => {
        const slice = portSlice(DEFAULT_LOCAL_PORTS, e, 4);
        return port >= slice.from && port <= slice.to;
      });
    const perEngine = count(seen, (s) => String(engineOf(s.port)));
    expect(perEngine).toEqual({ 0: 8, 1: 8, 2: 8, 3: 8 });
    expect(count(seen, (s) => String(engineOf(s.port)! % 2))).toEqual({ 0: 16, 1: 16 });
    // Each engine spreads its own sessions over every URL × address pair.
    for (const e of [0, 1, 2, 3]) {
      expect(
        Object.values(
          count(
            seen.filter((s) => engineOf(s.port) === e),
            (s) => `${s.server} ${s.address}`,
          ),
        ),
      ).toEqual([2, 2, 2, 2]);
    }
  });
});

describe('the open-files wall', () => {
  it('refuses a run one process cannot hold, with one line saying how to spread it', async () => {
    const r = await runCli(['--url', 'ws://127.0.0.1:9/mcp/ws', '--clients', '50000', '--duration', '1s']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/50,000 sessions need about 50,200 open files per process but the limit is [\d,]+: .*--processes \d/);
  });

  it('refuses more sessions per source address than the source port range holds', async () => {
    const r = await runCli([
      '--url',
      'ws://127.0.0.1:9/mcp/ws',
      '--clients',
      '30000',
      '--processes',
      '2',
      '--local-address',
      '127.0.0.2',
      '--local-ports',
      '20000-40000',
      '--duration',
      '1s',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^mcpload: 30,000 sessions over 1 source address\(es\) need 30,000 ports each but the source port range has 20,001: give at least 2 --local-address/,
    );
  });
});
