/**
 * A hashed timing wheel with 1 ms slots: the engine's one coarse ticker wakes only the sessions
 * whose time has come, so 100K idle sessions cost nothing per tick. A session is in at most one
 * slot at a time (its `wakeSlot` says which); entries left behind by rescheduling are skipped.
 */
export interface Wakeable {
  wakeSlot: number;
}

const SIZE = 1024;
const MASK = SIZE - 1;

export class Wheel<T extends Wakeable> {
  private slots: T[][] = Array.from({ length: SIZE }, () => []);
  private spare: T[] = [];
  /** The last whole millisecond processed. */
  private cursor: number;

  constructor(now: number) {
    this.cursor = Math.floor(now);
  }

  /** Wake `item` at `atMs` (or at the next tick if that is already past). Earlier wins over later. */
  schedule(item: T, atMs: number): void {
    // The slot of the millisecond it falls in: visited at the first tick at or after that millisecond
    // begins; an item not yet due then is simply rescheduled for the next tick.
    const ms = Math.max(Math.floor(atMs), this.cursor + 1);
    if (item.wakeSlot !== -1 && item.wakeSlot <= ms) return;
    item.wakeSlot = ms;
    this.slots[ms & MASK].push(item);
  }

  /** Visit everything due up to `now`, in time order. */
  advance(now: number, visit: (item: T) => void): void {
    const until = Math.floor(now);
    for (let ms = this.cursor + 1; ms <= until; ms++) {
      const index = ms & MASK;
      const slot = this.slots[index];
      if (slot.length === 0) continue;
      // Swap in an empty array: visits may schedule into this same slot (for a later round).
      this.slots[index] = this.spare;
      this.cursor = ms;
      for (let i = 0; i < slot.length; i++) {
        const item = slot[i];
        if (item.wakeSlot === ms) {
          item.wakeSlot = -1;
          visit(item);
        } else if (item.wakeSlot > ms && (item.wakeSlot & MASK) === index) {
          this.slots[index].push(item); // a later round of the wheel
        }
        // Otherwise it was rescheduled elsewhere: a stale entry, dropped.
      }
      slot.length = 0;
      this.spare = slot;
    }
    this.cursor = until;
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
