/**
 * A hashed timing wheel: the engine's one coarse ticker (and its socket events) wake only the
 * sessions whose time has come, so 100K idle sessions cost nothing per tick. A session is in at most one
 * slot at a time (its `wakeSlot` says which); entries left behind by rescheduling are skipped.
 */
export interface Wakeable {
  wakeSlot: number;
}

/**
 * `slotsPerMs` sets the resolution (a power of two): 1 gives 1 ms slots; the engine uses finer ones
 * and also advances the wheel between ticks (on socket events), so sends leave within a fraction of
 * a millisecond of their time. The wheel always spans 1,024 ms; later items wait a round.
 */
export class Wheel<T extends Wakeable> {
  private slots: T[][];
  private spare: T[] = [];
  private readonly mask: number;
  /** The last whole slot processed. */
  private cursor: number;

  constructor(
    now: number,
    private readonly slotsPerMs = 1,
  ) {
    const size = 1024 * slotsPerMs;
    this.slots = Array.from({ length: size }, () => []);
    this.mask = size - 1;
    this.cursor = Math.floor(now * slotsPerMs);
  }

  /** Wake `item` at `atMs` (or at the next slot if that is already past). Earlier wins over later. */
  schedule(item: T, atMs: number): void {
    // The slot its time falls in: visited at the first advance at or after that slot begins; an item
    // not yet due then is simply rescheduled for the next slot.
    const at = Math.max(Math.floor(atMs * this.slotsPerMs), this.cursor + 1);
    if (item.wakeSlot !== -1 && item.wakeSlot <= at) return;
    item.wakeSlot = at;
    this.slots[at & this.mask].push(item);
  }

  /** True when advance(now) would visit at least one slot (cheap: callers poll it per socket event). */
  reached(now: number): boolean {
    return Math.floor(now * this.slotsPerMs) > this.cursor;
  }

  /** Visit everything due up to `now`, in time order. */
  advance(now: number, visit: (item: T) => void): void {
    const until = Math.floor(now * this.slotsPerMs);
    this.visitSlots(until, visit, true);
    if (until > this.cursor) this.cursor = until;
  }

  /**
   * Visit the items of the slots after the cursor up to `atMs` ahead of time, without moving the
   * cursor: a visit that reschedules lands in a slot advance() still visits, and later advances
   * (between ticks) keep their resolution. The engine's ticker uses it to send a little early.
   */
  peek(atMs: number, visit: (item: T) => void): void {
    this.visitSlots(Math.floor(atMs * this.slotsPerMs), visit, false);
  }

  private visitSlots(until: number, visit: (item: T) => void, moveCursor: boolean): void {
    const mask = this.mask;
    for (let at = this.cursor + 1; at <= until; at++) {
      const index = at & mask;
      const slot = this.slots[index];
      if (slot.length === 0) continue;
      // Swap in an empty array: visits may schedule into this same slot (for a later round).
      this.slots[index] = this.spare;
      if (moveCursor) this.cursor = at;
      for (let i = 0; i < slot.length; i++) {
        const item = slot[i];
        if (item.wakeSlot === at) {
          item.wakeSlot = -1;
          visit(item);
        } else if (item.wakeSlot > at && (item.wakeSlot & mask) === index) {
          this.slots[index].push(item); // a later round of the wheel
        }
        // Otherwise it was rescheduled elsewhere: a stale entry, dropped.
      }
      slot.length = 0;
      this.spare = slot;
    }
  }
}

/** Entries per TimeoutQueue chunk (80 KB of typed arrays). */
const CHUNK = 4096;

class DeadlineChunk {
  readonly slots = new Int32Array(CHUNK);
  readonly ids = new Float64Array(CHUNK);
  readonly deadlines = new Float64Array(CHUNK);
}

/**
 * A FIFO of request deadlines in typed arrays (deadlines are monotonic because the timeout is fixed).
 * It holds an entry per request until its deadline (rate × timeout entries), so it is a list of
 * fixed-size chunks: growing never copies what is queued (a doubling ring copied 512K entries in one
 * go, a ~5 ms stall, while a run's first timeout's worth of entries accumulated), and emptied chunks
 * are dropped as the queue shrinks, keeping one spare.
 */
export class TimeoutQueue {
  /** chunks[0] holds the head; the last one the tail. */
  private readonly chunks: DeadlineChunk[] = [new DeadlineChunk()];
  private spare: DeadlineChunk | undefined;
  /** Next entry to expire, in chunks[0]. */
  private head = 0;
  /** Next free place, in the last chunk. */
  private tail = 0;
  private size = 0;

  push(slot: number, id: number, deadline: number): void {
    let c = this.chunks[this.chunks.length - 1];
    if (this.tail === CHUNK) {
      c = this.spare ?? new DeadlineChunk();
      this.spare = undefined;
      this.chunks.push(c);
      this.tail = 0;
    }
    const i = this.tail++;
    c.slots[i] = slot;
    c.ids[i] = id;
    c.deadlines[i] = deadline;
    this.size++;
  }

  /** Pop every entry whose deadline is ≤ now. */
  expire(now: number, fire: (slot: number, id: number) => void): void {
    while (this.size > 0) {
      const c = this.chunks[0];
      const i = this.head;
      if (c.deadlines[i] > now) return;
      this.size--;
      this.head = i + 1;
      if (this.head === CHUNK) {
        // The head chunk is used up; when it was also the tail, it starts over as the only chunk.
        this.head = 0;
        if (this.chunks.length === 1) this.tail = 0;
        else {
          this.chunks.shift();
          this.spare = c;
        }
      }
      // State is settled before the callback, which may push (a reconnect's connect deadline).
      fire(c.slots[i], c.ids[i]);
    }
  }

  get length(): number {
    return this.size;
  }
}
