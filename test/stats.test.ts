/** Histograms merged from encoded deltas are exactly the histogram of all samples. */
import { describe, expect, it } from 'vitest';
import {
  addDelta,
  addEncoded,
  deltaCount,
  encodeHistogram,
  newHistogram,
  recordMicros,
  summarize,
  takeDelta,
  MAX_TRACKABLE_US,
  type HistogramDelta,
} from '../src/shared/stats.js';
import { Aggregate } from '../src/main/aggregate.js';
import type { EngineSnapshot } from '../src/shared/messages.js';

/** A deterministic spread of latencies (µs) with a long tail, seeded. */
function samples(seed: number, n: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    out.push(Math.round(50 + (1 / (1 - u * 0.999) ** 2) * 100));
  }
  return out;
}

describe('HDR merge', () => {
  it('adding encoded deltas gives the same percentiles as one histogram of every sample', () => {
    const all = newHistogram();
    const merged = newHistogram();
    for (let part = 0; part < 5; part++) {
      const h = newHistogram();
      for (const v of samples(part + 1, 20_000)) {
        recordMicros(h, v);
        recordMicros(all, v);
      }
      addEncoded(merged, encodeHistogram(h));
    }
    expect(summarize(merged)).toEqual(summarize(all));
    expect(merged.totalCount).toBe(100_000);
  });

  it('adding thread deltas is exact too: every bucket of the sum equals one histogram of every sample', () => {
    const all = newHistogram();
    const merged = newHistogram();
    for (let part = 0; part < 5; part++) {
      const h = newHistogram();
      // The extremes too: 0 µs, the largest trackable value, and one value far from the rest.
      for (const v of [...samples(part + 11, 20_000), 0, MAX_TRACKABLE_US, 7_000_000]) {
        recordMicros(h, v);
        recordMicros(all, v);
      }
      const delta = takeDelta(h);
      expect(deltaCount(delta)).toBe(20_003);
      addDelta(merged, delta);
    }
    expect(summarize(merged)).toEqual(summarize(all));
    expect(encodeHistogram(merged)).toBe(encodeHistogram(all));
    expect(takeDelta(newHistogram())).toHaveLength(0);
  });

  it('clamps out-of-range values instead of throwing', () => {
    const h = newHistogram();
    recordMicros(h, -5);
    recordMicros(h, MAX_TRACKABLE_US * 10);
    expect(h.totalCount).toBe(2);
    expect(h.maxValue).toBeGreaterThanOrEqual(MAX_TRACKABLE_US * 0.999);
  });

  it('the Aggregate adds engine snapshots exactly and keeps cumulative counters', () => {
    const start = Date.now();
    const agg = new Aggregate(start);
    const all = newHistogram();
    for (let engineId = 0; engineId < 3; engineId++) {
      for (let tick = 0; tick < 4; tick++) {
        const h = newHistogram();
        for (const v of samples(engineId * 10 + tick + 1, 1000)) {
          recordMicros(h, v);
          recordMicros(all, v);
        }
        agg.add(snapshot(engineId, tick, takeDelta(h)));
      }
    }
    agg.finish();
    expect(summarize(agg.latency)).toEqual(summarize(all));
    expect(agg.totals().sent).toBe(12 * 1000);
    expect(agg.timeline.slice(0, 4).map((p) => p.sent)).toEqual([3000, 3000, 3000, 3000]);
    expect(agg.gauges().sessionsOpen).toBe(3 * 7);
  });
});

function snapshot(engineId: number, interval: number, latency: HistogramDelta): EngineSnapshot {
  return {
    engineId,
    // Arrival jitter must not move a snapshot to another second: filed by its interval.
    atMs: Date.now() + interval * 1000 + (engineId === 1 ? 990 : 5),
    final: false,
    interval,
    sessionsWanted: 7,
    sessionsConnecting: 0,
    sessionsOpen: 7,
    sessionsFailed: 0,
    inFlight: 0,
    targetRate: 0,
    methods: { ping: { sent: 1000, ok: 1000, rpcError: 0, toolError: 0, timeout: 0, closed: 0, dropped: 0, latency, latencyRaw: latency } },
    targets: {},
    errors: [0, 0, 0, 0, 0, 0, 0],
    errorDetails: [],
    sessionsEstablished: 0,
    reconnects: 0,
    handshake: new Float64Array(0),
    messagesSent: { request: 1000, notification: 0, response: 0 },
    messagesReceived: { response: 1000, notification: 0, request: 0 },
    bytesSent: 0,
    bytesReceived: 0,
    firstEstablishedAtMs: 0,
    sendingStoppedAtMs: 0,
    loopUtilization: 0,
    loopLagMs: 0,
    cpuSeconds: 0,
    sendLagMs: 0,
  };
}
