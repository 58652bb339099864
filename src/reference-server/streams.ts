/**
 * The streaming surface of `mcpload serve`, kept apart from the plain handlers: work that can be
 * cancelled, requests to the client, and resources that change under their subscribers.
 *
 * - `wait` ({ms}): holds its answer for `ms` (default 1000); `notifications/cancelled` (or, over
 *   Streamable HTTP, the client closing the answer's stream) releases the work and no answer goes out.
 * - `ask_sampling`, `ask_elicitation`, `ask_roots`: ask the client (`sampling/createMessage`,
 *   `elicitation/create`, `roots/list`) and answer with what it said; over 2026-07-28 the first call
 *   gets an `input_required` result and the retry carrying `inputResponses` the final one.
 * - Resource subscriptions: `resources/subscribe` (a session) or `subscriptions/listen` (2026-07-28, a
 *   long-lived SSE answer); with an update rate, every subscribed resource changes that often and each
 *   subscriber gets `notifications/resources/updated` stamped with the update's time in `_meta`
 *   (UPDATED_AT_META, ms since the epoch, fractional), so a client can time the fan-out.
 *
 * The tools are not in tools/list (discovery and the default profiles stay as they are); any client may call them.
 */
import { performance } from 'node:perf_hooks';
import { type ClientRequests } from './client-requests.js';
import { RESOURCE_URI_PREFIX } from './handlers.js';

/** Where an update notification carries the time of the update (ms since the epoch, fractional). */
export const UPDATED_AT_META = 'mcpload/updatedAt';
const SUBSCRIPTION_ID_META = 'io.modelcontextprotocol/subscriptionId';
export const STREAM_TOOLS = ['wait', 'ask_sampling', 'ask_elicitation', 'ask_roots'] as const;
const ASKS = { ask_sampling: 'sampling', ask_elicitation: 'elicitation', ask_roots: 'roots' } as const;
type Kind = (typeof ASKS)[keyof typeof ASKS];
const ASK_METHOD: Record<Kind, string> = { sampling: 'sampling/createMessage', elicitation: 'elicitation/create', roots: 'roots/list' };
const ASK_PARAMS: Record<Kind, Record<string, unknown>> = {
  sampling: { messages: [{ role: 'user', content: { type: 'text', text: 'Say something.' } }], maxTokens: 50 },
  elicitation: {
    mode: 'form',
    message: 'Your name?',
    requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  },
  roots: {},
};
const MAX_WAIT_MS = 600_000;

/** What the target's GET /stats says of its streaming surface. */
export interface StreamStats {
  /** `notifications/cancelled` received (any request id). */
  cancellationsReceived: number;
  /** Streamable HTTP answers whose stream the client closed before the answer (2026-07-28's cancellation). */
  streamsClosedEarly: number;
  /** `wait` calls started, finished (answered), released by a cancellation or a closed stream or session; in progress now. */
  workStarted: number;
  workFinished: number;
  workReleased: number;
  workInFlight: number;
  /** Requests sent to clients and answered by them, by kind (2025-11-25 sessions). */
  serverRequestsSent: Record<Kind, number>;
  serverRequestsAnswered: Record<Kind, number>;
  /** 2026-07-28: input_required results sent, and retries that carried inputResponses, by kind. */
  inputRequired: Record<Kind, number>;
  inputResponses: Record<Kind, number>;
  /** Subscriptions open now (resources/subscribe per URI, or listen streams), updates made, notifications sent. */
  subscribers: number;
  resourceUpdates: number;
  updateNotifications: number;
}

function kinds(): Record<Kind, number> {
  return { sampling: 0, elicitation: 0, roots: 0 };
}

/** The client end of a session or of one HTTP answer: where frames to the client go. */
export interface StreamPeer {
  /** Writes one JSON-RPC message (no terminator); false when the peer is gone. */
  send(json: string): boolean;
}

/** Held work of one session (or one HTTP answer), by request id. */
export class HeldWork {
  private readonly work = new Map<unknown, NodeJS.Timeout>();
  constructor(private readonly surface: StreamSurface) {}

  hold(id: unknown, ms: number, done: () => void): void {
    const s = this.surface.stats;
    s.workStarted++;
    s.workInFlight++;
    this.work.set(
      id,
      setTimeout(() => {
        this.work.delete(id);
        s.workInFlight--;
        s.workFinished++;
        done();
      }, ms),
    );
  }

  /** Work for `id` stops, unanswered: true when there was some. */
  release(id: unknown): boolean {
    const timer = this.work.get(id);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.work.delete(id);
    this.surface.stats.workInFlight--;
    this.surface.stats.workReleased++;
    return true;
  }

  /** The session (or stream) ended: all its work is released. */
  releaseAll(): void {
    for (const id of [...this.work.keys()]) this.release(id);
  }
}

interface Subscriber {
  peer: StreamPeer;
  /** For listen streams: the subscription id every notification carries. */
  subscriptionId?: unknown;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A tool call's answer: result JSON, or a JSON-RPC error. */
export type ToolAnswer = { result: string } | { error: { code: number; message: string } };

export class StreamSurface {
  readonly stats: StreamStats = {
    cancellationsReceived: 0,
    streamsClosedEarly: 0,
    workStarted: 0,
    workFinished: 0,
    workReleased: 0,
    workInFlight: 0,
    serverRequestsSent: kinds(),
    serverRequestsAnswered: kinds(),
    inputRequired: kinds(),
    inputResponses: kinds(),
    subscribers: 0,
    resourceUpdates: 0,
    updateNotifications: 0,
  };
  /** Subscribers by URI. */
  private readonly byUri = new Map<string, Set<Subscriber>>();
  private timer: NodeJS.Timeout | undefined;

  /** `updateRateHz` > 0: each subscribed resource changes that many times a second. */
  constructor(updateRateHz: number) {
    this.setUpdateRate(updateRateHz);
  }

  /** Update every subscribed resource `hz` times a second from now (0: stop). */
  setUpdateRate(hz: number): void {
    clearInterval(this.timer);
    this.timer = hz > 0 ? setInterval(() => this.update(), 1000 / hz) : undefined;
  }

  static isTool(name: unknown): boolean {
    return (STREAM_TOOLS as readonly unknown[]).includes(name);
  }

  /**
   * A tools/call of one of STREAM_TOOLS on a session that can ask its client (`ask`: 2025-11-25), or
   * statelessly (2026-07-28: `ask` undefined, `input_required` instead). `answer` gets the outcome
   * (not called for released work).
   */
  call(
    params: Record<string, unknown>,
    id: unknown,
    held: HeldWork,
    ask: ((method: string, p: Record<string, unknown>) => Promise<unknown>) | undefined,
    answer: (a: ToolAnswer) => void,
  ): void {
    const name = params.name as string;
    const args = record(params.arguments) ?? {};
    if (name === 'wait') {
      const ms = typeof args.ms === 'number' && args.ms >= 0 ? Math.min(args.ms, MAX_WAIT_MS) : 1000;
      held.hold(id, ms, () => answer({ result: text(`waited ${ms} ms`) }));
      return;
    }
    const kind = ASKS[name as keyof typeof ASKS];
    if (ask === undefined) return answer(this.multiRound(kind, params));
    this.stats.serverRequestsSent[kind]++;
    ask(ASK_METHOD[kind], ASK_PARAMS[kind]).then(
      (result) => {
        this.stats.serverRequestsAnswered[kind]++;
        answer({ result: text(`${kind}: ${JSON.stringify(result)}`) });
      },
      (err: Error) => answer({ result: '{"content":[{"type":"text","text":' + JSON.stringify(err.message) + '}],"isError":true}' }),
    );
  }

  /** 2026-07-28: the first call asks for input; a retry with the answer gets the result. */
  private multiRound(kind: Kind, params: Record<string, unknown>): ToolAnswer {
    const given = record(params.inputResponses)?.[kind];
    if (given !== undefined && params.requestState === `ask-${kind}`) {
      this.stats.inputResponses[kind]++;
      return { result: JSON.stringify({ resultType: 'complete', content: [{ type: 'text', text: `${kind}: ${JSON.stringify(given)}` }] }) };
    }
    this.stats.inputRequired[kind]++;
    return {
      result: JSON.stringify({
        resultType: 'input_required',
        inputRequests: { [kind]: { method: ASK_METHOD[kind], params: ASK_PARAMS[kind] } },
        requestState: `ask-${kind}`,
      }),
    };
  }

  /** `notifications/cancelled` from a session: its work for that request stops. */
  cancelled(params: unknown, held: HeldWork | undefined): void {
    this.stats.cancellationsReceived++;
    held?.release(record(params)?.requestId);
  }

  /** An HTTP answer's stream closed before the answer: 2026-07-28's cancellation. */
  closedEarly(held: HeldWork, id: unknown): void {
    if (held.release(id)) this.stats.streamsClosedEarly++;
  }

  /** resources/subscribe: an error message for a URI this target does not have, else undefined. */
  subscribe(peer: StreamPeer, uri: unknown, subscriptionId?: unknown): string | undefined {
    if (typeof uri !== 'string' || !uri.startsWith(RESOURCE_URI_PREFIX)) return `Resource not found: ${String(uri)}`;
    let set = this.byUri.get(uri);
    if (!set) this.byUri.set(uri, (set = new Set()));
    for (const s of set) if (s.peer === peer) return undefined;
    set.add(subscriptionId === undefined ? { peer } : { peer, subscriptionId });
    this.stats.subscribers++;
    return undefined;
  }

  unsubscribe(peer: StreamPeer, uri?: unknown): void {
    for (const [u, set] of this.byUri) {
      if (uri !== undefined && u !== uri) continue;
      for (const s of set) {
        if (s.peer !== peer) continue;
        set.delete(s);
        this.stats.subscribers--;
      }
    }
  }

  /** One update of every subscribed resource: each subscriber is told, stamped with the update's time. */
  update(): void {
    for (const [uri, set] of this.byUri) {
      if (set.size === 0) continue;
      this.stats.resourceUpdates++;
      const at = performance.timeOrigin + performance.now();
      const plain = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri, _meta: { [UPDATED_AT_META]: at } } });
      for (const s of set) {
        const frame =
          s.subscriptionId === undefined
            ? plain
            : JSON.stringify({
                jsonrpc: '2.0',
                method: 'notifications/resources/updated',
                params: { uri, _meta: { [UPDATED_AT_META]: at, [SUBSCRIPTION_ID_META]: s.subscriptionId } },
              });
        if (s.peer.send(frame)) this.stats.updateNotifications++;
      }
    }
  }

  /** The acknowledgement a listen stream starts with (2026-07-28). */
  static acknowledgement(subscriptionId: unknown, uris: string[]): string {
    return JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { _meta: { [SUBSCRIPTION_ID_META]: subscriptionId }, notifications: { resourceSubscriptions: uris } },
    });
  }

  snapshot(): StreamStats {
    return structuredClone(this.stats);
  }

  /** No more updates. Idempotent. */
  close(): void {
    this.setUpdateRate(0);
  }
}

function text(t: string): string {
  return JSON.stringify({ content: [{ type: 'text', text: t }] });
}

/** A session's requests to its client (2025-11-25), made on first use. */
export function asker(requests: ClientRequests, send: (json: string) => void): (method: string, p: Record<string, unknown>) => Promise<unknown> {
  return (method, p) => requests.request(send, method, p);
}
