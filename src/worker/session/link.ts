/**
 * Routes one connection's events to its session, and drops events of a connection the session no
 * longer owns (it reconnected since): the transport never holds the session itself.
 */
import type { CloseReason, TransportEvents } from '../transport/transport.js';

/** What a Link delivers to (Session). */
export interface LinkedSession {
  /** Bumped per connection. */
  readonly generation: number;
  readonly host: { poll(): void };
  opened(): void;
  received(data: Buffer, isBinary: boolean): void;
  readEnd(): void;
  wired(id: number, bytes: number): void;
  requestLost(id: number | undefined, err: Error): void;
  /** Request `id` is still pending. */
  waiting(id: number): boolean;
  closed(reason: CloseReason): void;
  failed(err: Error): void;
}

export class Link implements TransportEvents {
  constructor(
    private readonly session: LinkedSession,
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
  onwire(id: number, bytes: number): void {
    if (this.live) this.session.wired(id, bytes);
  }
  onrequestlost(id: number | undefined, err: Error): void {
    if (this.live) this.session.requestLost(id, err);
  }
  waiting(id: number): boolean {
    return this.live && this.session.waiting(id);
  }
  onreadend(): void {
    if (this.live) this.session.readEnd();
  }
  onclose(reason: CloseReason): void {
    if (this.live) this.session.closed(reason);
  }
  onerror(err: Error): void {
    if (this.live) this.session.failed(err);
  }
}
