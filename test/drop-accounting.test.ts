/**
 * Slots that overflow a session's token bucket are counted as dropped by the method they would have
 * been, walking the mix like sent requests, at a cost that does not grow with their number: before,
 * each was counted one at a time, so an engine that fell behind at a huge rate spun for minutes.
 */
import { describe, expect, it } from 'vitest';
import { sendDue, type Sender } from '../src/worker/session/request-loop.js';
import { TokenBucket } from '../src/worker/session/rate-limiter.js';
import { mixSequence } from '../src/worker/frames.js';

function sender(weights: number[], lostAt: { rate: number; now: number }) {
  const mix = mixSequence(weights);
  const mixCounts = new Uint32Array(weights.length);
  for (const e of mix) mixCounts[e]++;
  const methodOf = weights.map(() => ({ dropped: 0 }));
  const s = {
    // Nothing may be sent (maxInFlight 0): only the overflow is counted.
    host: { mix, mixCounts, methodOf, profile: { maxInFlight: 0, timeoutMs: 1000 } },
    calls: { size: 0 },
    transport: { bufferedAmount: 0 },
    bucket: new TokenBucket(lostAt.rate, 1, 0),
    mixCursor: 7,
    write: () => true,
  };
  return { s, run: () => sendDue(s as unknown as Sender, lostAt.now), methodOf, mix };
}

/** What walking the mix one slot at a time gives. */
function walk(mix: Uint16Array, weights: number[], cursor: number, lost: number): number[] {
  const out = weights.map(() => 0);
  for (let i = 0; i < lost; i++) {
    out[mix[cursor]]++;
    cursor = cursor + 1 === mix.length ? 0 : cursor + 1;
  }
  return out;
}

describe('overflowed slots are counted as dropped, per method', () => {
  it.each([5, 999, 1000, 1001, 123_457])('%d slots: the same counts as walking the mix one by one', (n) => {
    const weights = [50, 30, 20];
    // rate 1000/s: slot k is due at k ms; at now = n ms, n slots beyond the burst of 1 overflowed.
    const { s, run, methodOf, mix } = sender(weights, { rate: 1000, now: n });
    const lost = new TokenBucket(1000, 1, 0).overflow(n);
    run();
    expect(methodOf.map((m) => m.dropped)).toEqual(walk(mix, weights, 7, lost));
    expect(s.mixCursor).toBe((7 + lost) % mix.length);
  });

  it('a trillion overflowed slots are counted at once, exactly', () => {
    const weights = [3, 1];
    // rate 1,000,000/s and 1e6 s behind: 1e12 slots overflowed.
    const { run, methodOf } = sender(weights, { rate: 1_000_000, now: 1e9 });
    run();
    const total = methodOf.reduce((a, m) => a + m.dropped, 0);
    expect(total).toBe(new TokenBucket(1_000_000, 1, 0).overflow(1e9));
    expect(total).toBe(1e12); // every slot of the 1e6 s but the one the burst keeps, which is still due
    expect(methodOf[0].dropped / total).toBeCloseTo(0.75, 6);
  });
});
