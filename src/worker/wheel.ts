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
 *
 * Items due beyond `horizon` (more than half a round to a round ahead: idle sessions) wait in one
 * `far` list instead of a slot, and move into their slot when the horizon passes them (every half
 * round). A slot array of one item kept a 17-slot backing store (~120 B per idle session in heap
 * snapshots, one slot each at 16 slots per ms); the far list costs 8 B per item.
 */
export class Wheel<T extends Wakeable> {
  private slots: T[][];
  private spare: T[] = [];
  private readonly mask: number;
  /** The last whole slot processed. */
  private cursor: number;
  /** Slots hold items due up to here; later ones wait in `far`. */
  private horizon: number;
  private far: T[] = [];
  /** Items moved out of `far` by one refill (reused). */
  private moved: T[] = [];
  private readonly size: number;

  constructor(
    now: number,
    private readonly slotsPerMs = 1,
  ) {
    const size = 1024 * slotsPerMs;
    this.slots = Array.from({ length: size }, () => []);
    this.size = size;
    this.mask = size - 1;
    this.cursor = Math.floor(now * slotsPerMs);
    this.horizon = this.cursor + size - 1;
  }

  /** Wake `item` at `atMs` (or at the next slot if that is already past). Earlier wins over later. */
  schedule(item: T, atMs: number): void {
    // The slot its time falls in: visited at the first advance at or after that slot begins; an item
    // not yet due then is simply rescheduled for the next slot.
    const at = Math.max(Math.floor(atMs * this.slotsPerMs), this.cursor + 1);
    const was = item.wakeSlot;
    if (was !== -1 && was <= at) return;
    item.wakeSlot = at;
    if (at > this.horizon) {
      // Already in the far list when its earlier time was beyond the horizon too.
      if (was <= this.horizon) this.far.push(item);
      return;
    }
    this.slots[at & this.mask].push(item);
  }

  /** Move the far items due up to `horizon` into their slots; entries of items rescheduled since are dropped. */
  private refill(horizon: number): void {
    const old = this.horizon;
    this.horizon = horizon;
    const far = this.far;
    const moved = this.moved;
    let kept = 0;
    for (let i = 0; i < far.length; i++) {
      const item = far[i];
      const at = item.wakeSlot;
      if (at > horizon) far[kept++] = item;
      else if (at > old) {
        this.slots[at & this.mask].push(item);
        // Marked (negative) so a second entry of the same item in `far` is seen as stale.
        item.wakeSlot = ~at;
        moved.push(item);
      }
    }
    far.length = kept;
    for (let i = 0; i < moved.length; i++) moved[i].wakeSlot = ~moved[i].wakeSlot;
    moved.length = 0;
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
    const half = this.size >> 1;
    for (let at = this.cursor + 1; at <= until; at++) {
      if (moveCursor && at + half > this.horizon) this.refill(at + this.size - 1);
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
        } else if (item.wakeSlot > at && item.wakeSlot <= this.horizon && (item.wakeSlot & mask) === index) {
          this.slots[index].push(item); // a later round of the wheel (beyond the horizon: in `far`)
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
