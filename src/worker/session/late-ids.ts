/**
 * Which of a connection's recent request ids timed out (or were cancelled), to tell a late answer
 * (counted once already, as the timeout) from a duplicate one (a protocol error), and when each was
 * given up on, to time the server's acknowledgement of the cancellation. A 128-byte bitmap over the
 * last WINDOW ids and the times of those still unanswered (at most WINDOW), made on a connection's
 * first timeout only.
 */
const WINDOW = 1024;

export class LateIds {
  private readonly bits = new Uint32Array(WINDOW / 32);
  /** When each marked id was given up on (performance clock), oldest first. */
  private readonly at = new Map<number, number>();

  /** Request `id` timed out at `now` (`on`), or was answered since (`off`). */
  mark(id: number, on: boolean, now = 0): void {
    const slot = id % WINDOW;
    if (on) {
      this.bits[slot >>> 5] |= 1 << (slot & 31);
      this.at.set(id, now);
      if (this.at.size > WINDOW) this.at.delete(this.at.keys().next().value!);
    } else {
      this.bits[slot >>> 5] &= ~(1 << (slot & 31));
      if (this.at.size > 0) this.at.delete(id);
    }
  }

  /**
   * `id` (below `nextId`, the next id to be issued) timed out recently and this is its first answer
   * since: forget it and return when it was given up on; -1 otherwise.
   */
  take(id: number, nextId: number): number {
    if (!Number.isInteger(id) || id >= nextId || id < nextId - WINDOW) return -1;
    const slot = id % WINDOW;
    if ((this.bits[slot >>> 5] & (1 << (slot & 31))) === 0) return -1;
    const at = this.at.get(id) ?? -1;
    this.mark(id, false);
    return at;
  }
}
