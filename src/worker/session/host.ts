/**
 * The seam between a session and the engine that owns it: the session's states, and what it needs
 * from its engine. Generic over the session type, so this file depends on no session.
 */
import type { Profile, TlsOptions } from '../../shared/types.js';
import type { CancelTemplate, RequestFrames } from '../frames.js';
import type { LocalPorts } from '../local-ports.js';
import type { MethodRecorder, Recorder } from '../recorder.js';
import type { Connect } from '../transport/transport.js';
import type { HandshakeSettings } from './handshake.js';
import type { FlowNode } from './flow.js';

export const enum State {
  Idle,
  Queued,
  Connecting,
  Handshake,
  Open,
  /** No more requests; closes once in-flight ones are answered (ramp-down, TTL, stop). */
  Retiring,
  Backoff,
  Failed,
  Stopped,
}

/** What a session (`S`) needs from the engine that owns it. */
export interface SessionHost<S> extends HandshakeSettings {
  readonly profile: Profile;
  readonly recorder: Recorder;
  readonly templates: RequestFrames[];
  /** The cancellation sent for a timed-out request; absent where the revision cancels by closing its stream. */
  readonly cancel: CancelTemplate | undefined;
  /** The cancellation sent for a request cancelled after its entry's cancelAfter (absent as `cancel`). */
  readonly cancelAfter: CancelTemplate | undefined;
  /** Per mix entry: 1 when its deadline is a cancelAfter (the request is cancelled then, not timed out). */
  readonly cancelsAt: Uint8Array;
  /** Per mix entry: 1 when its answer may be input_required that the profile answers (2026-07-28). */
  readonly multiRound: Uint8Array;
  /** Per request entry: 1 when its results may be cached for their ttlMs (profile cacheLists, 2026-07-28 list methods). */
  readonly cacheable: Uint8Array;
  /** The method recorder of each mix entry. */
  readonly methodOf: MethodRecorder[];
  /**
   * --warmup: a request due before this instant (performance clock) is the warm-up's and is counted in
   * warmRecorder (by warmOf) instead; -Infinity without a warm-up. One compare per request, nothing more.
   */
  readonly measureFrom: number;
  /** The run's shared start (performance clock): every engine's sessions keep their phases on its grid. */
  readonly t0: number;
  readonly warmRecorder: Recorder;
  readonly warmOf: MethodRecorder[];
  readonly mix: Uint16Array;
  /** How often each mix entry occurs in one pass of `mix` (drops of whole passes are counted at once). */
  readonly mixCounts: Uint32Array;
  readonly connect: Connect;
  readonly headers: Record<string, string>;
  /** The WebSocket subprotocol offered ('' none). */
  readonly subprotocol: string;
  readonly maxPayload: number;
  /** wss:// verification (--ca, --insecure); absent = against the system CAs. */
  readonly tls?: TlsOptions;
  /** Source ports for sessions bound to a local address. */
  readonly ports: LocalPorts;
  /** Wake the sessions whose time has come (called on socket events, between ticks). */
  poll(): void;
  /** Wake the session at `atMs` (performance clock). */
  wake(session: S, atMs: number): void;
  /** Fail request `id` of the session as timed out if it is still pending at `deadline`. */
  trackTimeout(session: S, id: number, deadline: number): void;
  /** Request `id` of mix entry `entry` left at `sentAt`: its deadline is the entry's (deadlineOf), timeout or cancelAfter. */
  trackEntry(session: S, id: number, entry: number, sentAt: number): void;
  /** A connection attempt ended (open or failed): one fewer in progress. */
  connectSettled(): void;
  /** Ask for a connection slot (the connect ramp hands them out). */
  enqueueConnect(session: S): void;
  /** Request rate for this session now (stages may change it). */
  rate(): number;
  /** The run-wide index of the engine's session `slot` (`{{session}}`). */
  sessionIndex(slot: number): number;
  /** The profile's flow, compiled (absent: sessions send their mix only). */
  readonly flow: FlowNode[] | undefined;
  /** Session arrivals: a session runs its flow once and closes (else: it reconnects and runs it again). */
  readonly arrivals: boolean;
  /** An arrived session's flow is over and its connection closed: the engine may reuse the object. */
  released(session: S): void;
  /** Report a connection problem for the log (rate-limited by the engine). */
  note(session: S, what: string, err?: Error): void;
}
