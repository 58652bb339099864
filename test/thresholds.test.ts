/** --threshold: the expression table (valid and invalid), evaluation on a report, and "failed for good". */
import { describe, expect, it } from 'vitest';
import { parseThreshold, parseThresholds, type Threshold } from '../src/config/thresholds.js';
import { evaluateThresholds, finalFailure, renderThresholds, requestBound } from '../src/report/thresholds.js';
import { resolveRunOptions } from '../src/config/options.js';
import { UsageError } from '../src/shared/errors.js';
import { syntheticReport } from './helpers/reports.js';

describe('parseThreshold: valid expressions', () => {
  const cases: [string, Partial<Threshold>][] = [
    ['p99<500ms', { name: 'p99', op: '<', value: 500_000, metric: { kind: 'latency', series: 'corrected', stat: 'percentile', percentile: 99 } }],
    ['p99.9<1s', { name: 'p99.9', op: '<', value: 1_000_000 }],
    ['p50<=2ms', { name: 'p50', op: '<=', value: 2000 }],
    ['max<5s', { name: 'max', value: 5_000_000, metric: { kind: 'latency', series: 'corrected', stat: 'max' } }],
    ['mean<10ms', { name: 'mean', value: 10_000 }],
    ['avg < 10ms', { name: 'mean', value: 10_000 }],
    ['med<1.5ms', { name: 'p50', value: 1500 }],
    ['p(95)<200ms', { name: 'p95', value: 200_000 }],
    ['p75<250us', { name: 'p75', value: 250 }],
    ['p99<250µs', { name: 'p99', value: 250 }],
    ['raw.p99<1ms', { name: 'raw.p99', value: 1000, metric: { kind: 'latency', series: 'raw', stat: 'percentile', percentile: 99 } }],
    ['corrected.p99<1ms', { name: 'p99', value: 1000 }],
    ['handshake.p99<100ms', { name: 'handshake.p99', value: 100_000, metric: { kind: 'latency', series: 'handshake', stat: 'percentile', percentile: 99 } }],
    ['handshake.max<2m', { name: 'handshake.max', value: 120_000_000 }],
    ['P99<500ms', { name: 'p99', value: 500_000 }],
    ['min>0.5ms', { name: 'min', op: '>', value: 500 }],
    ['success>=95%', { name: 'success', op: '>=', value: 0.95, metric: { kind: 'ratio', of: 'success' } }],
    ['success>=0.95', { name: 'success', value: 0.95 }],
    ['errors<1%', { name: 'errors', op: '<', value: 0.01 }],
    ['errors<=0', { name: 'errors', op: '<=', value: 0 }],
    ['dropped<1%', { name: 'dropped', value: 0.01 }],
    ['rate>=0.99*target', { name: 'rate', op: '>=', value: 0.99, relative: true }],
    ['rate >= 0.99 * target', { name: 'rate', value: 0.99, relative: true }],
    ['rate>=target', { name: 'rate', value: 1, relative: true }],
    ['rate>=99%', { name: 'rate', value: 0.99, relative: true }],
    ['rate>=1000', { name: 'rate', value: 1000 }],
    ['rate>=1000/s', { name: 'rate', value: 1000 }],
    ['sessions>=100%', { name: 'sessions', value: 1, relative: true }],
    ['sessions>=0.9*wanted', { name: 'sessions', value: 0.9, relative: true }],
    ['sessions>=100', { name: 'sessions', value: 100 }],
  ];
  it.each(cases)('%s', (expr, expected) => {
    const t = parseThreshold(expr);
    expect(t).toMatchObject({ expr, ...expected });
    if (!('relative' in expected)) expect(t.relative).toBeUndefined();
  });
});

describe('parseThreshold: invalid expressions are one line naming the expression (exit code 2)', () => {
  const cases: [string, RegExp][] = [
    ['p99<fast', /^--threshold "p99<fast": "fast" is not a duration; write it like 500ms/],
    ['p99<500', /"500" needs a unit; write 500ms/],
    ['p99<-5ms', /"-5ms" is not a duration/],
    ['p99', /write METRIC OP VALUE, e\.g\. p99<500ms/],
    ['', /write METRIC OP VALUE/],
    ['p99<', /nothing after "<"/],
    ['p99=500ms', /"=" is not a comparison here; use <, <=, > or >=/],
    ['p99==500ms', /"==" is not a comparison/],
    ['latency<500ms', /unknown metric "latency"/],
    ['erors<1%', /unknown metric "erors" \(did you mean "errors"\?\)/],
    ['raw.p999<1ms', /"raw\.p999": a percentile is between 0 and 100, e\.g\. p99 or p99\.9/],
    ['p101<1ms', /"p101": a percentile is between 0 and 100/],
    ['errors<5', /"5" is not a percentage; write it like 1% \(or 0\.01\)/],
    ['success>=150%', /"150%" is not a percentage; write it like 95%/],
    ['success>=most', /"most" is not a percentage/],
    ['rate>=fast', /"fast" is not a rate; write requests\/s like 1000, or relative to the target like 0\.99\*target/],
    ['rate>=0.99*wanted', /not a rate/],
    ['sessions>=lots', /"lots" is not a session count/],
    ['sessions>=1.5', /not a session count/],
    ['max<5 seconds', /not a duration/],
  ];
  it.each(cases)('%s', (expr, message) => {
    let err: unknown;
    try {
      parseThreshold(expr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(`--threshold ${JSON.stringify(expr)}`);
    expect((err as Error).message).not.toContain('\n');
  });

  it('parseThresholds stops at the first bad one', () => {
    expect(() => parseThresholds(['p99<1s', 'p99<soon'])).toThrow(/"p99<soon"/);
    expect(parseThresholds(undefined)).toEqual([]);
  });
});

describe('evaluateThresholds', () => {
  // 1000 samples: 1..1000 ms; p50 = 500ms, p99 = 990ms, max = 1000ms; raw is 100ms less.
  const samples = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000);
  const report = syntheticReport(
    { methods: { ping: samples }, rawLess: 100_000, handshake: [10_000, 20_000, 30_000, 40_000], failed: 10, dropped: 5 },
    { clients: 5, seconds: 10 },
  );
  // sent 1010 over 10 s = 101 req/s; target 5 clients × 10/s = 50 req/s; peak 4 of 5 sessions.
  const cases: [string, boolean, string][] = [
    // Values are read at the histogram's resolution (3 digits): 500ms is reported as 500.2ms.
    ['p50<=501ms', true, '500ms'],
    ['p50<500ms', false, '500ms'],
    ['p99<1s', true, '990ms'],
    ['p99.9<=999ms', false, '999ms'],
    ['p75<800ms', true, '750ms'],
    ['max<1s', false, '1.00s'],
    ['max<=1001ms', true, '1.00s'],
    ['mean<600ms', true, '501ms'],
    ['min>=1ms', true, '1.00ms'],
    ['raw.p99<900ms', true, '890ms'],
    ['raw.max<900ms', false, '900ms'],
    ['handshake.p99<35ms', false, '40.0ms'],
    ['handshake.p50<25ms', true, '20.0ms'],
    ['success>=99%', true, '99.01%'],
    ['success>=99.5%', false, '99.01%'],
    ['errors<1%', true, '0.99%'],
    ['errors<0.5%', false, '0.99%'],
    ['dropped<1%', true, '0.49%'],
    ['rate>=2*target', true, '101 req/s'],
    ['rate>=2.1*target', false, '101 req/s'],
    ['rate>=100', true, '101 req/s'],
    ['sessions>=100%', false, '4'],
    ['sessions>=80%', true, '4'],
    ['sessions>=4', true, '4'],
  ];
  it.each(cases)('%s → %s (%s)', (expr, passed, pretty) => {
    const [r] = evaluateThresholds([parseThreshold(expr)], report);
    expect(r).toMatchObject({ expr, passed, pretty });
  });

  it('fails a threshold there are no samples for, and says so', () => {
    const empty = syntheticReport({ methods: {}, handshake: [] }, { clients: 5 });
    const results = evaluateThresholds(['p99<1s', 'handshake.p99<1s', 'errors<1%', 'success>=0%'].map(parseThreshold), empty);
    expect(results.map((r) => [r.passed, r.pretty])).toEqual([
      [false, 'no samples'],
      [false, 'no samples'],
      [false, 'no requests'],
      [false, 'no requests'],
    ]);
  });

  it('renders a THRESHOLDS section naming the failures', () => {
    const text = renderThresholds(evaluateThresholds(['p99<1s', 'errors<0.5%'].map(parseThreshold), report));
    expect(text).toMatch(/THRESHOLDS\n {2}✓ p99<1s\s+p99 990ms\n {2}✗ errors<0\.5%\s+errors 0\.99% {2}\(limit < 0\.50%\)\n {2}1 of 2 failed/);
    expect(renderThresholds([])).toBe('');
  });
});

describe('finalFailure: has a threshold failed for good, so --abort-on-fail may stop the run?', () => {
  // The run so far: 100 responses of 10ms and 10 of 2s (p99 = 2s, max = 2s), 10 failed.
  const partial = syntheticReport({ methods: { ping: [...Array(100).fill(10_000), ...Array(10).fill(2_000_000)] }, handshake: [5000, 6000], failed: 10 });
  const cases: [string, number, boolean][] = [
    ['max<1s', Infinity, true], // max only grows
    ['max<=3s', Infinity, false], // holds so far
    ['handshake.max<5ms', Infinity, true],
    ['min>20ms', Infinity, true], // min only shrinks
    ['p99<1s', Infinity, false], // fast requests to come could still pull p99 down
    ['p99<1s', 500, true], // but at most 500 requests: > 1% of them are already over 1s
    ['p99<1s', 2000, false], // 10 of up to 2000 is under 1%: can still pass
    ['p50<1s', 110, false], // passes now
    ['mean<100ms', 150, true], // 20s of latency over at most 150 requests is > 100ms
    ['mean<100ms', 1000, false],
    ['errors<1%', Infinity, false], // the classic: known only at the end
    ['errors<1%', 500, true], // 10 failed of at most 500 is already 2%
    ['errors<1%', 5000, false],
    ['success>=99%', 500, true],
    ['success>=99%', 5000, false],
    ['rate>=0.99*target', 500, false], // rate is known only at the end
    ['sessions>=100%', 500, false],
    ['handshake.p99<1ms', 500, false],
    ['p50>1s', 500, false], // a limit from below is never final
  ];
  it.each(cases)('%s with at most %s requests → %s', (expr, maxRequests, final) => {
    expect(finalFailure(parseThreshold(expr), partial, { maxRequests })).toBe(final);
  });

  it('a final failure is a failure at the end, whatever comes next (best case: the rest are instant and ok)', () => {
    const t = parseThreshold('p99<1s');
    const end = syntheticReport({
      methods: { ping: [...Array(100).fill(10_000), ...Array(10).fill(2_000_000), ...Array(390).fill(0)] },
      handshake: [5000],
      failed: 10,
    });
    expect(end.latency.corrected.count).toBe(500);
    expect(evaluateThresholds([t], end)[0].passed).toBe(false);
  });

  it('bounds the requests of a run by its rate, duration and bursts', () => {
    const opts = resolveRunOptions({ profile: 'normal', clients: 10, rate: 20, duration: '30s' });
    const { maxRequests } = requestBound(opts);
    expect(maxRequests).toBeGreaterThanOrEqual(10 * 20 * 30);
    expect(maxRequests).toBeLessThan(10 * 20 * 30 * 1.2);
    expect(requestBound(resolveRunOptions({ profile: 'normal', duration: '0' })).maxRequests).toBe(Infinity);
  });
});
