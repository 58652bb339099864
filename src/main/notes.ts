/**
 * Warnings from the engines (connection problems), logged without repeating themselves: the first of
 * a kind is logged at once; the same text again is only counted, and `flush()` (once per progress
 * interval, and at the end) logs how often it came back. A dead target then reads as one line and a
 * count instead of a screenful of copies. Engines already rate-limit what they send here.
 */
/** Messages a onceAtFirst log remembers at most. */
const MAX_REMEMBERED = 1000;

export class NoteLog {
  private readonly repeats = new Map<string, number>();
  private sinceMs = Date.now();
  /** The newest message, for the one-line reason a run that could not start gives. */
  last: string | undefined;

  /**
   * `onceAtFirst`: a message is logged in full only the first time in the run (the servers' error reasons,
   * which come back every interval of a failing run); later copies only show in flush()'s counts. At most
   * MAX_REMEMBERED messages are remembered: past them, the memory starts over.
   */
  constructor(
    private readonly warn: (line: string) => void,
    private readonly onceAtFirst = false,
  ) {}

  /** `times`: how often it came (an engine's snapshot adds up a reason's copies of one interval). */
  add(message: string, times = 1): void {
    this.last = message;
    const seen = this.repeats.get(message);
    if (seen === undefined) {
      this.repeats.set(message, times - 1);
      this.warn(message);
    } else this.repeats.set(message, seen + times);
  }

  /** Log the repeats counted since the last flush; each message's next copy logs again. Safe to call twice. */
  flush(nowMs = Date.now()): void {
    const seconds = Math.max(1, Math.round((nowMs - this.sinceMs) / 1000));
    for (const [message, n] of this.repeats) if (n > 0) this.warn(`${message} (${n} more time${n === 1 ? '' : 's'} in the last ${seconds}s)`);
    if (this.onceAtFirst && this.repeats.size <= MAX_REMEMBERED) for (const message of this.repeats.keys()) this.repeats.set(message, 0);
    else this.repeats.clear();
    this.sinceMs = nowMs;
  }
}
