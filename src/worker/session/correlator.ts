/**
 * A session's requests in flight, matched to their answers by id, in any order (the MCP SDK's
 * Protocol.request habit): integer ids, a Map<id, Pending> holding the intended and actual send
 * times, and each request's outcome counted exactly once — answered (ok, an rpc or a tool error), timed
 * out, or failed as `closed` when its connection ends. Deadlines ride the engine's shared timeout
 * queue (one coarse ticker), not a timer per request.
 */
import type { Answer, MethodRecorder, Recorder } from '../recorder.js';
import { LateIds } from './late-ids.js';
import { methodsAt, recorderAt } from './measuring.js';

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

/**
 * Most sessions have at most one request in flight (idle ones, depth 1): that one lives in `first`,
 * the Correlator itself (below), reused for every request, and a Map is made only when a second is in
 * flight at once (then kept). An idle session then holds no Map (~180 B of heap) and a depth-1
 * session allocates no Pending per request. A Pending handed out is read before the next track().
 */
export class Correlator implements Pending {
  /** The in-flight request held in `first` (0: none; ids start at 1). */
  private firstId = 0;
  // `first`'s fields, on the Correlator itself (it is the Pending handed out for `firstId`): one
  // object per session instead of two (~30 B of heap per session, heap snapshots).
  entry = 0;
  intended = 0;
  sentAt = 0;
  wired = false;
  rounds = 0;
  /** The others in flight, made on the first overlap. */
  private more: Map<number, Pending> | undefined;
  private count = 0;
  private next = 1;
  /** Ids of this connection that timed out recently (made on its first timeout). */
  private lateIds: LateIds | undefined;

  constructor(
    private readonly counts: {
      readonly recorder: Recorder;
      readonly methodOf: MethodRecorder[];
      /** --warmup (SessionHost.measureFrom): requests due before it count in warmRecorder by warmOf. */
      readonly measureFrom: number;
      readonly warmRecorder: Recorder;
      readonly warmOf: MethodRecorder[];
    },
  ) {}

  /** The recorder that counts `p`: the warm-up's when it was due before measuring started. */
  private recorderOf(p: Pending): Recorder {
    return recorderAt(this.counts, p.intended);
  }

  /** The method recorder that counts `p` (as recorderOf). */
  private methodOf(p: Pending): MethodRecorder {
    return methodsAt(this.counts, p.intended)[p.entry];
  }

  get size(): number {
    return this.count;
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
    this.count++;
    if (this.firstId === 0) {
      this.firstId = id;
      this.entry = entry;
      this.intended = intended;
      this.sentAt = sentAt;
      this.wired = wired;
      this.rounds = 0;
    } else (this.more ??= new Map()).set(id, { entry, intended, sentAt, wired, rounds: 0 });
  }

  /** Request `id` (pending as `p`) got input_required: it goes on as `next`, one round more, its times kept. */
  retry(id: number, next: number, p: Pending): void {
    p.rounds++;
    p.wired = true;
    if (id === this.firstId) {
      // The reused first Pending stays where it is, under its new id.
      this.firstId = next;
      return;
    }
    this.more!.delete(id);
    this.more!.set(next, p);
  }

  /** The transport did not take request `id` after all. */
  forget(id: number): void {
    this.delete(id);
  }

  private delete(id: number): void {
    if (id === this.firstId) {
      this.firstId = 0;
      this.count--;
    } else if (this.more?.delete(id) === true) this.count--;
  }

  /** Request `id`'s bytes reached the socket at `now`: its actual send time (undefined: no longer pending). */
  wire(id: number, now: number): Pending | undefined {
    const p = this.get(id);
    if (p === undefined || p.wired) return undefined;
    p.wired = true;
    p.sentAt = now;
    return p;
  }

  get(id: number): Pending | undefined {
    if (id === this.firstId) return this;
    return this.more?.get(id);
  }

  /** Request `id` (pending as `p`) was answered (a result, a JSON-RPC error or a tool error): record it. */
  answered(id: number, p: Pending, answer: Answer, now: number): void {
    this.delete(id);
    this.lateIds?.mark(id, false);
    this.recorderOf(p).response(this.methodOf(p), answer, p.intended, p.sentAt, now);
  }

  /** The handshake request `id` was answered: the session checks the answer (handshake.ts). */
  handshakeAnswered(id: number): void {
    this.delete(id);
  }

  /**
   * An answer to no pending request: when it is the first late answer to one that timed out or was
   * cancelled (counted once already), the time it was given up on (performance clock); -1 for anything
   * else (a protocol error).
   */
  lateSince(id: unknown): number {
    return typeof id === 'number' && this.lateIds !== undefined ? this.lateIds.take(id, this.next) : -1;
  }

  /**
   * Request `id` passed its deadline: returns its entry (HANDSHAKE for the handshake, which the
   * session counts), or undefined when it was answered meanwhile. A request is counted as a timeout
   * (as `cancelled` with `cancelled`: its entry's cancelAfter came first),
   * or as `queued` when it never reached a socket (it was never sent: the server cannot be late).
   */
  timedOut(id: number, cancelled = false, now = performance.now()): number | undefined {
    const p = this.get(id);
    if (p === undefined) return undefined;
    this.delete(id);
    if (p.entry === HANDSHAKE) return HANDSHAKE;
    if (!p.wired) {
      this.methodOf(p).queued++;
      return p.entry;
    }
    if (cancelled) this.methodOf(p).cancelled++;
    else {
      this.recorderOf(p).error('timeout');
      this.methodOf(p).timeout++;
    }
    (this.lateIds ??= new LateIds()).mark(id, true, now);
    return p.entry;
  }

  /** Request `id` was lost with the connection it was on (the session's other connections go on): counted `closed`. False when it is not pending. */
  lost(id: number): boolean {
    const p = this.get(id);
    if (p === undefined) return false;
    this.delete(id);
    if (p.entry !== HANDSHAKE) this.methodOf(p).closed++;
    return true;
  }

  /** The connection ended: every request still pending failed as `closed` (or `queued`, never sent). */
  failAll(): void {
    if (this.firstId !== 0) this.failed(this);
    if (this.more !== undefined) {
      for (const p of this.more.values()) this.failed(p);
      this.more.clear();
    }
    this.firstId = 0;
    this.count = 0;
  }

  private failed(p: Pending): void {
    if (p.entry === HANDSHAKE) return;
    if (p.wired) this.methodOf(p).closed++;
    else this.methodOf(p).queued++;
  }
}
