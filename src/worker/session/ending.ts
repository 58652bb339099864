/**
 * What the end of a connection counts as, and what the session does next: a decision on the state
 * it ended in and the transport's CloseReason (never on a WebSocket code), and the backoff before
 * the next attempt.
 */
import type { ErrorType } from '../../shared/errors.js';
import type { Profile } from '../../shared/types.js';
import { CloseKind, closeText, type CloseReason } from '../transport/transport.js';
import { State } from './host.js';

export const enum Next {
  /** Stay as it is (stopped, idle, or not connected anyway). */
  Nothing,
  Idle,
  /** Ask the engine for a connection slot now (a TTL retire, an expired session). */
  Requeue,
  /** Reconnect after a backoff. */
  Backoff,
}

export interface Ending {
  /** The error it counts as, if any (each connection's end is counted once). */
  error?: ErrorType;
  /** A line for the log. */
  note?: string;
  next: Next;
  /** The server forgot the session before it answered any request of it: the backoff grows across handshakes. */
  expiredUnanswered?: boolean;
}

const NOTHING: Ending = { next: Next.Nothing };
const IDLE: Ending = { next: Next.Idle };
const REQUEUE: Ending = { next: Next.Requeue };
const BACKOFF: Ending = { next: Next.Backoff };
/** `reason.text` says how the server said it forgot the session (HTTP 404, or a 400 that names the session: http-post.ts). */
const expired = (reason: CloseReason): Ending => ({ note: `${reason.text}: initializing a new one`, next: Next.Requeue });
const expiredUnanswered = (reason: CloseReason): Ending => ({
  error: 'closed',
  note: `${reason.text} before any request was answered: backing off`,
  next: Next.Backoff,
  expiredUnanswered: true,
});

/**
 * A connection of a session in `state` ended for `reason`; `reconnect`: a retiring session wants a
 * new one (TTL); `answered`: some request of this connection was answered.
 */
export function ending(state: State, reason: CloseReason, reconnect: boolean, answered = true): Ending {
  // A frame that broke the wire protocol is the server's protocol error, whatever the state counts otherwise.
  const violation = reason.kind === CloseKind.ProtocolViolation;
  switch (state) {
    case State.Retiring:
      if (violation) return { error: 'protocol', next: reconnect ? Next.Requeue : Next.Idle };
      return reconnect ? REQUEUE : IDLE;
    case State.Connecting:
      return { error: 'connect', note: `connect failed (${closeText(reason)})`, next: Next.Backoff };
    case State.Handshake:
      // Streamable HTTP: the first POST never reached the server (refused, reset, no route).
      if (reason.kind === CloseKind.Unreachable) return { error: 'connect', note: 'connect failed', next: Next.Backoff };
      return { error: violation ? 'protocol' : 'handshake', note: `closed during initialize (${closeText(reason)})`, next: Next.Backoff };
    case State.Open:
      if (reason.kind === CloseKind.SessionExpired) {
        // The server forgot the session (HTTP 404 on its Mcp-Session-Id). The spec's answer is a new
        // initialize: not an error, counted as a reconnect; requests it had in flight count as closed.
        if (answered) return expired(reason);
        // Expired before it answered anything (a server that 404s all but initialize): re-initializing
        // at once would be a storm, so it is a close like any other, counted and backed off.
        return expiredUnanswered(reason);
      }
      return { error: violation ? 'protocol' : 'closed', note: `closed by server (${closeText(reason)})`, next: Next.Backoff };
    case State.Backoff:
      return BACKOFF; // a failed handshake, counted already
    default:
      return NOTHING; // stopped, idle: the session ended it
  }
}

/**
 * Failed connection attempts in a row (a connection that opens starts the count again) after which an
 * arriving session (arrivalRate) gives up, fewer when the profile's reconnect.maxAttempts allows fewer.
 * An arrival is one visit: against a dead server it fails, is counted (flows.abandoned), and its slot
 * takes a later arrival instead of retrying for the rest of the run while new arrivals pile up.
 */
export const ARRIVAL_CONNECT_ATTEMPTS = 3;

/** The attempts an arriving session makes under `policy` (see ARRIVAL_CONNECT_ATTEMPTS). */
export function arrivalAttempts(policy: Profile['reconnect']): number {
  return policy.maxAttempts > 0 ? Math.min(ARRIVAL_CONNECT_ATTEMPTS, policy.maxAttempts + 1) : ARRIVAL_CONNECT_ATTEMPTS;
}

/**
 * How long to wait before attempt `attempts` + 1 (ms): exponential backoff with full jitter (AWS
 * architecture blog), which spreads reconnect storms. `random`: in [0, 1).
 */
export function backoffDelay(policy: Profile['reconnect'], attempts: number, random: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempts - 1, 30));
  return random * cap;
}
