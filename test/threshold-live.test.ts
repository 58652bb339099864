/**
 * --abort-on-fail evaluates thresholds every second on the Aggregate's live figures (nothing encoded)
 * instead of on a whole built report: both must give the same answers, threshold by threshold.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { parseThresholds } from '../src/config/thresholds.js';
import { buildReport, liveFigures } from '../src/report/build.js';
import { evaluateThresholds, finalFailure, requestBound } from '../src/report/thresholds.js';
import { syntheticAggregate } from './helpers/reports.js';

const EXPRS = [
  'p50<5ms',
  'p90<=8ms',
  'p95<9ms',
  'p97<9ms',
  'p99<10ms',
  'p99.9<12ms',
  'p99.99<1ms',
  'p97>1ms',
  'mean<4ms',
  'mean>1ms',
  'max<10ms',
  'min>1ms',
  'raw.p99<5ms',
  'raw.p97<5ms',
  'handshake.p95<3ms',
  'handshake.p97<3ms',
  'errors<1%',
  'errors<90%',
  'success>99%',
  'success>10%',
  'dropped<1%',
  'dropped<50%',
  'rate>1',
  'rate>=0.9*target',
  'sessions>=90%',
  'sessions>5',
];

describe('thresholds on live figures', () => {
  for (const [name, over] of [
    ['a bounded run', { duration: '6s' }],
    ['a tight bound (most requests already made)', { duration: '2s', clients: 2, rate: 10 }],
    ['a run without an end', { duration: '0' }],
  ] as const) {
    it(`give what the built report gives: ${name}`, () => {
      const opts = resolveRunOptions({ profile: 'normal', clients: 7, rate: 20, ...over, threshold: EXPRS });
      const agg = syntheticAggregate();
      const now = Date.parse('2026-01-01T00:00:04.000Z');
      const report = buildReport(agg, opts, ['ws://127.0.0.1:1/mcp/ws'], { endedAtMs: now, workers: 2 });
      const live = liveFigures(agg, opts, now);
      const thresholds = opts.thresholds!;
      expect(evaluateThresholds(thresholds, live)).toEqual(evaluateThresholds(thresholds, report));
      const bound = requestBound(opts);
      const fromReport = thresholds.map((t) => finalFailure(t, report, bound));
      expect(thresholds.map((t) => finalFailure(t, live, bound))).toEqual(fromReport);
      if (name.startsWith('a tight')) expect(fromReport.filter(Boolean).length).toBeGreaterThan(0);
    });
  }

  it('parse every expression used here', () => expect(parseThresholds(EXPRS)).toHaveLength(EXPRS.length));
});
