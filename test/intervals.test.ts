/**
 * Snapshot intervals on the shared clock: labels are whole interval indices, exact whatever t0's
 * fraction (floating-point times once filed a second's counts under the second before).
 */
import { describe, expect, it } from 'vitest';
import { SnapshotClock } from '../src/worker/intervals.js';

describe('SnapshotClock', () => {
  // For these t0, (t0 + k × 1000 - t0) / 1000 floors to k - 1 for some k: the old computation misfiled.
  it.each([260391.86558873605, 116702.25064982231, 247812.23121836458])('labels interval k - 1 at boundary k, t0 = %f', (t0) => {
    const clock = new SnapshotClock(t0, 1000);
    const labels: number[] = [];
    for (let k = 1; k <= 20; k++) {
      const now = clock.nextAt;
      expect(now).toBe(t0 + k * 1000);
      labels.push(clock.close(now));
    }
    expect(labels).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('skips the boundaries a late tick missed, and the final snapshot never reuses a closed interval', () => {
    const clock = new SnapshotClock(1000, 200);
    expect(clock.close(1200)).toBe(0);
    expect(clock.close(1850)).toBe(1); // 650 ms late: intervals 1, 2 and 3 go with this snapshot
    expect(clock.nextAt).toBe(2000);
    expect(clock.current(1999.9)).toBe(4);
    expect(clock.close(2000)).toBe(4);
    expect(clock.current(2000)).toBe(5);
  });
});
