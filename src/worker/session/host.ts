/**
 * The seam between a session and the engine that owns it: the session's states, what it needs from
 * its engine, and the Link that routes one connection's events to it.
 */
import type { FrameTerminator, Profile, TlsOptions } from '../../shared/types.js';
import type { FrameTemplate } from '../frames.js';
import type { LocalPorts } from '../local-ports.js';
import type { MethodRecorder, Recorder } from '../recorder.js';
import type { Session } from './session.js';
import type { Connect, TransportEvents } from '../transport/transport.js';

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

/** What a session needs from the engine that owns it. */
export interface SessionHost {
  readonly profile: Profile;
  readonly recorder: Recorder;
  readonly templates: FrameTemplate[];
  /** The method recorder of each mix entry. */
  readonly methodOf: MethodRecorder[];
  readonly mix: Uint16Array;
  readonly terminator: FrameTerminator;
  readonly protocolVersion: string;
  /** The revision has no initialize or session (2026-07-28 and later): server/discover, `_meta` per request. */
  readonly stateless: boolean;
  /** `params._meta` of every request in a stateless revision (version, capabilities, client info). */
  readonly requestMeta: Record<string, unknown>;
  readonly connect: Connect;
  readonly clientVersion: string;
  readonly headers: Record<string, string>;
  readonly maxPayload: number;
  /** wss:// verification (--ca, --insecure); absent = against the system CAs. */
  readonly tls?: TlsOptions;
  /** Source ports for sessions bound to a local address. */
  readonly ports: LocalPorts;
  /** Wake the sessions whose time has come (called on socket events, between ticks). */
  poll(): void;
  /** Wake the session at `atMs` (performance clock). */
  wake(session: Session, atMs: number): void;
  /** Fail request `id` of the session as timed out if it is still pending at `deadline`. */
  trackTimeout(session: Session, id: number, deadline: number): void;
  /** A connection attempt ended (open or failed): one fewer in progress. */
  connectSettled(): void;
  /** Ask for a connection slot (the connect ramp hands them out). */
  enqueueConnect(session: Session): void;
  /** Request rate for this session now (stages may change it). */
  rate(): number;
  /** Report a connection problem for the log (rate-limited by the engine). */
  note(session: Session, what: string, err?: Error): void;
}

/** Routes one connection's events to its session, and drops events of a connection it no longer owns. */
export class Link implements TransportEvents {
  constructor(
    private readonly session: Session,
    private readonly generation: number,
  ) {}
  private get live(): boolean {
    return this.session.generation === this.generation;
  }
  onopen(): void {
    if (this.live) this.session.opened();
  }
  onmessage(data: Buffer, isBinary: boolean): void {
    if (!this.live) return;
    this.session.received(data, isBinary);
    this.session.host.poll();
  }
  onreadend(): void {
    if (this.live) this.session.readEnd();
  }
  onclose(code: number): void {
    if (this.live) this.session.closed(code);
  }
  onerror(err: Error): void {
    if (this.live) this.session.failed(err);
  }
}
