/**
 * HDR histograms: how engines record latency, how snapshots carry it, how the main thread merges it.
 * Values are integer microseconds. Encoding is the standard HdrHistogram compressed base64 form, so
 * reports from many replicas (or other HdrHistogram tools) add up exactly.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** One hour in µs: anything slower is clamped to it (and still counted). */
export const MAX_TRACKABLE_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

/** Record one latency in µs; fractions are rounded, out-of-range values clamped, so it never throws. */
export function recordMicros(h: Histogram, us: number): void {
  const v = us < 0 ? 0 : us > MAX_TRACKABLE_US ? MAX_TRACKABLE_US : Math.round(us);
  h.recordValue(v);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** A snapshot's delta: '' when empty, so idle methods cost nothing to encode, send or add. */
export function encodeDelta(h: Histogram): string {
  return h.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** Add an encoded histogram (a snapshot's delta, a replica's report) into `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  if (!encoded) return;
  into.add(decodeHistogram(encoded));
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * The percentiles a report shows, in µs. All zero for an empty histogram. Min and max are read at
 * the histogram's resolution (like every percentile) so a live histogram and one decoded from a
 * report give the same figures.
 */
export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    min: h.getValueAtPercentile(0),
    mean: h.mean,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.getValueAtPercentile(100),
  };
}
