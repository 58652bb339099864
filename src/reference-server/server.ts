/**
 * The reference target behind `mcpload serve`: a small, fast MCP server over WebSocket with knobs
 * for delay, jitter, errors and stalls, so mcpload can be tried and tested with nothing else running.
 *
 * Built to hold many sessions cheaply: ws client tracking is off (one Set of our own), sessions hold
 * no timers, and one shared interval each drives server pings and stalls.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { UsageError } from '../shared/errors.js';
import { Responder } from './responder.js';
import { HttpEndpoint } from './http.js';
import { answerRequest } from './handlers.js';
import { answerFixture } from './fixtures.js';
import { FixtureHttp } from './fixture-http.js';
import { checkAllowLists, OriginGuard } from './origin-guard.js';
import { TargetSession } from './session.js';
import { errorFrame } from './framing.js';
import { TargetCounters, type TargetStats } from './stats.js';
import { STATS_SECONDS_PATH } from './stats-seconds.js';
import { StreamSurface } from './streams.js';
import { DEFAULT_STATELESS, StatelessSurface, type ResultTypeFault, type StatelessSettings } from './stateless.js';

export type { TargetStats } from './stats.js';

/** GET here answers the target's counters as JSON (TargetStats). */
export const STATS_PATH = '/stats';

export interface TargetOptions extends StatelessSettings {
  host: string;
  /** 0 = any free port (the bound port is in RunningTarget.port). */
  port: number;
  /** The WebSocket endpoint; other paths get 404. */
  path: string;
  /** The MCP Streamable HTTP endpoint (POST, DELETE). */
  httpPath: string;
  /** Answer Streamable HTTP requests with an SSE stream instead of a JSON body. */
  httpSse: boolean;
  /** Added before every response. */
  delayMs: number;
  /** Plus a uniform random 0..jitterMs. */
  jitterMs: number;
  /** 0..1: share of requests other than initialize answered with JSON-RPC error -32603. */
  errorRate: number;
  /** 0 = off; otherwise every stallEveryMs the target holds all responses for stallForMs, then sends them. */
  stallEveryMs: number;
  stallForMs: number;
  /** 0 = off; otherwise send a `ping` request to every open session at this interval and count the replies. */
  pingIntervalMs: number;
  /** Largest incoming message in bytes (ws closes the session with 1009 beyond it). */
  maxPayload: number;
  /** Host header values answered (host or host:port; `*` = any). Unset: loopback names when bound to loopback, else any. */
  allowedHosts?: string[];
  /** Origin header values answered (`*` = any). Unset: loopback origins. A request without Origin always passes. */
  allowedOrigins?: string[];
  /** Add the tools, resources and prompts the official conformance suite's server scenarios call. */
  fixtures: boolean;
  /** 0 = off; otherwise every subscribed resource changes this many times per second (streams.ts). */
  updateRateHz: number;
}

export const DEFAULT_TARGET_OPTIONS: TargetOptions = {
  host: '127.0.0.1',
  port: 8080,
  path: '/mcp/ws',
  httpPath: '/mcp',
  httpSse: false,
  delayMs: 0,
  jitterMs: 0,
  errorRate: 0,
  stallEveryMs: 0,
  stallForMs: 0,
  pingIntervalMs: 0,
  maxPayload: 16 * 1024 * 1024,
  fixtures: false,
  updateRateHz: 0,
  ...DEFAULT_STATELESS,
};

export interface RunningTarget {
  /** ws://host:port/path with the real bound port. */
  url: string;
  /** http://host:port/httpPath: the Streamable HTTP endpoint. */
  httpUrl: string;
  port: number;
  stats(): TargetStats;
  /** Drop every Streamable HTTP session, as a restarted server would (their next request gets 404). */
  forgetHttpSessions(): void;
  /** Update subscribed resources this often from now (0 stops; a test starts them once everyone subscribed). */
  setUpdateRate(hz: number): void;
  /** Idempotent: terminates every session and stops listening. */
  close(): Promise<void>;
}

const SUBPROTOCOL = 'mcp';
const RESULT_TYPE_FAULTS: readonly ResultTypeFault[] = ['none', 'missing', 'unknown'];

/** A JSON-RPC error with no request to answer (the spec allows one in a 403's body). */
function forbiddenBody(reason: string): string {
  return errorFrame(null, -32000, `Forbidden: ${reason}`);
}

/** Checks the options a user gave, with one line that says what is wrong. */
export function resolveTargetOptions(partial: Partial<TargetOptions> = {}): TargetOptions {
  const opts: TargetOptions = { ...DEFAULT_TARGET_OPTIONS };
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) (opts as unknown as Record<string, unknown>)[key] = value;
  const wholeMs = ['delayMs', 'jitterMs', 'stallEveryMs', 'stallForMs', 'pingIntervalMs'] as const;
  for (const key of wholeMs) {
    const v = opts[key];
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`target ${key} must be a number >= 0, got ${v}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new UsageError(`target port must be an integer 0..65535, got ${opts.port}`);
  if (!(opts.errorRate >= 0 && opts.errorRate <= 1)) throw new UsageError(`target error rate must be between 0 and 1, got ${opts.errorRate}`);
  if (!opts.path.startsWith('/')) throw new UsageError(`target path must start with "/", got "${opts.path}"`);
  if (!opts.httpPath.startsWith('/') || opts.httpPath === opts.path) {
    throw new UsageError(`target HTTP path must start with "/" and differ from the WebSocket path, got "${opts.httpPath}"`);
  }
  if (!(Number.isFinite(opts.updateRateHz) && opts.updateRateHz >= 0 && opts.updateRateHz <= 1000)) {
    throw new UsageError(`target update rate must be a number from 0 to 1000 per second, got ${opts.updateRateHz}`);
  }
  if (!Number.isInteger(opts.maxPayload) || opts.maxPayload <= 0) throw new UsageError(`target maxPayload must be a positive integer, got ${opts.maxPayload}`);
  if (opts.stallEveryMs > 0 && opts.stallForMs <= 0) throw new UsageError('target stallForMs must be > 0 when stallEveryMs is set');
  checkAllowLists(opts.allowedHosts, opts.allowedOrigins);
  if (!Number.isInteger(opts.listTtlMs) || opts.listTtlMs < 0) throw new UsageError(`target listTtlMs must be an integer >= 0, got ${opts.listTtlMs}`);
  if (!RESULT_TYPE_FAULTS.includes(opts.resultTypeFault))
    throw new UsageError(`target resultTypeFault must be one of ${RESULT_TYPE_FAULTS.join(', ')}, got ${opts.resultTypeFault}`);
  if (!Number.isInteger(opts.rejectVersionRequests) || opts.rejectVersionRequests < 0)
    throw new UsageError(`target rejectVersionRequests must be an integer >= 0, got ${opts.rejectVersionRequests}`);
  return opts;
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** A host a client can dial: a wildcard bind address is reached on loopback. */
function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function rejectUpgrade(socket: Duplex, status: string, body = ''): void {
  socket.on('error', () => {});
  const type = body ? 'Content-Type: application/json\r\n' : '';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export async function startTarget(partial?: Partial<TargetOptions>): Promise<RunningTarget> {
  const opts = resolveTargetOptions(partial);
  const counters = new TargetCounters();
  const responder = new Responder(opts.delayMs, opts.jitterMs, counters);
  const sessions = new Set<TargetSession>();
  const streams = new StreamSurface(opts.updateRateHz);
  const settings = { errorRate: opts.errorRate, answer: opts.fixtures ? answerFixture : answerRequest, fixtures: opts.fixtures, streams };
  const guard = new OriginGuard(opts.host, opts.allowedHosts, opts.allowedOrigins);
  let closing: Promise<void> | undefined;

  const endpoint = new HttpEndpoint(
    opts.httpPath,
    opts.httpSse,
    opts.maxPayload,
    settings,
    counters,
    responder,
    opts.fixtures ? new FixtureHttp(responder) : undefined,
    new StatelessSurface(opts),
  );
  const http = createServer((req, res) => {
    const refusal = guard.refusal(req.headers);
    if (refusal) {
      counters.forbidden++;
      res.writeHead(403, { 'content-type': 'application/json', connection: 'close' }).end(forbiddenBody(refusal));
      return;
    }
    if (pathOf(req.url) === opts.httpPath) return endpoint.handle(req, res);
    if (pathOf(req.url) === STATS_SECONDS_PATH && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ seconds: counters.seconds.snapshot() }) + '\n');
      return;
    }
    if (pathOf(req.url) === STATS_PATH && req.method === 'GET') {
      // What the target saw, for cross-checking a generator's own counts (bench/peers does).
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ ...counters.snapshot(sessions.size + endpoint.sessionCount), streams: streams.snapshot() }) + '\n');
      return;
    }
    // Plain HTTP on the endpoint is a client that forgot to upgrade: say so.
    const onEndpoint = pathOf(req.url) === opts.path;
    res.writeHead(onEndpoint ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' });
    res.end(onEndpoint ? `use a WebSocket (subprotocol ${SUBPROTOCOL}) on ${opts.path}\n` : 'not found\n');
  });

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: opts.maxPayload,
    // Accept `mcp` when offered; a client offering nothing is still served, without a subprotocol.
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  const onSession = (socket: WebSocket): void => {
    const session = new TargetSession(socket, settings, counters, responder);
    sessions.add(session);
    counters.sessionsTotal++;
    socket.on('message', session.onFrame);
    // Errors (bad frames, oversized messages, resets) are followed by 'close'; nothing else to do.
    socket.on('error', () => {});
    socket.on('close', (code: number) => {
      sessions.delete(session);
      session.ended();
      // 1006 means the connection ended without a close frame from the client.
      if (code !== 1006) counters.closeFramesReceived++;
    });
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing) return rejectUpgrade(socket, '503 Service Unavailable');
    const refusal = guard.refusal(req.headers);
    if (refusal) {
      counters.forbidden++;
      return rejectUpgrade(socket, '403 Forbidden', forbiddenBody(refusal));
    }
    if (pathOf(req.url) !== opts.path) return rejectUpgrade(socket, '404 Not Found');
    wss.handleUpgrade(req, socket, head, onSession);
  });

  const timers: NodeJS.Timeout[] = [];
  let stallEnd: NodeJS.Timeout | undefined;
  if (opts.pingIntervalMs > 0) {
    timers.push(
      setInterval(() => {
        for (const session of sessions) if (session.socket.readyState === session.socket.OPEN) session.sendPing();
      }, opts.pingIntervalMs),
    );
  }
  if (opts.stallEveryMs > 0) {
    timers.push(
      setInterval(() => {
        responder.beginStall();
        clearTimeout(stallEnd);
        stallEnd = setTimeout(() => responder.endStall(), opts.stallForMs);
      }, opts.stallEveryMs),
    );
  }

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    for (const timer of timers) clearInterval(timer);
    throw err;
  }
  http.on('error', () => {});

  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const timer of timers) clearInterval(timer);
      clearTimeout(stallEnd);
      streams.close();
      responder.close();
      for (const session of sessions) session.socket.terminate();
      sessions.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    })());

  return {
    url: `ws://${dialHost(opts.host)}:${port}${opts.path}`,
    httpUrl: `http://${dialHost(opts.host)}:${port}${opts.httpPath}`,
    port,
    stats: () => ({ ...counters.snapshot(sessions.size + endpoint.sessionCount), streams: streams.snapshot() }),
    forgetHttpSessions: () => endpoint.forgetSessions(),
    setUpdateRate: (hz) => streams.setUpdateRate(hz),
    close,
  };
}
