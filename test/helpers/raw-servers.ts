/**
 * Small real `ws` servers on 127.0.0.1, port 0, each misbehaving in exactly one way, for session
 * tests. They share a base that completes the MCP `initialize` handshake (unless told not to),
 * records every frame it receives, and parses newline-delimited JSON-RPC.
 * close() is idempotent and terminates every socket.
 */
import { Server as HttpServerClass, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RawServer {
  url: string;
  close(): Promise<void>;
}

export interface JsonRpc {
  jsonrpc?: string;
  id?: unknown;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface ReceivedFrame {
  /** Bytes of the WebSocket message payload. */
  bytes: number;
  text: string;
  binary: boolean;
}

export interface Conn {
  readonly socket: WebSocket;
  /** An object is sent as JSON plus '\n'; a string as given. Nothing is sent on a closed socket. */
  send(message: object | string): void;
  sendBinary(data: Buffer): void;
  close(code: number, reason?: string): void;
}

/** What one connection does once `initialize` is answered. */
export interface ConnHandlers {
  afterInitialize?(): void;
  onRequest?: (msg: JsonRpc) => void;
  onNotification?(msg: JsonRpc): void;
  onResponse?(msg: JsonRpc): void;
}

export interface BaseOptions {
  /** 'ok' (default): a valid result; 'error': a JSON-RPC error; 'no-version': a result without protocolVersion; 'silent': no answer. */
  initialize?: 'ok' | 'error' | 'no-version' | 'silent';
  /** Accept only this many connections; later upgrades are refused with HTTP 503. Default: accept all. */
  acceptConnections?: number;
  /** Per connection handlers; default: answer every request with an empty result. */
  connection?(conn: Conn): ConnHandlers;
}

export interface BaseServer extends RawServer {
  /** Every frame received, in order, over all connections. */
  readonly frames: ReceivedFrame[];
  /** Connections accepted / refused at the upgrade. */
  readonly stats: { accepted: number; refused: number; closeCodes: number[] };
}

export const result = (id: unknown, value: unknown = {}): JsonRpc => ({ jsonrpc: '2.0', id, result: value });
export const rpcError = (id: unknown, code: number, message: string): JsonRpc => ({ jsonrpc: '2.0', id, error: { code, message } });

export async function startRawServer(opts: BaseOptions = {}): Promise<BaseServer> {
  const frames: ReceivedFrame[] = [];
  const stats = { accepted: 0, refused: 0, closeCodes: [] as number[] };
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mcp') ? 'mcp' : false),
    verifyClient: (_info, done) => {
      if (opts.acceptConnections !== undefined && stats.accepted >= opts.acceptConnections) {
        stats.refused++;
        done(false, 503);
      } else {
        stats.accepted++;
        done(true);
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  wss.on('connection', (socket: WebSocket) => {
    sockets.add(socket);
    const conn: Conn = {
      socket,
      send(message) {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(typeof message === 'string' ? message : JSON.stringify(message) + '\n');
      },
      sendBinary(data) {
        if (socket.readyState === socket.OPEN) socket.send(data, { binary: true });
      },
      close(code, reason) {
        if (socket.readyState === socket.OPEN) socket.close(code, reason);
      },
    };
    const handlers = opts.connection?.(conn) ?? {};
    const onRequest = handlers.onRequest ?? ((msg: JsonRpc) => conn.send(result(msg.id)));
    socket.on('error', () => {});
    socket.on('close', (code: number) => {
      sockets.delete(socket);
      stats.closeCodes.push(code);
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const text = data.toString('utf8');
      frames.push({ bytes: data.length, text, binary: isBinary });
      if (isBinary) return;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        let msg: JsonRpc;
        try {
          msg = JSON.parse(line) as JsonRpc;
        } catch {
          continue;
        }
        if (msg.method === 'initialize') answerInitialize(conn, msg, opts.initialize ?? 'ok', handlers);
        else if (typeof msg.method === 'string') {
          if (msg.id === undefined) handlers.onNotification?.(msg);
          else onRequest(msg);
        } else handlers.onResponse?.(msg);
      }
    });
  });

  const port = (wss.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}/mcp/ws`,
    frames,
    stats,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        wss.close(() => resolve());
      })),
  };
}

function answerInitialize(conn: Conn, msg: JsonRpc, mode: NonNullable<BaseOptions['initialize']>, handlers: ConnHandlers): void {
  const params = msg.params as { protocolVersion?: string } | undefined;
  const serverInfo = { name: 'raw-test-server', version: '0.0.0' };
  switch (mode) {
    case 'silent':
      return;
    case 'error':
      conn.send(rpcError(msg.id, -32602, 'Unsupported protocol version'));
      return;
    case 'no-version':
      conn.send(result(msg.id, { capabilities: {}, serverInfo }));
      return;
    case 'ok':
      conn.send(result(msg.id, { protocolVersion: params?.protocolVersion ?? '2025-11-25', capabilities: {}, serverInfo }));
      handlers.afterInitialize?.();
  }
}

/** Answers every request with an empty result and records the frames it gets. */
export const answeringServer = (): Promise<BaseServer> => startRawServer();

/** (a) Holds requests until `batch` are held (or `holdMs` passed), then answers them in reverse order. */
export async function outOfOrderServer(batch = 5, holdMs = 20): Promise<BaseServer & { reversedBatches(): number }> {
  let reversed = 0;
  const server = await startRawServer({
    connection(conn) {
      let held: JsonRpc[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (held.length > 1) reversed++;
        for (const msg of held.reverse()) conn.send(result(msg.id));
        held = [];
      };
      conn.socket.on('close', () => clearTimeout(timer));
      return {
        onRequest(msg) {
          held.push(msg);
          if (held.length >= batch) flush();
          else timer ??= setTimeout(flush, holdMs);
        },
      };
    },
  });
  return Object.assign(server, { reversedBatches: () => reversed });
}

/** (b) Answers initialize, then never anything. */
export const silentServer = (): Promise<BaseServer> => startRawServer({ connection: () => ({ onRequest() {} }) });

/** (c) After initialize sends a `ping` (id "srv-ping-1") and an unknown request (id 42); records the replies. */
export async function pingingServer(): Promise<BaseServer & { replies: JsonRpc[] }> {
  const replies: JsonRpc[] = [];
  const server = await startRawServer({
    connection: (conn) => ({
      afterInitialize() {
        conn.send({ jsonrpc: '2.0', id: 'srv-ping-1', method: 'ping' });
        conn.send({ jsonrpc: '2.0', id: 42, method: 'elicitation/create', params: { message: 'hi' } });
      },
      onResponse: (msg) => replies.push(msg),
    }),
  });
  return Object.assign(server, { replies });
}

/** (d) Answers every request with JSON-RPC error -32603. */
export const rpcErrorServer = (): Promise<BaseServer> =>
  startRawServer({ connection: (conn) => ({ onRequest: (msg) => conn.send(rpcError(msg.id, -32603, 'Internal error')) }) });

export type Garbage = 'not-json' | 'binary' | 'unknown-id' | 'string-id';

/** (e) After initialize sends each kind of garbage once, then answers requests normally. */
export const garbageServer = (kinds: Garbage[]): Promise<BaseServer> =>
  startRawServer({
    connection: (conn) => ({
      afterInitialize() {
        for (const kind of kinds) {
          if (kind === 'not-json') conn.send('this is not json\n');
          else if (kind === 'binary') conn.sendBinary(Buffer.from(JSON.stringify(result(1)) + '\n'));
          else if (kind === 'unknown-id') conn.send(result(999999999));
          else conn.send(result('an-id-never-sent'));
        }
      },
    }),
  });

/**
 * (f) Closes every connection with 1011 once it has received `afterRequests` requests (0: right
 * after initialize), without answering them. `acceptConnections` refuses later connections (HTTP 503).
 */
export const closingServer = (opts: { afterRequests?: number; acceptConnections?: number } = {}): Promise<BaseServer> =>
  startRawServer({
    acceptConnections: opts.acceptConnections,
    connection(conn) {
      let requests = 0;
      const limit = opts.afterRequests ?? 0;
      return {
        afterInitialize() {
          if (limit === 0) conn.close(1011, 'test server closes');
        },
        onRequest() {
          if (++requests === limit) conn.close(1011, 'test server closes');
        },
      };
    },
  });

/** (g) A port nothing listens on: bound once, then closed. */
export async function deadPort(): Promise<RawServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `ws://127.0.0.1:${port}/mcp/ws`, close: async () => {} };
}

/** (h) Answers initialize with an error ('error'), a result without protocolVersion, or not at all. */
export const badHandshakeServer = (mode: 'error' | 'no-version' | 'silent' = 'error'): Promise<BaseServer> => startRawServer({ initialize: mode });

/** (i) After initialize sends `count` notifications: the first ones one per frame, the last two in one frame. */
export const notifyingServer = (count: number): Promise<BaseServer> =>
  startRawServer({
    connection: (conn) => ({
      afterInitialize() {
        const note = (i: number) => JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: i } });
        let i = 0;
        for (; i < count - 2; i++) conn.send(note(i) + '\n');
        if (count >= 2) conn.send(note(i) + '\n' + note(i + 1) + '\n');
        else if (count === 1) conn.send(note(0) + '\n');
      },
    }),
  });

/** Listen on a free loopback port; the URL of the server's MCP endpoint. */
export async function listenLocal(server: HttpServer, path = '/mcp'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
}

/**
 * Registers an afterEach that closes every server a test handed to the returned function, newest first: a
 * node:http server with its open connections, or anything with an async close() (the SDK servers).
 */
export function closeAfterEach(): <T extends HttpServer | { close(): Promise<void> }>(server: T) => T {
  const open: (HttpServer | { close(): Promise<void> })[] = [];
  afterEach(async () => {
    for (const server of open.splice(0).reverse()) await (server instanceof HttpServerClass ? closeHttpServer(server) : server.close());
  });
  return (server) => {
    open.push(server);
    return server;
  };
}

/** Close a node:http server the test started, its open connections (SSE streams, keep-alive) with it. */
export function closeHttpServer(server: HttpServer | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A minimal Streamable HTTP server's POST handling: reads the JSON-RPC message, answers anything but POST with
 * 405, a notification with 202 and initialize as session `sessionId` (2025-11-25); every other request goes
 * to `request`, which answers it (or never does).
 */
export function handleMcpPost(req: IncomingMessage, res: ServerResponse, sessionId: string, request: (msg: { id: number; method?: string }) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: number; method?: string };
    if (msg.id === undefined) return void res.writeHead(202).end();
    if (msg.method === 'initialize') {
      const result = { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: sessionId, version: '1' } };
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': sessionId });
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    }
    request({ id: msg.id, method: msg.method });
  });
}
