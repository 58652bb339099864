/**
 * Writes response frames, with the target's injected slowness: a fixed delay plus jitter per
 * response, and stalls (every response held until the stall ends, then all sent at once), which is
 * what a server GC pause or failover looks like to a load generator measuring coordinated omission.
 */
import WebSocket from 'ws';
import type { TargetCounters } from './stats.js';

/** The part of a session the responder writes to: a ws socket, or one Streamable HTTP answer (http.ts). */
export interface ResponseSink {
  readonly socket: { readonly readyState: number; send(frame: string): void };
}

interface HeldResponse {
  sink: ResponseSink;
  frame: string;
  isError: boolean;
}

export class Responder {
  private stalled = false;
  private held: HeldResponse[] = [];
  private closed = false;
  private readonly immediate: boolean;

  constructor(
    private readonly delayMs: number,
    private readonly jitterMs: number,
    private readonly counters: TargetCounters,
  ) {
    this.immediate = delayMs === 0 && jitterMs === 0;
  }

  deliver(sink: ResponseSink, frame: string, isError: boolean): void {
    if (this.immediate) {
      this.write(sink, frame, isError);
      return;
    }
    // Node keeps one timer list per distinct duration, so equal delays share a list: no per-session timer.
    const waitMs = this.delayMs + (this.jitterMs > 0 ? Math.floor(Math.random() * (this.jitterMs + 1)) : 0);
    setTimeout(this.writeLater, waitMs, sink, frame, isError);
  }

  private readonly writeLater = (sink: ResponseSink, frame: string, isError: boolean): void => {
    if (!this.closed) this.write(sink, frame, isError);
  };

  private write(sink: ResponseSink, frame: string, isError: boolean): void {
    if (this.stalled) {
      this.held.push({ sink, frame, isError });
      return;
    }
    // A session that went away while its answer waited simply gets no answer.
    if (sink.socket.readyState !== WebSocket.OPEN) return;
    sink.socket.send(frame);
    this.counters.responses++;
    if (isError) this.counters.errors++;
  }

  get isStalled(): boolean {
    return this.stalled;
  }

  beginStall(): void {
    this.stalled = true;
  }

  endStall(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (const { sink, frame, isError } of held) this.write(sink, frame, isError);
  }

  /** Drops whatever is held or delayed; idempotent. */
  close(): void {
    this.closed = true;
    this.stalled = false;
    this.held = [];
  }
}
