/**
 * The slow-read profile's reader: pause the socket for `pauseMs` of every `intervalMs`, so the
 * server meets backpressure. Made only for sessions of a profile with slowRead.
 */
import type { Transport } from '../transport/transport.js';

export class SlowReader {
  private paused = false;
  /** When to toggle next (performance clock); Infinity: not reading slowly now. */
  private next = Infinity;
  private openedAt = 0;

  constructor(private readonly policy: { readonly pauseMs: number; readonly intervalMs: number }) {}

  /** A connection opened at `now`: start the pause/read cycle. */
  start(now: number): void {
    this.openedAt = now;
    this.next = now;
  }

  get active(): boolean {
    return this.next !== Infinity;
  }

  /** Pause or resume as the cycle says at `now`; returns when to look again. */
  toggle(now: number, transport: Transport): number {
    if (now < this.next) return this.next;
    const { pauseMs, intervalMs } = this.policy;
    const phase = (now - this.openedAt) % intervalMs;
    const shouldPause = phase < pauseMs;
    if (shouldPause !== this.paused) {
      this.paused = shouldPause;
      if (shouldPause) transport.pause();
      else transport.resume();
    }
    this.next = now + (shouldPause ? pauseMs - phase : intervalMs - phase);
    return this.next;
  }

  /** Stop reading slowly (the session stops sending, so the answers to its last requests arrive). */
  stop(transport: Transport | undefined): void {
    this.next = Infinity;
    if (this.paused) {
      this.paused = false;
      transport?.resume();
    }
  }

  /** The connection is gone: nothing is paused any more. */
  reset(): void {
    this.paused = false;
  }
}
