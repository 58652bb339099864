/**
 * Resource subscriptions of an open session (profile `subscribe`): `resources/subscribe` for each URI
 * (2025-11-25), or one long-lived `subscriptions/listen` request whose answer stream carries the
 * notifications (2026-07-28). Neither is a mix request: they are not in the correlator (no timeout,
 * no in-flight slot; a listen stream lives as long as its connection), their ids are the session's
 * own. Each `notifications/resources/updated` is counted, and one stamped by the server with
 * UPDATED_AT_META (mcpload serve does) gives a fan-out sample: the update's time to now, on one clock
 * (the epoch, both ends on this machine or synchronised ones).
 */
import { performance } from 'node:perf_hooks';
import type { FrameTerminator } from '../../shared/types.js';
import type { Recorder } from '../recorder.js';
import { jsonFrame } from '../frames.js';
import { LISTEN_ROUTE, routeOf } from '../transport/http-headers.js';
import type { Route } from '../transport/transport.js';

/** The `_meta` key of the time of the update a notification tells (ms since the epoch): mcpload serve's stamp. */
export const UPDATED_AT_META = 'mcpload/updatedAt';
const SUBSCRIBE_ROUTE = routeOf('resources/subscribe');

/** The ids a connection's subscription requests took: [from, to). */
export interface SubscriptionIds {
  from: number;
  to: number;
}

/** The subscribing session (Session). */
export interface Subscriber {
  readonly host: {
    readonly recorder: Recorder;
    readonly terminator: FrameTerminator;
    readonly stateless: boolean;
    readonly requestMeta: Record<string, unknown>;
    readonly profile: { readonly subscribe?: string[] };
  };
  readonly calls: { nextId(): number };
  readonly transport: { readonly queues?: boolean } | undefined;
  subscriptionIds: SubscriptionIds;
  write(frame: Buffer | string, kind: 'request', id?: number, route?: Route): boolean;
}

/** The session is open: subscribe to the profile's resources. */
export function subscribe(s: Subscriber): void {
  const uris = s.host.profile.subscribe;
  if (uris === undefined) return;
  const t = s.host.terminator;
  const from = s.calls.nextId();
  if (s.host.stateless) {
    const params = { _meta: s.host.requestMeta, notifications: { resourceSubscriptions: uris } };
    send(s, jsonFrame({ jsonrpc: '2.0', id: from, method: 'subscriptions/listen', params }, t), from, LISTEN_ROUTE);
    s.subscriptionIds = { from, to: from + 1 };
    return;
  }
  let id = from;
  for (const uri of uris) {
    if (id !== from) id = s.calls.nextId();
    send(s, jsonFrame({ jsonrpc: '2.0', id, method: 'resources/subscribe', params: { uri } }, t), id, SUBSCRIBE_ROUTE);
  }
  s.subscriptionIds = { from, to: id + 1 };
}

/** A request with its id, so a transport reads its answer stream; one that queues counts it here (no correlator entry to count it when wired). */
function send(s: Subscriber, frame: string, id: number, route: Route): void {
  if (s.write(frame, 'request', id, route) && s.transport?.queues === true) s.host.recorder.sent.request++;
}

/** An answer with no pending request: true when it answers one of the connection's subscription requests (counted here). */
export function subscriptionAnswered(s: Subscriber, id: unknown, error: unknown): boolean {
  const ids = s.subscriptionIds;
  if (typeof id !== 'number' || id < ids.from || id >= ids.to) return false;
  const rec = s.host.recorder;
  if (error !== undefined) rec.error('rpc');
  else if (!s.host.stateless) rec.streams.subscribed++; // a listen's answer is its graceful end, not a confirmation
  return true;
}

/** A notification of the subscription surface: counted (and timed when stamped). */
export function subscriptionNotice(rec: Recorder, method: string, params: unknown): void {
  if (method === 'notifications/resources/updated') {
    rec.streams.resourceUpdated++;
    const at = (params as { _meta?: Record<string, unknown> } | undefined)?._meta?.[UPDATED_AT_META];
    if (typeof at === 'number') {
      const micros = (performance.timeOrigin + performance.now() - at) * 1000;
      if (micros >= 0) rec.streamLatencyMicros('fanout', micros);
    }
  } else if (method === 'notifications/subscriptions/acknowledged') rec.streams.subscribed++;
}
