/**
 * `mcpload merge` checks what it is given: before, a report starting in year 0 or with a timeline
 * second of 1e9 ran V8 out of memory (native stack trace), histograms that contradicted the counts
 * were accepted, the same file merged twice doubled every count, and counts of 1e308 passed.
 * Each is now one line and exit 2.
 */
import { describe, expect, it } from 'vitest';
import { mergeReports } from '../src/report/merge.js';
import { UsageError } from '../src/shared/errors.js';
import type { RunReport } from '../src/report/types.js';
import { syntheticReport } from './helpers/reports.js';

const good = (runId?: string): RunReport => ({ ...syntheticReport({ methods: { ping: [100, 200, 300] }, handshake: [1000] }), ...(runId ? { runId } : {}) });

function refusal(reports: unknown[], sources?: string[]): string {
  try {
    mergeReports(reports, sources);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('merged');
}

describe('merge refuses reports that cannot be true', () => {
  it('a start in year 0', () => {
    expect(refusal([{ ...good(), startedAt: '0000-01-01T00:00:00.000Z' }])).toMatch(
      /^report 1: not a valid mcpload report \(startedAt 0000-01-01.*not the time of a run\)$/,
    );
  });
  it('an end before the start', () => {
    expect(refusal([{ ...good(), endedAt: '2025-12-31T00:00:00.000Z' }])).toMatch(/endedAt 2025-12-31T00:00:00.000Z is before startedAt/);
  });
  it('a timeline second far past the end', () => {
    const r = good();
    expect(refusal([{ ...r, timeline: [...r.timeline, { ...r.timeline[0], second: 1e9 }] }])).toMatch(
      /timeline second 1000000000 is after the run's end \(11 s\)/,
    );
  });
  it('replicas days apart (their timelines would be laid on one clock)', () => {
    expect(refusal([good('a'), { ...good('b'), startedAt: '2026-03-01T00:00:00.000Z', endedAt: '2026-03-01T00:00:10.000Z' }])).toMatch(
      /^merge: the reports span more than 7 days/,
    );
  });
  it('counts beyond what a double holds exactly', () => {
    const r = good();
    expect(refusal([{ ...r, requests: { ...r.requests, sent: 1e308 } }])).toMatch(/requests\.sent: must be <= 9007199254740991/);
  });
  it('histograms that contradict the counts', () => {
    const r = good();
    expect(refusal([{ ...r, methods: { ping: { ...r.methods.ping, ok: 30 } } }], ['a.json'])).toMatch(
      /^a\.json: not a valid mcpload report \(histograms\.latency holds 3 samples, but the counts say 30 responses\)$/,
    );
  });
  it('the same run twice, directly or inside a merged report', () => {
    expect(refusal([good('run-1'), good('run-2'), good('run-1')], ['a.json', 'b.json', 'c.json'])).toBe(
      'merge: c.json and a.json hold the same run (runId run-1): merging it twice would count it twice',
    );
    const merged = mergeReports([good('run-1'), good('run-2')]);
    expect(merged.merged).toMatchObject({ replicas: 2, runIds: ['run-1', 'run-2'] });
    expect(merged.merged?.byReplica?.map((x) => x.runId)).toEqual(['run-1', 'run-2']);
    expect(refusal([merged, good('run-2')])).toMatch(/hold the same run \(runId run-2\)/);
  });
  it('different runs merge, and reports of earlier builds (no runId) still do', () => {
    expect(mergeReports([good('x'), good('y')]).requests.sent).toBe(6);
    expect(mergeReports([good(), good()]).requests.sent).toBe(6);
  });
});
