/**
 * The server's requests, answered like a real client (issue 17): the profile's `capabilities`
 * (sampling, elicitation, roots) are declared at initialize (or in every request's `_meta` on
 * 2026-07-28) and each kind is answered with its canned result after its delay. 2025-11-25: the
 * request arrives on the session (WebSocket, a POST's SSE stream, the GET stream) and is answered
 * there. 2026-07-28: an `input_required` result is retried with `inputResponses` (and the server's
 * `requestState`) under a new id, keeping the first send's intended time, so the whole multi-round
 * request is one latency sample (and a `multiRound` one). Off the hot path: only server requests and
 * input_required answers, which are parsed anyway, come here.
 */
import type { CannedAnswer, ClientAnswers, FrameTerminator, Profile } from '../../shared/types.js';
import { compileTemplates, renderTemplates } from '../../config/templates.js';
import type { Recorder } from '../recorder.js';
import type { Route, Transport } from '../transport/transport.js';
import { jsonFrame } from '../frames.js';
import type { Correlator, Pending } from './correlator.js';

type Kind = keyof ClientAnswers;
const KIND_OF: Record<string, Kind> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };
/** input_required is only for these (2026-07-28, Multi Round-Trip Requests). */
export const MULTI_ROUND_METHODS = ['tools/call', 'resources/read', 'prompts/get'];
/** Rounds of input_required one request may take before it counts as the server's protocol error. */
const MAX_ROUNDS = 8;

/** The capabilities a profile's answers declare (initialize's `capabilities`, `_meta` clientCapabilities). */
export function declaredCapabilities(answers: ClientAnswers | undefined): Record<string, unknown> {
  const caps: Record<string, unknown> = {};
  if (answers?.sampling) caps.sampling = {};
  if (answers?.elicitation) caps.elicitation = { form: {} };
  if (answers?.roots) caps.roots = { listChanged: false };
  return caps;
}

/**
 * The result answering one request of `kind`: the canned one; for elicitation, the requested
 * schema's defaults fill what the canned content leaves out (SEP-1034: a client applies defaults).
 */
function resultFor(s: Answering, answers: ClientAnswers, kind: Kind, params: unknown): Record<string, unknown> {
  const answer = answers[kind]!;
  const canned = answer.templated === true ? filled(s, answer) : answer.result;
  if (kind !== 'elicitation' || canned.action !== 'accept') return canned;
  const props = (params as { requestedSchema?: { properties?: Record<string, { default?: unknown }> } } | undefined)?.requestedSchema?.properties;
  if (props === undefined || typeof props !== 'object') return canned;
  const content: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(props)) if (p !== null && typeof p === 'object' && p.default !== undefined) content[name] = p.default;
  return { ...canned, content: { ...content, ...(canned.content ?? {}) } };
}

/** Each templated answer compiled once per engine (its profile's copy), filled per use. */
const compiled = new WeakMap<CannedAnswer, unknown>();

/** A templated answer's result, its `{{seq}}` (the session's requests so far), `{{session}}` and random holes filled. */
function filled(s: Answering, answer: CannedAnswer): Record<string, unknown> {
  let c = compiled.get(answer);
  if (c === undefined) compiled.set(answer, (c = compileTemplates(answer.result)));
  return renderTemplates(c, { seq: s.seq, session: s.host.sessionIndex(s.slot) }) as Record<string, unknown>;
}

/** What the answering session offers (Session). */
export interface Answering {
  readonly host: {
    readonly recorder: Recorder;
    readonly terminator: FrameTerminator;
    readonly profile: Profile;
    readonly requestMeta: Record<string, unknown>;
    readonly templates: readonly { readonly route: Route }[];
    trackTimeout(s: Answering, id: number, deadline: number): void;
    /** The run-wide index of the engine's session `slot` (`{{session}}`). */
    sessionIndex(slot: number): number;
  };
  readonly slot: number;
  readonly seq: number;
  readonly calls: Correlator;
  readonly transport: Transport | undefined;
  write(frame: Buffer | string, kind: 'response' | 'request', id?: number, route?: Route): boolean;
}

/** Later, on the same connection only (a reconnect has new ids and a new session). */
function later(s: Answering, delayMs: number, send: () => void): void {
  if (delayMs <= 0) return send();
  const transport = s.transport;
  setTimeout(() => {
    if (s.transport === transport) send();
  }, delayMs);
}

/** A server request the profile answers: true when it is one (the answer goes out after its delay). */
export function answerServerRequest(s: Answering, id: unknown, method: string, params: unknown): boolean {
  const answers = s.host.profile.answers;
  const kind = KIND_OF[method];
  if (answers === undefined || kind === undefined || answers[kind] === undefined) return false;
  const frame = jsonFrame({ jsonrpc: '2.0', id, result: resultFor(s, answers, kind, params) }, s.host.terminator);
  later(s, answers[kind].delayMs, () => {
    if (s.write(frame, 'response')) s.host.recorder.streams[kind]++;
  });
  return true;
}

/**
 * An `input_required` result for request `id` (pending as `p`): retried under a new id with the
 * answers. False when it cannot be (a request kind the profile does not answer, too many rounds): the
 * caller counts the answer as the server's error.
 */
export function retryInputRequired(s: Answering, id: number, p: Pending, result: Record<string, unknown>): boolean {
  const answers = s.host.profile.answers;
  const requests = result.inputRequests;
  if (answers === undefined || p.rounds >= MAX_ROUNDS) return false;
  const responses: Record<string, unknown> = {};
  let delayMs = 0;
  const kinds: Kind[] = [];
  if (requests !== null && typeof requests === 'object') {
    for (const [key, r] of Object.entries(requests as Record<string, { method?: unknown; params?: unknown }>)) {
      const kind = typeof r?.method === 'string' ? KIND_OF[r.method] : undefined;
      if (kind === undefined || answers[kind] === undefined) return false;
      responses[key] = resultFor(s, answers, kind, r.params);
      delayMs = Math.max(delayMs, answers[kind].delayMs);
      kinds.push(kind);
    }
  }
  const entry = s.host.profile.mix[p.entry];
  const params: Record<string, unknown> = { ...(entry.params ?? {}), _meta: s.host.requestMeta, inputResponses: responses };
  if (typeof result.requestState === 'string') params.requestState = result.requestState;
  const next = s.calls.nextId();
  s.calls.retry(id, next, p);
  const rec = s.host.recorder;
  rec.streams.inputRequired++;
  const frame = jsonFrame({ jsonrpc: '2.0', id: next, method: entry.method, params }, s.host.terminator);
  s.host.trackTimeout(s, next, performance.now() + s.host.profile.timeoutMs);
  later(s, delayMs, () => {
    if (s.calls.get(next) === undefined) return; // timed out or closed meanwhile
    for (const k of kinds) rec.streams[k]++;
    if (!s.write(frame, 'request', next, s.host.templates[p.entry].route)) s.calls.lost(next);
    else if (s.transport?.queues === true) rec.sent.request++; // a queueing transport's retry is tracked as wired already
  });
  return true;
}
