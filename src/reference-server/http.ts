/**
 * The reference target's MCP Streamable HTTP endpoint (default `/mcp`), next to the WebSocket one
 * and answering from the same handlers, with the same delay, jitter, error-rate and stall knobs.
 *
 * 2025-11-25 and older: `initialize` opens a session (`Mcp-Session-Id`), later requests must carry
 * it (400 without, 404 for one this target does not know), DELETE ends it. 2026-07-28: requests
 * carry their version in `params._meta` and need no session; `server/discover` answers what the
 * target supports; `MCP-Protocol-Version` and `Mcp-Method` must match the body (400 otherwise).
 * Answers are JSON, or SSE (one `message` event, then the stream ends) with `sse` on. An
 * `MCP-Protocol-Version` header this target does not speak gets 400. No GET stream (405), except
 * with fixtures on, where fixture-http.ts adds SSE streams, resumption and server->client requests.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFrame, resultFrame, type JsonRpcId } from './framing.js';
import { RPC_ERROR, SUPPORTED_PROTOCOL_VERSIONS, TARGET_NAME, TARGET_VERSION } from './handlers.js';
import type { FixtureHttp } from './fixture-http.js';
import type { Responder, ResponseSink } from './responder.js';
import type { SessionSettings } from './session.js';
import type { TargetCounters } from './stats.js';
import { ClientRequests } from './client-requests.js';
import { HeldWork, StreamSurface, asker, type StreamPeer, type ToolAnswer } from './streams.js';
import { ROUTED_TOOL, type StatelessSurface, UNSUPPORTED_PROTOCOL_VERSION, paramMismatch } from './stateless.js';

export const STATELESS_PROTOCOL_VERSION = '2026-07-28';
const VERSION_META = 'io.modelcontextprotocol/protocolVersion';
/** SEP-2243's code for headers that are missing or disagree with the body. */
const HEADER_MISMATCH = -32020;
/** A client that never sends DELETE must not grow memory: forget the oldest sessions beyond this. */
const MAX_SESSIONS = 200_000;
const OPEN = 1;
const GONE = 3;

/** Every revision this endpoint speaks, for the MCP-Protocol-Version header. */
const KNOWN_VERSIONS = new Set<string>([STATELESS_PROTOCOL_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS]);

const ALL_VERSIONS = [STATELESS_PROTOCOL_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS];

function discoverResult(supportedVersions: string[]): string {
  return JSON.stringify({
    resultType: 'complete',
    supportedVersions,
    capabilities: { tools: {}, resources: {}, prompts: {} },
    ttlMs: 60_000,
    cacheScope: 'public',
    _meta: { 'io.modelcontextprotocol/serverInfo': { name: TARGET_NAME, version: TARGET_VERSION } },
  });
}
const DISCOVER_RESULT = discoverResult(ALL_VERSIONS);

/** The text of routed_echo's answer (2026-07-28 only, like the tool). */
function routedEcho(params: Record<string, unknown> | undefined): string {
  const text = (params?.arguments as { text?: unknown } | undefined)?.text;
  return '{"content":[{"type":"text","text":' + JSON.stringify(typeof text === 'string' ? text : '') + '}]}';
}

interface Message {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  result?: unknown;
  error?: unknown;
  params?: { _meta?: Record<string, unknown> } & Record<string, unknown>;
}

/** One POST's answer, as the responder sees it: a "socket" that takes exactly one frame. */
class HttpReply implements ResponseSink {
  readonly socket = this;
  constructor(
    private readonly res: ServerResponse,
    private readonly sse: boolean,
    private readonly sessionId: string | undefined,
  ) {}

  get readyState(): number {
    return this.res.writableEnded || this.res.destroyed ? GONE : OPEN;
  }

  send(frame: string): void {
    const headers: Record<string, string> = { 'content-type': this.sse ? 'text/event-stream' : 'application/json' };
    if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
    if (this.sse) {
      headers['cache-control'] = 'no-cache';
      this.res.writeHead(200, headers).end('event: message\ndata: ' + frame.trimEnd() + '\n\n');
    } else this.res.writeHead(200, headers).end(frame);
  }
}

/** An SSE answer that stays open (server requests, a listen stream): one `message` event per frame. */
function sseStream(res: ServerResponse, headers: Record<string, string>): StreamPeer {
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  return {
    send: (json) => {
      if (res.writableEnded || res.destroyed) return false;
      res.write('event: message\ndata: ' + json + '\n\n');
      return true;
    },
  };
}

/** A 2025-11-25 HTTP session's streaming state (streams.ts): held work and requests to its client. */
interface StreamSession {
  held: HeldWork;
  asks: ClientRequests;
}

export class HttpEndpoint {
  private readonly sessions = new Set<string>();
  /** Sessions that used the streaming surface (made on first use, dropped with the session). */
  private readonly streamSessions = new Map<string, StreamSession>();

  constructor(
    readonly path: string,
    private readonly sse: boolean,
    private readonly maxPayload: number,
    private readonly settings: SessionSettings,
    private readonly counters: TargetCounters,
    private readonly responder: Responder,
    private readonly fixtures: FixtureHttp | undefined,
    private readonly stateless: StatelessSurface,
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Forget every session, as a restarted server would: their next request gets 404. */
  forgetSessions(): void {
    this.sessions.clear();
    for (const sid of [...this.streamSessions.keys()]) this.forgetStreams(sid);
    this.fixtures?.forgetAll();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => {});
    const version = req.headers['mcp-protocol-version'];
    if (version !== undefined && !KNOWN_VERSIONS.has(version as string)) {
      const known = [...KNOWN_VERSIONS].join(', ');
      return this.fail(
        res,
        400,
        null,
        RPC_ERROR.invalidRequest,
        `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version)} (this server speaks ${known})`,
      );
    }
    if (req.method === 'DELETE') return this.delete(req, res);
    if (req.method === 'GET' && this.fixtures) return this.get(req, res, this.fixtures);
    if (req.method !== 'POST') {
      const allow = this.fixtures ? 'GET, POST, DELETE' : 'POST, DELETE';
      res.writeHead(405, { allow, 'content-type': 'text/plain' }).end('POST JSON-RPC messages here (no GET stream)\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= this.maxPayload) chunks.push(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (size > this.maxPayload) return this.fail(res, 413, null, RPC_ERROR.invalidRequest, 'Payload Too Large');
      this.post(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
  }

  private get(req: IncomingMessage, res: ServerResponse, fixtures: FixtureHttp): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return this.fail(res, 406, null, RPC_ERROR.invalidRequest, 'Not Acceptable: Accept must list text/event-stream');
    }
    const sid = req.headers['mcp-session-id'];
    if (typeof sid !== 'string') return this.fail(res, 400, null, RPC_ERROR.invalidRequest, 'Bad Request: Mcp-Session-Id header is required');
    if (!this.sessions.has(sid)) return this.fail(res, 404, null, -32001, 'Session not found');
    fixtures.get(req, res, sid, { 'mcp-session-id': sid });
  }

  private delete(req: IncomingMessage, res: ServerResponse): void {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string' && this.sessions.delete(sid)) {
      this.fixtures?.forget(sid);
      this.forgetStreams(sid);
      this.counters.closeFramesReceived++; // the session ended the polite way, like a close frame
      res.writeHead(200).end();
    } else this.fail(res, 404, null, -32001, 'Session not found');
  }

  private post(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const counters = this.counters;
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return this.fail(res, 406, null, RPC_ERROR.invalidRequest, 'Not Acceptable: Accept must list application/json and text/event-stream');
    }
    if (!(req.headers['content-type'] ?? '').includes('application/json')) {
      return this.fail(res, 415, null, RPC_ERROR.invalidRequest, 'Unsupported Media Type: send application/json');
    }
    let msg: Message;
    try {
      msg = JSON.parse(body.toString('utf8')) as Message;
    } catch {
      counters.badMessages++;
      return this.fail(res, 400, null, RPC_ERROR.parseError, 'Parse error');
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || msg.jsonrpc !== '2.0') {
      counters.badMessages++;
      return this.fail(res, 400, null, RPC_ERROR.invalidRequest, 'Invalid Request: one JSON-RPC 2.0 message per POST');
    }
    const id = msg.id;
    const validId = typeof id === 'string' || typeof id === 'number';
    const method = msg.method;
    const version = msg.params?._meta?.[VERSION_META];
    let sessionId: string | undefined;
    let sid: string | undefined;
    const stateless = typeof version === 'string' && version >= STATELESS_PROTOCOL_VERSION;
    if (stateless) {
      // The stateless revision: the headers must say what the body says.
      const rid = validId ? id : null;
      if (req.headers['mcp-protocol-version'] !== version) return this.mismatch(res, rid, 'MCP-Protocol-Version header does not match params._meta');
      if (typeof method === 'string' && req.headers['mcp-method'] !== method) return this.mismatch(res, rid, 'Mcp-Method header does not match the method');
      const param = method === 'tools/call' ? paramMismatch(req.headers, msg.params) : undefined;
      if (param !== undefined) return this.mismatch(res, rid, param);
      if (this.stateless.refuse(version, method)) return this.unsupported(res, rid, version);
    } else if (method === 'initialize') {
      sessionId = randomUUID();
      if (this.sessions.size >= MAX_SESSIONS) {
        const oldest = this.sessions.values().next().value!;
        this.sessions.delete(oldest);
        this.fixtures?.forget(oldest);
        this.forgetStreams(oldest);
      }
      this.sessions.add(sessionId);
      this.fixtures?.opened(sessionId, msg.params);
      counters.sessionsTotal++;
    } else {
      const header = req.headers['mcp-session-id'];
      if (typeof header !== 'string') {
        return this.fail(res, 400, validId ? id : null, RPC_ERROR.invalidRequest, 'Bad Request: Mcp-Session-Id header is required');
      }
      if (!this.sessions.has(header)) return this.fail(res, 404, validId ? id : null, -32001, 'Session not found');
      sid = header;
    }
    if (typeof method !== 'string') {
      // A client's answer (to a fixture tool's sampling or elicitation request) or something that is not JSON-RPC.
      if (validId && ('result' in msg || 'error' in msg)) {
        const asks = sid === undefined ? undefined : this.streamSessions.get(sid)?.asks;
        if (!asks?.settle(id, msg) && !this.fixtures?.response(sid, msg)) counters.unmatchedResponses++;
      } else counters.badMessages++;
      res.writeHead(202).end();
      return;
    }
    counters.countMethod(method, msg.params);
    if (id === undefined) {
      counters.notifications++;
      if (method === 'notifications/cancelled')
        this.settings.streams?.cancelled(msg.params, sid === undefined ? undefined : this.streamSessions.get(sid)?.held);
      res.writeHead(202).end();
      return;
    }
    if (!validId) {
      counters.badMessages++;
      return this.fail(res, 400, null, RPC_ERROR.invalidRequest, 'Invalid Request: id must be a string or a number');
    }
    counters.requests++;
    const reply = new HttpReply(res, this.sse, sessionId);
    const errorRate = this.settings.errorRate;
    if (errorRate > 0 && method !== 'initialize' && Math.random() < errorRate) {
      this.responder.deliver(reply, errorFrame(id, RPC_ERROR.internalError, 'Internal error (injected by the target error rate)'), true);
      return;
    }
    const streams = this.settings.streams;
    if (streams && this.streamRequest(streams, res, reply, id, method, msg.params ?? {}, sid, sessionId, stateless)) return;
    if (method === 'tools/call' && this.fixtures?.call(sid, id, msg.params, res, sid ? { 'mcp-session-id': sid } : {})) return;
    const answer = stateless ? this.statelessAnswer(method, msg.params) : this.settings.answer(method, msg.params);
    if (typeof answer === 'string') this.responder.deliver(reply, resultFrame(id, stateless ? this.stateless.result(method, answer) : answer), false);
    else this.responder.deliver(reply, errorFrame(id, answer.code, answer.message), true);
  }

  /**
   * The streaming surface over Streamable HTTP (streams.ts): its tools (a stateless call asks with
   * input_required; a session's call asks on the POST's SSE stream) and 2026-07-28 listen streams.
   * A stream the client closes before the answer releases the work. True when taken.
   */
  private streamRequest(
    streams: StreamSurface,
    res: ServerResponse,
    reply: HttpReply,
    id: string | number,
    method: string,
    params: Record<string, unknown>,
    sid: string | undefined,
    newSessionId: string | undefined,
    stateless: boolean,
  ): boolean {
    if (method === 'subscriptions/listen') {
      const wanted = (params.notifications as { resourceSubscriptions?: unknown } | undefined)?.resourceSubscriptions;
      const uris = Array.isArray(wanted) ? wanted.filter((u): u is string => typeof u === 'string') : [];
      const peer = sseStream(res, {});
      const agreed = uris.filter((uri) => streams.subscribe(peer, uri, id) === undefined);
      peer.send(StreamSurface.acknowledgement(id, agreed));
      res.on('close', () => streams.unsubscribe(peer));
      return true;
    }
    if (method !== 'tools/call' || !StreamSurface.isTool(params.name)) return false;
    const session = sid === undefined ? undefined : this.streamSessionOf(sid, streams);
    const held = session?.held ?? new HeldWork(streams);
    const headers: Record<string, string> = sid ? { 'mcp-session-id': sid } : newSessionId ? { 'mcp-session-id': newSessionId } : {};
    let peer: StreamPeer | undefined;
    const ask =
      session === undefined
        ? undefined
        : asker(session.asks, (json) => {
            (peer ??= sseStream(res, headers)).send(json);
          });
    let answered = false;
    res.on('close', () => {
      if (!answered) streams.closedEarly(held, id);
    });
    streams.call(params, id, held, ask, (a: ToolAnswer) => {
      answered = true;
      const frame =
        'result' in a ? resultFrame(id, stateless ? this.stateless.result(method, a.result) : a.result) : errorFrame(id, a.error.code, a.error.message);
      if (peer === undefined) return this.responder.deliver(reply, frame, 'error' in a);
      peer.send(frame.trimEnd());
      res.end();
      this.counters.responses++;
    });
    return true;
  }

  private streamSessionOf(sid: string, streams: StreamSurface): StreamSession {
    let s = this.streamSessions.get(sid);
    if (!s) this.streamSessions.set(sid, (s = { held: new HeldWork(streams), asks: new ClientRequests() }));
    return s;
  }

  private forgetStreams(sid: string): void {
    const s = this.streamSessions.get(sid);
    if (!s) return;
    this.streamSessions.delete(sid);
    s.held.releaseAll();
    s.asks.close();
  }

  /** A 2026-07-28 request's answer before resultType and cache hints (StatelessSurface.result). */
  private statelessAnswer(method: string, params: Record<string, unknown> | undefined): ReturnType<SessionSettings['answer']> {
    if (method === 'server/discover') {
      const supported = this.stateless.supported(ALL_VERSIONS);
      return supported.length === ALL_VERSIONS.length ? DISCOVER_RESULT : discoverResult(supported);
    }
    if (method === 'tools/call' && params?.name === ROUTED_TOOL.name) return routedEcho(params);
    const answer = this.settings.answer(method, params);
    if (method !== 'tools/list' || typeof answer !== 'string') return answer;
    const listed = JSON.parse(answer) as { tools: unknown[] };
    return JSON.stringify({ ...listed, tools: [...listed.tools, ROUTED_TOOL] });
  }

  private mismatch(res: ServerResponse, id: JsonRpcId, message: string): void {
    this.counters.headerMismatches++;
    this.fail(res, 400, id, HEADER_MISMATCH, `Header mismatch: ${message}`);
  }

  /** UnsupportedProtocolVersionError: 400, with the versions it takes (the refusing node's: not the requested one). */
  private unsupported(res: ServerResponse, id: JsonRpcId, requested: string): void {
    this.counters.unsupportedVersions++;
    this.counters.errors++;
    const error = {
      code: UNSUPPORTED_PROTOCOL_VERSION,
      message: 'Unsupported protocol version',
      data: { supported: ALL_VERSIONS.filter((v) => v !== requested), requested },
    };
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error }) + '\n');
  }

  /** An HTTP error status with a JSON-RPC error body (what the SDK's server does too). */
  private fail(res: ServerResponse, status: number, id: JsonRpcId, code: number, message: string): void {
    this.counters.errors++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(errorFrame(id, code, message));
  }
}
