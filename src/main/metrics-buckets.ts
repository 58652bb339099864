/**
 * Prometheus histogram buckets read straight from an HDR histogram at scrape time: the same samples
 * the report's percentiles come from, no second sampling. One pass over the HDR bins up to the
 * largest recorded value, so the cost depends on the histogram's fixed size, never on how many
 * requests it holds.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from '../shared/stats.js';

/** Upper bounds (ms) of the latency buckets: loopback sub-millisecond up to a minute over a WAN. */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

export interface BucketCounts {
  /** Cumulative counts, one per bound: observations whose HDR value is ≤ the bound. */
  cumulative: number[];
  /** Every observation (the +Inf bucket and `_count`). */
  count: number;
  /** Sum of the observations in ms, each taken at the middle of its HDR bin (as HDR's mean does). */
  sumMs: number;
}

export function emptyBuckets(bounds: readonly number[]): BucketCounts {
  return { cumulative: bounds.map(() => 0), count: 0, sumMs: 0 };
}

/** Per HDR layout, each bin's top value (what HDR reports for it) and middle (what its mean uses), in µs. */
interface Layout {
  tops: Float64Array;
  middles: Float64Array;
}
const layouts = new Map<string, Layout>();

/** Computed once per layout (every histogram of shared/stats.ts has the same one), so a scrape only adds. */
function layoutOf(js: hdr.JsHistogram): Layout {
  const key = `${js.countsArrayLength}/${js.unitMagnitude}/${js.subBucketHalfCountMagnitude}`;
  let layout = layouts.get(key);
  if (!layout) {
    const tops = new Float64Array(js.countsArrayLength);
    const middles = new Float64Array(js.countsArrayLength);
    for (let i = 0; i < js.countsArrayLength; i++) {
      const value = js.valueFromIndex(i);
      tops[i] = js.highestEquivalentValue(value);
      middles[i] = js.medianEquivalentValue(value);
    }
    layouts.set(key, (layout = { tops, middles }));
  }
  return layout;
}

/**
 * Counts per bound of a histogram of µs values. An observation's value is the one HDR reports for
 * it: the top of its bin, as in the report's percentiles and max. Bins are one µs wide below
 * 2.048 ms, so there the counts are exact to the µs; above, a bin is at most 0.1% wide, and an
 * observation within 0.1% below a bound can land in the next bucket.
 */
export function bucketCounts(h: Histogram, bounds: readonly number[]): BucketCounts {
  const count = h.totalCount;
  if (count === 0) return emptyBuckets(bounds);
  if (!(h instanceof hdr.JsHistogram)) throw new TypeError('bucketCounts needs a JavaScript HDR histogram (see shared/stats.ts)');
  const js = h;
  const { tops, middles } = layoutOf(js);
  const cumulative = new Array<number>(bounds.length).fill(0);
  const last = Math.min(js.countsArrayIndex(js.maxValue), js.countsArrayLength - 1);
  let b = 0;
  let boundUs = bounds[0] * 1000;
  let below = 0;
  let sumUs = 0;
  for (let i = 0; i <= last; i++) {
    const n = js.getCountAtIndex(i);
    if (n === 0) continue;
    while (b < bounds.length && tops[i] > boundUs) {
      cumulative[b++] = below;
      boundUs = bounds[b] * 1000;
    }
    below += n;
    sumUs += n * middles[i];
  }
  while (b < bounds.length) cumulative[b++] = below;
  return { cumulative, count, sumMs: sumUs / 1000 };
}
