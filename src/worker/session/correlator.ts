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
  /** Its bytes reached the socket (false while a transport that `queues` holds it: see Transport.queues). */
  wired: boolean;
  /** input_required rounds so far (2026-07-28: server-requests.ts); the retry keeps the first send's times. */
  rounds: number;
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

  /** Request `id` is going out; `entry`: its mix entry, or HANDSHAKE; `wired`: its bytes are on the socket already. */
  track(id: number, entry: number, intended: number, sentAt: number, wired = true): void {
    this.pending.set(id, { entry, intended, sentAt, wired, rounds: 0 });
  }

  /** Request `id` (pending as `p`) got input_required: it goes on as `next`, one round more, its times kept. */
  retry(id: number, next: number, p: Pending): void {
    this.pending.delete(id);
    p.rounds++;
    p.wired = true;
    this.pending.set(next, p);
  }

  /** The transport did not take request `id` after all. */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Request `id`'s bytes reached the socket at `now`: its actual send time (undefined: no longer pending). */
  wired(id: number, now: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined || p.wired) return undefined;
    p.wired = true;
    p.sentAt = now;
    return p;
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
   * session counts), or undefined when it was answered meanwhile. A request is counted as a timeout
   * (as `cancelled` with `cancelled`: its entry's cancelAfter came first),
   * or as `queued` when it never reached a socket (it was never sent: the server cannot be late).
   */
  timedOut(id: number, cancelled = false): number | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    if (p.entry === HANDSHAKE) return HANDSHAKE;
    if (!p.wired) {
      this.counts.methodOf[p.entry].queued++;
      return p.entry;
    }
    if (cancelled) this.counts.methodOf[p.entry].cancelled++;
    else {
      this.counts.recorder.error('timeout');
      this.counts.methodOf[p.entry].timeout++;
    }
    (this.lateIds ??= new LateIds()).mark(id, true);
    return p.entry;
  }

  /** Request `id` was lost with the connection it was on (the session's other connections go on): counted `closed`. False when it is not pending. */
  lost(id: number): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    if (p.entry !== HANDSHAKE) this.counts.methodOf[p.entry].closed++;
    return true;
  }

  /** The connection ended: every request still pending failed as `closed` (or `queued`, never sent). */
  failAll(): void {
    for (const p of this.pending.values()) {
      if (p.entry === HANDSHAKE) continue;
      if (p.wired) this.counts.methodOf[p.entry].closed++;
      else this.counts.methodOf[p.entry].queued++;
    }
    this.pending.clear();
  }
}
