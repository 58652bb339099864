/**
 * The streaming fixture tools over WebSocket (`mcpload serve --fixtures`): their notifications and
 * requests to the client go out as frames on the session's socket before the result, and the client's
 * answers come back as responses on it. There is no stream per call to end early, so test_reconnection
 * simply answers. One per session, created on its first initialize or streaming call.
 */
import { ClientRequests } from './client-requests.js';
import { isStreamingTool, runStreamingTool, type ToolStream } from './fixtures.js';
import { FRAME_TERMINATOR, resultFrame, type JsonRpcId } from './framing.js';
import type { Responder, ResponseSink } from './responder.js';

const OPEN = 1;

export class WsToolCalls {
  readonly requests = new ClientRequests();
  /** What the client declared in initialize. */
  clientCapabilities: Record<string, unknown> = {};

  constructor(
    private readonly sink: ResponseSink,
    private readonly responder: Responder,
  ) {}

  initialized(params: unknown): void {
    const caps = (params as { capabilities?: unknown } | undefined)?.capabilities;
    this.clientCapabilities = typeof caps === 'object' && caps !== null ? (caps as Record<string, unknown>) : {};
  }

  /** Takes a tools/call of a streaming tool; false for any other call. */
  call(id: JsonRpcId, params: unknown): boolean {
    const p = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : undefined;
    const name = p?.name;
    if (!isStreamingTool(name)) return false;
    const socket = this.sink.socket;
    const send = (json: string) => {
      if (socket.readyState === OPEN) socket.send(json + FRAME_TERMINATOR);
    };
    const tool: ToolStream = {
      notify: (method, notifyParams) => send(JSON.stringify({ jsonrpc: '2.0', method, params: notifyParams })),
      request: (method, requestParams) => this.requests.request(send, method, requestParams),
      interrupt: () => {},
      clientCapabilities: this.clientCapabilities,
    };
    void runStreamingTool(name, p, tool).then((json) => this.responder.deliver(this.sink, resultFrame(id, json), false));
    return true;
  }
}
