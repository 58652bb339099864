/**
 * Hostile MCP servers: real `ws` servers on 127.0.0.1, port 0, that complete the MCP handshake and
 * then misbehave in one way, over and over, for the whole run (so memory can be watched while they
 * do). Each counts what it did, so a test can compare with what mcpload counted.
 * Built on raw-servers.ts; plus two that never complete a WebSocket upgrade at all.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { runCli, type CliResult } from './cli.js';
import { result, rpcError, startRawServer, type BaseServer, type Conn, type JsonRpc, type RawServer } from './raw-servers.js';

export interface HostileServer extends BaseServer {
  /** How many times the server did its bad thing. */
  readonly bad: () => number;
}

export type Hostility =
  | 'not-json'
  | 'binary'
  | 'unknown-id'
  | 'duplicate-id'
  | 'late'
  | 'late-twice'
  | 'rpc-error'
  | 'silent'
  | 'invalid-utf8'
  | 'bad-opcode'
  | 'oversize'
  | 'reset'
  | 'close-1001'
  | 'close-1002'
  | 'close-1009'
  | 'close-1011'
  | 'never-reads'
  | 'notification-flood'
  | 'ping-flood-never-reads';

export interface HostileOptions {
  /** For 'late': answer this long after the request arrived (set it above the profile's timeout). */
  lateMs?: number;
  /** For the connection-ending kinds: do it once the connection has received this many requests. */
  afterRequests?: number;
}

/** The TCP socket under a ws server-side socket (to write raw frames, pause, reset). */
function tcp(socket: WebSocket): Socket {
  return (socket as unknown as { _socket: Socket })._socket;
}

/** A server-to-client frame (unmasked) with any opcode and header length, written raw. */
function rawFrame(opcode: number, payload: Buffer, claimedLength?: number): Buffer {
  const length = claimedLength ?? payload.length;
  if (length < 126) return Buffer.concat([Buffer.from([0x80 | opcode, length]), payload]);
  const head = Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  head[1] = 127;
  head.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([head, payload]);
}

const line = (msg: object) => JSON.stringify(msg) + '\n';

/** Send notifications for as long as the connection is open, never queueing more than ~1 MB in the server. */
function flood(conn: Conn, count: () => void, message: (i: number) => object): void {
  const socket = conn.socket;
  let i = 0;
  const pump = () => {
    if (socket.readyState !== socket.OPEN) return;
    for (let n = 0; n < 200 && socket.bufferedAmount < 1 << 20; n++) {
      conn.send(message(i++));
      count();
    }
    setImmediate(pump);
  };
  setImmediate(pump);
}

export async function hostileServer(kind: Hostility, opts: HostileOptions = {}): Promise<HostileServer> {
  let bad = 0;
  const after = opts.afterRequests ?? 20;
  const timers = new Set<NodeJS.Timeout>();
  const server = await startRawServer({
    connection(conn: Conn) {
      let requests = 0;
      let ended = false;
      /** Once per connection, after `after` requests: the connection-ending misbehaviours. */
      const endOnce = (msg: JsonRpc, act: () => void): void => {
        if (ended) return;
        if (++requests < after) {
          conn.send(result(msg.id));
          return;
        }
        ended = true;
        bad++;
        act();
      };
      switch (kind) {
        case 'not-json':
          return { onRequest: (msg) => (bad++, conn.send('{"this is": not json\n' + line(result(msg.id)))) };
        case 'binary':
          return {
            onRequest(msg) {
              bad++;
              conn.sendBinary(Buffer.from(line(result(msg.id))));
              conn.send(result(msg.id));
            },
          };
        case 'unknown-id':
          // One frame: the unknown id first, then the real answer, so the count is exact.
          return { onRequest: (msg) => (bad++, conn.send(line(result(1e12)) + line(result(msg.id)))) };
        case 'duplicate-id':
          return { onRequest: (msg) => (bad++, conn.send(line(result(msg.id)) + line(result(msg.id)))) };
        case 'late':
          return {
            onRequest(msg) {
              const t = setTimeout(() => {
                timers.delete(t);
                bad++;
                conn.send(result(msg.id));
              }, opts.lateMs ?? 1000);
              timers.add(t);
            },
          };
        case 'late-twice':
          // Late, and twice in one frame: the first is a late answer, the second a duplicate.
          return {
            onRequest(msg) {
              const t = setTimeout(() => {
                timers.delete(t);
                bad++;
                conn.send(line(result(msg.id)) + line(result(msg.id)));
              }, opts.lateMs ?? 1000);
              timers.add(t);
            },
          };
        case 'rpc-error':
          return { onRequest: (msg) => (bad++, conn.send(rpcError(msg.id, -32603, 'Internal error'))) };
        case 'silent':
          return { onRequest: () => void bad++ };
        case 'invalid-utf8':
          return { onRequest: (msg) => endOnce(msg, () => tcp(conn.socket).write(rawFrame(0x1, Buffer.from([0xff, 0xfe, 0xfd])))) };
        case 'bad-opcode':
          return { onRequest: (msg) => endOnce(msg, () => tcp(conn.socket).write(rawFrame(0x3, Buffer.from('x')))) };
        case 'oversize':
          // A header claiming 8 GiB: a client must refuse it from the header, not buffer it.
          return { onRequest: (msg) => endOnce(msg, () => tcp(conn.socket).write(rawFrame(0x1, Buffer.alloc(0), 2 ** 33))) };
        case 'reset':
          return { onRequest: (msg) => endOnce(msg, () => tcp(conn.socket).resetAndDestroy()) };
        case 'close-1001':
        case 'close-1002':
        case 'close-1009':
        case 'close-1011': {
          const code = Number(kind.slice(6));
          return { onRequest: (msg) => endOnce(msg, () => conn.close(code, `hostile ${code}`)) };
        }
        case 'never-reads':
          // Stop reading right after the handshake: the client's frames pile up in its own buffers.
          return { afterInitialize: () => (bad++, tcp(conn.socket).pause()), onRequest() {} };
        case 'notification-flood':
          return {
            afterInitialize: () =>
              flood(
                conn,
                () => bad++,
                (i) => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: i } }),
              ),
          };
        case 'ping-flood-never-reads':
          return {
            afterInitialize() {
              tcp(conn.socket).pause();
              flood(
                conn,
                () => bad++,
                (i) => ({ jsonrpc: '2.0', id: `srv-${i}`, method: 'ping' }),
              );
            },
            onRequest() {},
          };
      }
    },
  });
  const close = server.close.bind(server);
  return Object.assign(server, {
    bad: () => bad,
    close: () => {
      for (const t of timers) clearTimeout(t);
      return close();
    },
  });
}

/** Accepts TCP connections and never says a word: the upgrade times out. */
export async function blackHole(): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/mcp/ws`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers the upgrade with plain HTTP 200 and a body: not a WebSocket server at all. */
export async function notWebSocket(): Promise<RawServer> {
  const server = createHttpServer((_req, res) => res.end('hello'));
  server.on('upgrade', (_req, socket) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/mcp/ws`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A profile file for a test run: small, fast reconnects, one method; `changes` are YAML fields. */
export function writeProfile(dir: string, name: string, changes: Record<string, unknown> = {}): string {
  const profile = {
    name,
    clients: 2,
    rate: 50,
    messageSize: 256,
    timeout: '1s',
    maxInFlight: 64,
    mix: [{ method: 'ping' }],
    reconnect: { initialDelay: '20ms', maxDelay: '200ms' },
    ...changes,
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

export interface RssWatch {
  /** VmRSS samples in MB, every `everyMs`, while the child ran. */
  samples: number[];
  /** First sample after `warmupMs` (the engines are up). */
  baselineMb: number;
  peakMb: number;
}

/** VmRSS of a process in MB (undefined once it is gone). */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Run the CLI and sample its RSS meanwhile. */
export async function runCliWatchingRss(
  args: string[],
  opts: { warmupMs?: number; everyMs?: number; timeoutMs?: number } = {},
): Promise<CliResult & { rss: RssWatch }> {
  const everyMs = opts.everyMs ?? 100;
  const warmupSamples = Math.ceil((opts.warmupMs ?? 1500) / everyMs);
  const samples: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  const r = await runCli(args, {
    timeoutMs: opts.timeoutMs,
    onSpawn(pid) {
      timer = setInterval(() => {
        const mb = rssMb(pid);
        if (mb !== undefined) samples.push(mb);
      }, everyMs);
    },
  });
  clearInterval(timer);
  const after = samples.slice(Math.min(warmupSamples, Math.max(0, samples.length - 1)));
  return { ...r, rss: { samples, baselineMb: after[0] ?? 0, peakMb: Math.max(0, ...after) } };
}
