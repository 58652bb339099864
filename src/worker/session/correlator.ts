/**
 * A session's requests in flight, matched to their answers by id, in any order (the MCP SDK's
 * Protocol.request habit): integer ids, a Map<id, Pending> holding the intended and actual send
 * times, and each request's outcome counted exactly once — answered (ok, an rpc or a tool error), timed
 * out, or failed as `closed` when its connection ends. Deadlines ride the engine's shared timeout
 * queue (one coarse ticker), not a timer per request.
 */
import type { Answer, MethodRecorder, Recorder } from '../recorder.js';
import { LateIds } from './late-ids.js';

/** The entry of the handshake request (initialize or server/discover): not one of the mix's. */
export const HANDSHAKE = -1;

export interface Pending {
  /** Mix entry index, or HANDSHAKE. */
  entry: number;
  intended: number;
  sentAt: number;
}

export class Correlator {
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  /** Ids of this connection that timed out recently (made on its first timeout). */
  private lateIds: LateIds | undefined;

  constructor(private readonly counts: { readonly recorder: Recorder; readonly methodOf: MethodRecorder[] }) {}

  get size(): number {
    return this.pending.size;
  }

  /** A new connection: late answers of the old one are no longer expected. */
  reset(): void {
    this.lateIds = undefined;
  }

  /** The id of the next request (ids grow by one per session, across its connections). */
  nextId(): number {
    return this.next++;
  }

  /** Request `id` went out; `entry`: its mix entry, or HANDSHAKE. */
  track(id: number, entry: number, intended: number, sentAt: number): void {
    this.pending.set(id, { entry, intended, sentAt });
  }

  get(id: number): Pending | undefined {
    return this.pending.get(id);
  }

  /** Request `id` (pending as `p`) was answered (a result, a JSON-RPC error or a tool error): record it. */
  answered(id: number, p: Pending, answer: Answer, now: number): void {
    this.pending.delete(id);
    this.lateIds?.mark(id, false);
    this.counts.recorder.response(this.counts.methodOf[p.entry], answer, p.intended, p.sentAt, now);
  }

  /** The handshake request `id` was answered: the session checks the answer (handshake.ts). */
  handshakeAnswered(id: number): void {
    this.pending.delete(id);
  }

  /**
   * An answer to no pending request: true when it is the first late answer to one that timed out
   * (counted once already, as the timeout); false for anything else (a protocol error).
   */
  late(id: unknown): boolean {
    return typeof id === 'number' && this.lateIds !== undefined && this.lateIds.take(id, this.next);
  }

  /**
   * Request `id` passed its deadline: returns its entry (HANDSHAKE for the handshake, which the
   * session counts), or undefined when it was answered meanwhile. A request is counted as a timeout.
   */
  timedOut(id: number): number | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    if (p.entry === HANDSHAKE) return HANDSHAKE;
    this.counts.recorder.error('timeout');
    this.counts.methodOf[p.entry].timeout++;
    (this.lateIds ??= new LateIds()).mark(id, true);
    return p.entry;
  }

  /** The connection ended: every request still pending failed as `closed`. */
  failAll(): void {
    for (const p of this.pending.values()) if (p.entry !== HANDSHAKE) this.counts.methodOf[p.entry].closed++;
    this.pending.clear();
  }
}
