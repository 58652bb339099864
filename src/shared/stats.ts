/**
 * HDR histograms: how engines record latency, how snapshots carry it, how the main thread merges it.
 * Values are integer microseconds. Encoding is the standard HdrHistogram compressed base64 form, so
 * reports from many replicas (or other HdrHistogram tools) add up exactly.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram, JsHistogram } from 'hdr-histogram-js';

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

/**
 * A snapshot's histogram delta between threads: the non-empty buckets as [index, count, index,
 * count, …]. No compression and no base64: the compressed form (pako deflate/inflate) allocated
 * about a megabyte of short-lived typed arrays per histogram, several per engine per second, which
 * kept the heaps and RSS of long runs growing. Every histogram here has the same layout
 * (newHistogram), so a bucket index means the same range on both sides and adding is exact.
 */
export type HistogramDelta = Float64Array;

const EMPTY_DELTA: HistogramDelta = new Float64Array(0);

/** The delta holding what `h` recorded (the caller resets `h` for the next interval). */
export function takeDelta(h: Histogram): HistogramDelta {
  const js = h as JsHistogram;
  if (js.totalCount === 0) return EMPTY_DELTA;
  // minNonZeroValue skips zeros, which live at index 0.
  const from = js.getCountAtIndex(0) !== 0 ? 0 : js.countsArrayIndex(js.minNonZeroValue);
  const to = Math.min(js.countsArrayIndex(js.maxValue), js.countsArrayLength - 1);
  let buckets = 0;
  for (let i = from; i <= to; i++) if (js.getCountAtIndex(i) !== 0) buckets++;
  const delta = new Float64Array(buckets * 2);
  let k = 0;
  for (let i = from; i <= to; i++) {
    const count = js.getCountAtIndex(i);
    if (count === 0) continue;
    delta[k++] = i;
    delta[k++] = count;
  }
  return delta;
}

export function addDelta(into: Histogram, delta: HistogramDelta): void {
  const js = into as JsHistogram;
  for (let k = 0; k < delta.length; k += 2) js.recordValueWithCount(js.valueFromIndex(delta[k]), delta[k + 1]);
}

/** How many values a delta holds. */
export function deltaCount(delta: HistogramDelta): number {
  let n = 0;
  for (let k = 1; k < delta.length; k += 2) n += delta[k];
  return n;
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
