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

/** A FIFO of request deadlines in typed arrays (deadlines are monotonic because the timeout is fixed). */
export class TimeoutQueue {
  private slots = new Int32Array(1024);
  private ids = new Float64Array(1024);
  private deadlines = new Float64Array(1024);
  private head = 0;
  private size = 0;

  push(slot: number, id: number, deadline: number): void {
    if (this.size === this.slots.length) this.grow();
    const i = (this.head + this.size) & (this.slots.length - 1);
    this.slots[i] = slot;
    this.ids[i] = id;
    this.deadlines[i] = deadline;
    this.size++;
  }

  /** Pop every entry whose deadline is ≤ now. */
  expire(now: number, fire: (slot: number, id: number) => void): void {
    const mask = this.slots.length - 1;
    while (this.size > 0 && this.deadlines[this.head] <= now) {
      const i = this.head;
      this.head = (i + 1) & mask;
      this.size--;
      fire(this.slots[i], this.ids[i]);
    }
  }

  get length(): number {
    return this.size;
  }

  private grow(): void {
    const n = this.slots.length;
    const slots = new Int32Array(n * 2);
    const ids = new Float64Array(n * 2);
    const deadlines = new Float64Array(n * 2);
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & (n - 1);
      slots[k] = this.slots[i];
      ids[k] = this.ids[i];
      deadlines[k] = this.deadlines[i];
    }
    this.slots = slots;
    this.ids = ids;
    this.deadlines = deadlines;
    this.head = 0;
  }
}
