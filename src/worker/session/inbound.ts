/**
 * What a session receives: frames split into JSON-RPC messages, answers handed to the correlator
 * (the common one, a success response alone in its frame, without JSON.parse: fast-response.ts),
 * server requests answered (ping with an empty result, anything else -32601), notifications
 * counted, and whatever breaks JSON-RPC counted as the server's protocol error. A tools/call result
 * with `isError: true` is a tool error; a JSON-RPC error or a tool error leaves its reason with the
 * recorder (error-details.ts).
 */
import type { FrameTerminator } from '../../shared/types.js';
import { Answer, type MethodRecorder, type Recorder } from '../recorder.js';
import type { Route, Transport } from '../transport/transport.js';
import { jsonFrame } from '../frames.js';
import { HANDSHAKE, type Correlator, type Pending } from './correlator.js';
import { mayBeToolError, resultId, saysComplete } from './fast-response.js';
import { answerServerRequest as answerFromProfile, retryInputRequired, type Answering } from './server-requests.js';
import { subscriptionAnswered, subscriptionNotice, type Subscriber } from './subscriptions.js';
import { methodsAt, recorderAt } from './measuring.js';

/**
 * Answers to server requests stop at this many queued bytes: they are tiny frames, and each queued
 * frame costs far more memory than its bytes (a flood of 40-byte pongs to a server that does not read).
 */
const MAX_BUFFERED_REPLY_BYTES = 256 * 1024;
const HEADER_MISMATCH = -32020;
const UNSUPPORTED_VERSION = -32022;

/** The session a message is for (Session). */
export interface Inbound extends Answering, Subscriber {
  readonly host: Answering['host'] & {
    readonly recorder: Recorder;
    readonly terminator: FrameTerminator;
    readonly methodOf: readonly MethodRecorder[];
    readonly measureFrom: number;
    readonly warmRecorder: Recorder;
    readonly warmOf: readonly MethodRecorder[];
    /** Per mix entry: 1 when its answer may be input_required that the profile answers (2026-07-28). */
    readonly multiRound: Uint8Array;
    /** Per mix entry: 1 when its results may be cached for their ttlMs (profile cacheLists, 2026-07-28 list methods). */
    readonly cacheable: Uint8Array;
    readonly stateless: boolean;
    readonly profile: Answering['host']['profile'] & Subscriber['host']['profile'];
  };
  readonly calls: Correlator;
  readonly transport: Transport | undefined;
  /** Request `id` (pending as `p`) was answered: a result, a JSON-RPC error or a tool error. */
  answered(id: number, p: Pending, answer: Answer): void;
  handshakeAnswered(answer: { result?: unknown; error?: unknown }): void;
  /** A request was answered UnsupportedProtocolVersion (-32022), 2026-07-28. */
  versionRefused(): void;
  /** A list result of cacheable mix entry `entry` came with this `ttlMs` (profile cacheLists). */
  cacheFor(entry: number, ttlMs: unknown): void;
  /** A `notifications/progress` arrived with these params. */
  progressed(params: unknown): void;
  write(frame: Buffer | string, kind: 'response' | 'request', id?: number, route?: Route): boolean;
}

/** One WebSocket message (or HTTP body / SSE event) for session `s`. */
export function receive(s: Inbound, data: Buffer, isBinary: boolean): void {
  const rec = s.host.recorder;
  rec.bytesReceived += data.length;
  if (isBinary) {
    rec.error('protocol');
    return;
  }
  const id = resultId(data);
  if (id >= 0) {
    const p = s.calls.get(id);
    // A tools/call result that may say isError takes the full path, which reads the field itself.
    if (
      p !== undefined &&
      p.entry >= 0 &&
      !(s.host.methodOf[p.entry].toolCall && mayBeToolError(data)) &&
      // 2026-07-28: anything but "complete" (input_required, missing, unknown) takes the full path.
      !(s.host.stateless && !saysComplete(data)) &&
      !(s.host.cacheable[p.entry] === 1)
    ) {
      rec.received.response++;
      s.answered(id, p, Answer.Ok);
      return;
    }
  }
  const text = data.toString('utf8');
  let start = 0;
  // Newline-delimited: a frame may hold one message, several, or one without a terminator.
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) message(s, text.slice(start, end));
    start = end + 1;
  }
}

function message(s: Inbound, line: string): void {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    if (line.trim() !== '') s.host.recorder.error('protocol');
    return;
  }
  if (Array.isArray(msg)) for (const m of msg) dispatch(s, m);
  else dispatch(s, msg);
}

function dispatch(s: Inbound, msg: unknown): void {
  const rec = s.host.recorder;
  if (msg === null || typeof msg !== 'object') {
    rec.error('protocol');
    return;
  }
  const m = msg as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
  if (typeof m.method === 'string') {
    if (m.id === undefined) {
      rec.received.notification++;
      if (m.method === 'notifications/progress') s.progressed(m.params);
      else if (m.method === 'notifications/resources/updated' || m.method === 'notifications/subscriptions/acknowledged')
        subscriptionNotice(rec, m.method, m.params);
      return;
    }
    rec.received.request++;
    if (!answerFromProfile(s, m.id, m.method, m.params)) answerServerRequest(s, m.id, m.method);
    return;
  }
  if (m.id === undefined || (m.result === undefined && m.error === undefined)) {
    rec.error('protocol');
    return;
  }
  rec.received.response++;
  const id = m.id;
  const p = typeof id === 'number' ? s.calls.get(id) : undefined;
  if (p === undefined) {
    if (subscriptionAnswered(s, id, m.error)) return;
    // A late answer to a request that timed out was counted once already, as the timeout. Anything
    // else (an id answered before, never issued, or not a number) is a protocol error.
    const since = s.calls.lateSince(id);
    if (since === -1) rec.error('protocol');
    else {
      // The server's acknowledgement of mcpload's cancellation (sent at the timeout or cancelAfter), timed.
      rec.streams.cancelAcked++;
      rec.streamLatencyMicros('cancelAck', (performance.now() - since) * 1000);
    }
    return;
  }
  if (p.entry === HANDSHAKE) {
    s.calls.handshakeAnswered(id as number);
    s.handshakeAnswered(m);
    return;
  }
  if (m.result !== null && typeof m.result === 'object' && s.host.stateless) {
    const result = m.result as Record<string, unknown>;
    const resultType = result.resultType;
    if (resultType === 'input_required') {
      if (s.host.multiRound[p.entry] === 1 && retryInputRequired(s, id as number, p, result)) return;
      rec.errorDetail(s.host.methodOf[p.entry], 'rpc', undefined, 'input_required that the profile does not answer (declare capabilities)');
      rec.error('rpc');
      s.answered(id as number, p, Answer.RpcError);
      return;
    }
    if (resultType !== 'complete') {
      // The revision requires it on every result, and an unknown one MUST be taken as invalid (basic, ResultType).
      rec.streams.resultTypeMissing++;
      const said = resultType === undefined ? 'a result without resultType' : `a result with resultType ${JSON.stringify(resultType).slice(0, 40)}`;
      rec.errorDetail(s.host.methodOf[p.entry], 'rpc', undefined, `${said} (2026-07-28 requires "complete" or "input_required")`);
      s.answered(id as number, p, Answer.Invalid);
      return;
    }
    if (s.host.cacheable[p.entry] === 1) s.cacheFor(p.entry, result.ttlMs);
  }
  s.answered(id as number, p, answerOf(recorderAt(s.host, p.intended), methodsAt(s.host, p.intended)[p.entry], m));
  // The server does not take this revision (now): the session asks server/discover again (session.ts).
  if (s.host.stateless && (m.error as { code?: unknown } | null | undefined)?.code === UNSUPPORTED_VERSION) s.versionRefused();
}

/** How a parsed response answers a request of `m`; a failure's reason goes to the recorder. */
function answerOf(rec: Recorder, m: MethodRecorder, msg: { result?: unknown; error?: unknown }): Answer {
  if (msg.error !== undefined) {
    const e: { code?: unknown; message?: unknown } = typeof msg.error === 'object' && msg.error !== null ? msg.error : {};
    if (e.code === HEADER_MISMATCH) rec.streams.headerMismatch++;
    else if (e.code === UNSUPPORTED_VERSION) rec.streams.unsupportedVersion++;
    rec.errorDetail(m, 'rpc', e.code, e.message);
    return Answer.RpcError;
  }
  if (!m.toolCall) return Answer.Ok;
  const result = msg.result as { isError?: unknown; content?: unknown } | null;
  if (result === null || typeof result !== 'object' || result.isError !== true) return Answer.Ok;
  rec.errorDetail(m, 'tool', undefined, toolErrorText(result.content));
  return Answer.ToolError;
}

/** What a failed tool said: its text content items, joined. */
function toolErrorText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const c of content as { type?: unknown; text?: unknown }[]) {
    if (c !== null && typeof c === 'object' && c.type === 'text' && typeof c.text === 'string') text += (text ? ' ' : '') + c.text;
    if (text.length > 1024) break;
  }
  return text;
}

function answerServerRequest(s: Inbound, id: unknown, method: string): void {
  // A server that sends requests but does not read the answers must not grow our send buffer.
  if ((s.transport?.bufferedAmount ?? 0) > MAX_BUFFERED_REPLY_BYTES) return;
  const reply =
    method === 'ping' ? { jsonrpc: '2.0', id, result: {} } : { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } };
  s.write(jsonFrame(reply, s.host.terminator), 'response');
}
