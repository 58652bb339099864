/**
 * WebSocket subprotocol negotiation (issue 16) against real local `ws` servers on 127.0.0.1. The
 * erlmcp-like one selects no subprotocol in its 101 answer, holds a message until it sees `\n`, and
 * refuses an initialize without `clientInfo.name`/`version`: mcpload offers `mcp` by default, goes on
 * without one, and the report says what each session got. `--subprotocol` offers another one or none;
 * a server that selects one never offered still fails the upgrade.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { resolveRunOptions } from '../src/config/options.js';
import { start } from '../src/index.js';
import { renderReport } from '../src/report/text.js';
import type { RunReport } from '../src/report/types.js';
import { writeProfile } from './helpers/hostile-servers.js';
import { runMain } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-ws-negotiation-'));
const CLIENTS = 3;

interface NegotiationServer {
  url: string;
  /** The Sec-WebSocket-Protocol header of each upgrade (undefined: none offered). */
  readonly offers: (string | undefined)[];
  /** Initialize requests answered with a result / refused (no clientInfo.name or version). */
  readonly handshakes: { ok: number; refused: number };
  /** Requests other than initialize answered. */
  requests: number;
  close(): Promise<void>;
}

/**
 * `select`: what the 101 answer selects, whatever is offered (false: nothing, as erlmcp does). Messages
 * are read as erlmcp reads them: bytes are held until a `\n`, so a frame without one is never answered.
 */
async function negotiationServer(select: string | false): Promise<NegotiationServer> {
  const offers: (string | undefined)[] = [];
  const handshakes = { ok: 0, refused: 0 };
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, handleProtocols: () => select });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const server: NegotiationServer = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/mcp/ws`,
    offers,
    handshakes,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket, req) => {
    sockets.add(socket);
    offers.push(req.headers['sec-websocket-protocol']);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let held = '';
    socket.on('message', (data: Buffer) => {
      held += data.toString('utf8');
      let end: number;
      while ((end = held.indexOf('\n')) !== -1) {
        const line = held.slice(0, end);
        held = held.slice(end + 1);
        if (line.trim() !== '') answer(socket, JSON.parse(line) as { id?: number; method?: string; params?: Record<string, unknown> });
      }
    });
  });
  function answer(socket: WebSocket, msg: { id?: number; method?: string; params?: Record<string, unknown> }): void {
    if (msg.id === undefined) return; // notifications
    const send = (m: object) => socket.send(JSON.stringify(m) + '\n');
    if (msg.method === 'initialize') {
      const info = msg.params?.clientInfo as { name?: unknown; version?: unknown } | undefined;
      if (typeof info?.name !== 'string' || typeof info.version !== 'string') {
        handshakes.refused++;
        send({ jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'clientInfo.name and clientInfo.version are required' } });
        return;
      }
      handshakes.ok++;
      send({
        jsonrpc: '2.0',
        id: msg.id,
        result: { protocolVersion: msg.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'erlmcp-like', version: '0' } },
      });
      return;
    }
    server.requests++;
    send({ jsonrpc: '2.0', id: msg.id, result: msg.method === 'tools/call' ? { content: [{ type: 'text', text: 'ok' }] } : {} });
  }
  return server;
}

const servers: NegotiationServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(select: string | false): Promise<NegotiationServer> {
  const s = await negotiationServer(select);
  servers.push(s);
  return s;
}

/** A short in-process run (real engine threads) against `url`; `subprotocol`: --subprotocol, if given. */
async function run(url: string, name: string, subprotocol?: string): Promise<{ report: RunReport; exitCode: number }> {
  const profile = writeProfile(dir, name, { clients: CLIENTS, rate: 20, mix: [{ method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }] });
  const opts = resolveRunOptions({ url: [url], profile, duration: '1s', workers: 1, quiet: true, logLevel: 'silent', ...(subprotocol ? { subprotocol } : {}) });
  return start(opts).result;
}

function noErrors(report: RunReport): void {
  for (const [type, n] of Object.entries(report.errors)) expect(n, `errors.${type}`).toBe(0);
}

describe('WebSocket subprotocol negotiation', () => {
  it('a server that selects no subprotocol (erlmcp: \\n-framed, clientInfo required) gets sessions with the default offer', async () => {
    const server = await serve(false);
    const { report, exitCode } = await run(server.url, 'erlmcp-like');
    expect(exitCode).toBe(0);
    expect(server.offers.length).toBeGreaterThanOrEqual(CLIENTS);
    for (const offer of server.offers) expect(offer).toBe('mcp');
    expect(server.handshakes).toEqual({ ok: report.sessions.established, refused: 0 });
    expect(report.sessions.established).toBe(CLIENTS);
    expect(report.sessions.subprotocols).toEqual({ none: CLIENTS });
    expect(renderReport(report)).toContain(`subprotocol none ${CLIENTS}`);
    noErrors(report);
    expect(report.requests.sent).toBeGreaterThan(0);
    expect(report.requests.ok).toBe(report.requests.sent);
    expect(server.requests).toBe(report.requests.sent);
  });

  it('a server that selects mcp gets it, and the report says so', async () => {
    const server = await serve('mcp');
    const { report, exitCode } = await run(server.url, 'selects-mcp');
    expect(exitCode).toBe(0);
    expect(report.sessions.subprotocols).toEqual({ mcp: CLIENTS });
    noErrors(report);
  });

  it('--subprotocol none offers none; --subprotocol NAME offers that one', async () => {
    const none = await serve(false);
    const offeredNone = await run(none.url, 'offers-none', 'none');
    expect(offeredNone.exitCode).toBe(0);
    expect(new Set(none.offers)).toEqual(new Set([undefined]));
    expect(offeredNone.report.sessions.subprotocols).toEqual({ none: CLIENTS });

    const named = await serve('mcp.v2');
    const offeredNamed = await run(named.url, 'offers-named', 'mcp.v2');
    expect(offeredNamed.exitCode).toBe(0);
    expect(new Set(named.offers)).toEqual(new Set(['mcp.v2']));
    expect(offeredNamed.report.sessions.subprotocols).toEqual({ 'mcp.v2': CLIENTS });
    noErrors(offeredNamed.report);
  });

  it('a server that selects a subprotocol never offered fails the upgrade (RFC 6455): connect errors, exit 3', async () => {
    const server = await serve('graphql-ws');
    const { report, exitCode } = await run(server.url, 'selects-other');
    expect(exitCode).toBe(3);
    expect(report.sessions.established).toBe(0);
    expect(report.errors.connect).toBeGreaterThan(0);
    expect(report.sessions.subprotocols).toBeUndefined();
  });

  it('--subprotocol that is no token is bad input: one line, exit 2', async () => {
    const r = await runMain(['--subprotocol', 'mcp, other', '--duration', '1s']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--subprotocol: "mcp, other" is not a WebSocket subprotocol name/);
  });
});
