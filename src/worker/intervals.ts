/**
 * The shared clock's snapshot intervals: interval k is [t0 + k × ms, t0 + (k + 1) × ms). The index is
 * kept as an integer and never recovered from a floating-point time: (t0 + 2000 - t0) / 1000 can be
 * 1.9999999999999998, and flooring that filed a second's counts under the one before (a timeline
 * with 5,000 sends in one second and none in the next).
 */
export class SnapshotClock {
  /** The boundary the next snapshot waits for: it closes interval `boundary - 1`. */
  private boundary = 1;

  constructor(
    private readonly t0: number,
    private readonly intervalMs: number,
  ) {}

  /** When the next snapshot is due (performance clock). */
  get nextAt(): number {
    return this.t0 + this.boundary * this.intervalMs;
  }

  /** Called at or after nextAt: the interval the snapshot closes; the next boundary is after `now`. */
  close(now: number): number {
    const closed = this.boundary - 1;
    // A late tick skips the boundaries it missed (their counts go with this snapshot).
    this.boundary = Math.max(this.boundary + 1, Math.floor((now - this.t0) / this.intervalMs) + 1);
    return closed;
  }

  /** The interval under way at `now` (for the final snapshot): never one already closed. */
  current(now: number): number {
    return Math.max(this.boundary - 1, Math.floor((now - this.t0) / this.intervalMs));
  }
}
