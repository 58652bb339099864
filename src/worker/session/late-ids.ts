/**
 * Which of a connection's recent request ids timed out, to tell a late answer (counted once
 * already, as the timeout) from a duplicate one (a protocol error). A 128-byte bitmap over the last
 * WINDOW ids, made on a connection's first timeout only.
 */
const WINDOW = 1024;

export class LateIds {
  private readonly bits = new Uint32Array(WINDOW / 32);

  /** Request `id` timed out (`on`), or was answered since (`off`). */
  mark(id: number, on: boolean): void {
    const slot = id % WINDOW;
    if (on) this.bits[slot >>> 5] |= 1 << (slot & 31);
    else this.bits[slot >>> 5] &= ~(1 << (slot & 31));
  }

  /** `id` (below `nextId`, the next id to be issued) timed out recently and this is its first answer since: forget it and say so. */
  take(id: number, nextId: number): boolean {
    if (!Number.isInteger(id) || id >= nextId || id < nextId - WINDOW) return false;
    const slot = id % WINDOW;
    if ((this.bits[slot >>> 5] & (1 << (slot & 31))) === 0) return false;
    this.mark(id, false);
    return true;
  }
}
