/**
 * One client connection to the target: turns each incoming frame into JSON-RPC messages,
 * answers requests, counts notifications, and matches replies to the pings the target sent.
 * Sessions hold no timers; the server drives pings and stalls for all of them at once.
 */
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { BAD_JSON, errorFrame, forEachMessage, requestFrame, resultFrame, type JsonRpcId } from './framing.js';
import { RPC_ERROR, type Answer } from './handlers.js';
import type { Responder } from './responder.js';
import { WsToolCalls } from './fixture-ws.js';
import type { TargetCounters } from './stats.js';
import { ClientRequests } from './client-requests.js';
import { HeldWork, StreamSurface, asker, type StreamPeer, type ToolAnswer } from './streams.js';

/** A client that never answers pings must not grow memory: forget the oldest beyond this. */
const MAX_PINGS_OUTSTANDING = 32;
const PING_ID_PREFIX = 'mcpload-target-ping-';
let pingSeq = 0;

function uncork(session: TargetSession, tcp: Socket): void {
  session.corked = false;
  tcp.uncork();
}

interface JsonRpcShape {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

export interface SessionSettings {
  /** Share of requests other than initialize answered with -32603. */
  errorRate: number;
  /** The surface: the default one, or the conformance fixtures on top of it. */
  answer: Answer;
  /** Fixtures on: streaming tools run here (fixture-ws.ts), with requests to the client. */
  fixtures: boolean;
  /** The streaming surface (streams.ts): cancellable work, requests to the client, subscriptions. */
  streams?: StreamSurface;
}

export class TargetSession {
  /** Ids of pings sent and not yet answered; created on the first ping. */
  private pings: Set<string> | undefined;
  /** With fixtures: the streaming tool calls and their requests to the client; created when first needed. */
  private toolCalls: WsToolCalls | undefined;
  /** The streaming surface's work and requests of this session (streams.ts); made on first use. */
  private held: HeldWork | undefined;
  private asks: ClientRequests | undefined;
  private readonly peer: StreamPeer = {
    send: (json) => {
      if (this.socket.readyState !== this.socket.OPEN) return false;
      this.socket.send(json + '\n');
      return true;
    },
  };

  constructor(
    readonly socket: WebSocket,
    private readonly settings: SessionSettings,
    private readonly counters: TargetCounters,
    private readonly responder: Responder,
  ) {}

  /** ws 'message' listener. binaryType is the default 'nodebuffer', so data is one Buffer. */
  readonly onFrame = (data: WebSocket.RawData, isBinary: boolean): void => {
    this.cork();
    if (isBinary) {
      this.counters.badMessages++;
      this.replyError(null, RPC_ERROR.parseError, 'Parse error: binary frames are not JSON-RPC; send text frames');
      return;
    }
    forEachMessage((data as Buffer).toString('utf8'), this.onMessage);
  };

  /**
   * Hold this connection's writes until the end of the event-loop turn: ws hands every frame of one
   * TCP read to us in one synchronous loop, and their answers then leave in one writev instead of
   * one syscall each (--cpu-prof: writev was most of the target's time at 80K answers/s).
   */
  private cork(): void {
    if (this.corked) return;
    const tcp = (this.socket as unknown as { _socket?: Socket | null })._socket;
    if (!tcp) return;
    this.corked = true;
    tcp.cork();
    process.nextTick(uncork, this, tcp);
  }

  /** @internal for uncork() */
  corked = false;

  sendPing(): void {
    const id = PING_ID_PREFIX + ++pingSeq;
    const pings = (this.pings ??= new Set());
    if (pings.size >= MAX_PINGS_OUTSTANDING) pings.delete(pings.values().next().value!);
    pings.add(id);
    this.socket.send(requestFrame(id, 'ping'));
    this.counters.pingsSent++;
  }

  private readonly onMessage = (message: unknown): void => {
    try {
      this.handle(message);
    } catch {
      // Not expected; a client must never be able to crash the target, so answer and go on.
      this.replyError(null, RPC_ERROR.internalError, 'Internal error');
    }
  };

  private handle(message: unknown): void {
    if (message === BAD_JSON) {
      this.counters.badMessages++;
      this.replyError(null, RPC_ERROR.parseError, 'Parse error');
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      // JSON-RPC batches were dropped from MCP in 2025-06-18; the target does not take them.
      this.invalid(null, Array.isArray(message) ? 'Invalid Request: batches are not supported' : 'Invalid Request: not an object');
      return;
    }
    const msg = message as JsonRpcShape;
    const id = msg.id;
    const validId = typeof id === 'string' || typeof id === 'number';
    if (msg.jsonrpc !== '2.0') {
      this.invalid(validId ? id : null, 'Invalid Request: jsonrpc must be "2.0"');
      return;
    }
    const method = msg.method;
    if (typeof method !== 'string') {
      if (validId && ('result' in msg || 'error' in msg)) this.onResponse(id, msg);
      else this.invalid(validId ? id : null, 'Invalid Request: no method');
      return;
    }
    this.counters.countMethod(method, msg.params);
    if (id === undefined) {
      this.counters.notifications++;
      if (method === 'notifications/cancelled') this.settings.streams?.cancelled(msg.params, this.held);
      return;
    }
    if (!validId) {
      this.invalid(null, 'Invalid Request: id must be a string or a number');
      return;
    }
    this.counters.requests++;
    const errorRate = this.settings.errorRate;
    if (errorRate > 0 && method !== 'initialize' && Math.random() < errorRate) {
      this.replyError(id, RPC_ERROR.internalError, 'Internal error (injected by the target error rate)');
      return;
    }
    if (this.settings.streams && this.streamRequest(id, method, msg.params, this.settings.streams)) return;
    if (this.settings.fixtures) {
      const calls = (this.toolCalls ??= new WsToolCalls(this, this.responder));
      if (method === 'initialize') calls.initialized(msg.params);
      else if (method === 'tools/call' && calls.call(id, msg.params)) return;
    }
    const answer = this.settings.answer(method, msg.params);
    if (typeof answer === 'string') this.responder.deliver(this, resultFrame(id, answer), false);
    else this.replyError(id, answer.code, answer.message);
  }

  /** The streaming surface's requests (streams.ts): true when taken. */
  private streamRequest(id: string | number, method: string, rawParams: unknown, streams: StreamSurface): boolean {
    const params = typeof rawParams === 'object' && rawParams !== null ? (rawParams as Record<string, unknown>) : {};
    if (method === 'tools/call' && StreamSurface.isTool(params.name)) {
      const ask = asker((this.asks ??= new ClientRequests()), (json) => this.peer.send(json));
      streams.call(params, id, (this.held ??= new HeldWork(streams)), ask, (a: ToolAnswer) => {
        if ('result' in a) this.responder.deliver(this, resultFrame(id, a.result), false);
        else this.replyError(id, a.error.code, a.error.message);
      });
      return true;
    }
    if (this.settings.fixtures) return false; // the conformance fixtures answer their own subscriptions
    if (method === 'resources/subscribe') {
      const problem = streams.subscribe(this.peer, params.uri);
      if (problem) this.replyError(id, RPC_ERROR.resourceNotFound, problem);
      else this.responder.deliver(this, resultFrame(id, '{}'), false);
      return true;
    }
    if (method === 'resources/unsubscribe') {
      streams.unsubscribe(this.peer, params.uri);
      this.responder.deliver(this, resultFrame(id, '{}'), false);
      return true;
    }
    return false;
  }

  private onResponse(id: string | number, msg: JsonRpcShape): void {
    if (typeof id === 'string' && this.pings?.delete(id)) this.counters.pongsReceived++;
    else if (!this.toolCalls?.requests.settle(id, msg) && !this.asks?.settle(id, msg)) this.counters.unmatchedResponses++;
  }

  /** The connection closed: tools waiting on the client fail now instead of at their timeout; held work and subscriptions end. */
  ended(): void {
    this.toolCalls?.requests.close();
    this.asks?.close();
    this.held?.releaseAll();
    this.settings.streams?.unsubscribe(this.peer);
  }

  private invalid(id: JsonRpcId, message: string): void {
    this.counters.badMessages++;
    this.replyError(id, RPC_ERROR.invalidRequest, message);
  }

  private replyError(id: JsonRpcId, code: number, message: string): void {
    this.responder.deliver(this, errorFrame(id, code, message), true);
  }
}
