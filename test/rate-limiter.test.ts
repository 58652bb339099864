/**
 * The maths of the per-client token bucket, the mix sequence and the request frame templates,
 * with explicit `now` values: no real time, no sockets.
 */
import { describe, expect, it } from 'vitest';
import { phasedStart, TokenBucket } from '../src/worker/session/rate-limiter.js';
import { FrameTemplate, mixSequence } from '../src/worker/frames.js';
import type { MixEntry } from '../src/shared/types.js';

/** Takes every slot due at `now`, in order. */
function drain(bucket: TokenBucket, now: number): number[] {
  const out: number[] = [];
  while (bucket.ready(now)) out.push(bucket.take());
  return out;
}

describe('phasedStart', () => {
  it('spreads any number of sessions evenly over the interval, on the run clock, whenever each connects', () => {
    const interval = 10;
    for (const n of [2, 7, 100, 1000]) {
      // Sessions connect at scattered times; their phases still come from their run-wide index.
      const phases = Array.from({ length: n }, (_, i) => {
        const now = 5000 + ((i * 7919) % 997) / 3;
        const start = phasedStart(now, 1000, interval, i);
        expect(start).toBeGreaterThanOrEqual(now);
        expect(start).toBeLessThan(now + interval);
        return (start - 1000) % interval;
      }).sort((a, b) => a - b);
      const gaps = phases.map((p, i) => (i + 1 < n ? phases[i + 1] : phases[0] + interval) - p);
      // Three distinct gaps at most, the largest under 2.7 times the even share (random phases: ~ln n times).
      expect(Math.max(...gaps)).toBeLessThan((2.7 * interval) / n);
      expect(Math.min(...gaps)).toBeGreaterThan(interval / n / 3);
    }
  });

  it('is the same phase after a reconnect, and nothing is due at a rate of 0', () => {
    const first = phasedStart(1234.5, 0, 20, 3);
    const later = phasedStart(98765.25, 0, 20, 3);
    expect((later - first) % 20).toBeCloseTo(0, 6);
    expect(phasedStart(10, 0, Infinity, 3)).toBe(Infinity);
  });
});

describe('TokenBucket', () => {
  it('schedules slots 1000/rate ms apart, starting at the given time', () => {
    const bucket = new TokenBucket(100, 5, 1000);
    expect(bucket.due).toBe(1000);
    expect(bucket.rate).toBe(100);
    expect(bucket.ready(999.9)).toBe(false);
    expect(bucket.ready(1000)).toBe(true);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([1000, 1010, 1020]);
    expect(bucket.due).toBe(1030);
    expect(bucket.ready(1029.99)).toBe(false);
  });

  it('keeps exact spacing for a rate that does not divide 1000', () => {
    const bucket = new TokenBucket(3, 1, 0);
    const times = Array.from({ length: 7 }, () => bucket.take());
    times.forEach((t, i) => expect(t).toBeCloseTo((i * 1000) / 3, 9));
  });

  it('returns intended times in order: a late caller gets the times it should have sent at', () => {
    const bucket = new TokenBucket(200, 10, 0);
    // Called 23 ms late: slots 0, 5, 10, 15, 20 are due, each with its own intended time.
    expect(bucket.overflow(23)).toBe(0);
    expect(drain(bucket, 23)).toEqual([0, 5, 10, 15, 20]);
    expect(bucket.due).toBe(25);
  });

  it('overflow() keeps at most burst due slots and drops only the ones beyond it', () => {
    const bucket = new TokenBucket(100, 3, 0);
    // At 25 ms the slots 0, 10, 20 are due: exactly the burst, nothing overflows.
    expect(bucket.overflow(25)).toBe(0);
    expect(bucket.due).toBe(0);
    // At 105 ms the slots 0..100 are due (11); the 3 latest stay, 8 are dropped.
    expect(bucket.overflow(105)).toBe(8);
    expect(drain(bucket, 105)).toEqual([80, 90, 100]);
    // On schedule again: nothing overflows.
    expect(bucket.overflow(110)).toBe(0);
    expect(drain(bucket, 110)).toEqual([110]);
  });

  it('overflow() with burst 1 keeps the slot due now even when called between slots', () => {
    const bucket = new TokenBucket(10, 1, 1000.25);
    // A tick a fraction of a millisecond after the slot: the slot is within the burst.
    expect(bucket.overflow(1000.75)).toBe(0);
    expect(drain(bucket, 1000.75)).toEqual([1000.25]);
    // Called at 1350: slots 1100.25, 1200.25 and 1300.25 are due; only the latest fits the burst.
    expect(bucket.overflow(1350)).toBe(2);
    expect(drain(bucket, 1350)).toEqual([1300.25]);
  });

  it('overflow() before the next slot is due changes nothing', () => {
    const bucket = new TokenBucket(100, 1, 50);
    expect(bucket.overflow(10)).toBe(0);
    expect(bucket.due).toBe(50);
  });

  it('treats a burst below 1 as 1', () => {
    const bucket = new TokenBucket(100, 0, 0);
    expect(bucket.overflow(30)).toBe(3);
    expect(drain(bucket, 30)).toEqual([30]);
  });

  it('restart() moves the schedule to the new time, owing nothing for the gap', () => {
    const bucket = new TokenBucket(100, 5, 0);
    bucket.take();
    bucket.restart(5000);
    expect(bucket.overflow(5000)).toBe(0);
    expect(drain(bucket, 5000)).toEqual([5000]);
    expect(bucket.due).toBe(5010);
  });

  it('setRate() keeps the next slot in place and spaces the following ones at the new rate', () => {
    const bucket = new TokenBucket(100, 5, 0);
    expect(bucket.take()).toBe(0);
    bucket.setRate(50);
    expect(bucket.rate).toBe(50);
    expect(bucket.due).toBe(10);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([10, 30, 50]);
  });
});

describe('mixSequence', () => {
  const seq = mixSequence([40, 30, 30], 1000);
  const count = (k: number, from = 0, to = seq.length) => seq.slice(from, to).filter((x) => x === k).length;

  it('has exactly the configured proportions', () => {
    expect(seq).toHaveLength(1000);
    expect([count(0), count(1), count(2)]).toEqual([400, 300, 300]);
    // Every whole cycle of 100 holds the exact proportions too.
    for (let c = 0; c < 10; c++) expect([count(0, c * 100, c * 100 + 100), count(1, c * 100, c * 100 + 100)]).toEqual([40, 30]);
  });

  it('interleaves evenly: at most 2 of a kind in a row, and any window is within 2 of its share', () => {
    let run = 1;
    let longest = 1;
    for (let i = 1; i < seq.length; i++) {
      run = seq[i] === seq[i - 1] ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThanOrEqual(2);
    // Sessions start at different points and walk the sequence cyclically: check every window.
    const share = [0.4, 0.3, 0.3];
    let worst = 0;
    for (let start = 0; start < 100; start++) {
      const seen = [0, 0, 0];
      for (let length = 1; length <= 200; length++) {
        seen[seq[(start + length - 1) % seq.length]]++;
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(seen[k] - length * share[k]));
      }
    }
    expect(worst).toBeLessThan(2);
  });

  it('gives every index of a single-entry mix', () => {
    expect(Array.from(mixSequence([5], 10))).toEqual(new Array(10).fill(0));
  });
});

describe('FrameTemplate', () => {
  const entries: MixEntry[] = [
    { method: 'tools/call', weight: 1, params: { name: 'echo', arguments: { text: 'héllo ✓' } } },
    { method: 'resources/list', weight: 1 },
    { method: 'resources/read', weight: 1, params: { uri: 'mcpload://resources/1', _meta: { progressToken: 7 } } },
  ];
  const ids = Array.from({ length: 15 }, (_, i) => Number('9'.repeat(i + 1))).concat([1, 10, 123456789012345]);

  it.each(entries)('frames of $method parse to the right method, params and id', (entry) => {
    const template = new FrameTemplate(entry, 512, 'newline');
    for (const id of ids) {
      const text = template.frame(id).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      const msg = JSON.parse(text) as { jsonrpc: string; id: number; method: string; params?: Record<string, unknown> };
      expect(msg.jsonrpc).toBe('2.0');
      expect(msg.id).toBe(id);
      expect(msg.method).toBe(entry.method);
      const { _meta, ...rest } = msg.params ?? {};
      const { _meta: wantMeta, ...wantRest } = entry.params ?? {};
      expect(rest).toEqual(wantRest);
      // Padding lives in _meta beside whatever _meta the profile gave.
      expect(_meta).toMatchObject((wantMeta as object) ?? {});
    }
  });

  it('without a terminator the frame has no trailing newline and still parses', () => {
    const template = new FrameTemplate(entries[0], 512, 'none');
    const text = template.frame(42).toString('utf8');
    expect(text.endsWith('}')).toBe(true);
    expect(JSON.parse(text).id).toBe(42);
  });

  it('is never padded below its minimum: a tiny messageSize gives the unpadded frame', () => {
    const template = new FrameTemplate(entries[1], 10, 'newline');
    const text = template.frame(1).toString('utf8');
    expect(text).toBe('{"jsonrpc":"2.0","id":1,"method":"resources/list"}\n');
    expect(template.minimumSize).toBe(Buffer.byteLength(text));
  });

  // BUG (src/worker/frames.ts): padding is computed without the `"_meta":{"mcpload/pad":...}`
  // wrapper it then adds, so padded frames are messageSize + 27 bytes (entry with params) or
  // + 38 bytes (no params). Expected: exactly messageSize for every id length.
  it.each(['newline', 'none'] as const)('frames are exactly messageSize bytes for ids of 1..15 digits (terminator %s)', (terminator) => {
    for (const entry of entries) {
      for (const size of [256, 512, 4096]) {
        const template = new FrameTemplate(entry, size, terminator);
        for (const id of ids) expect(template.frame(id).length, `${entry.method} id ${id} size ${size}`).toBe(size);
      }
    }
  });
});
