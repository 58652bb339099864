/** The watch's cluster progress line: replicas by state, then the merged figures, then the thresholds. */
import { formatMicros } from '../config/units.js';
import type { RunReport, ThresholdResult } from '../report/types.js';
import type { Replica } from './cluster.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function clusterLine(
  elapsedS: number,
  replicas: readonly Replica[],
  merged: RunReport | undefined,
  ratePerS: number,
  thresholds: readonly ThresholdResult[],
): string {
  const count = (state: Replica['state']) => replicas.filter((r) => r.state === state).length;
  const states = (['running', 'waiting', 'finished', 'vanished', 'unseen'] as const)
    .map((s) => [s, count(s)] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s === 'unseen' ? 'not answering' : s}`)
    .join(', ');
  const running = merged?.plan?.running ?? [];
  const phase = merged?.plan
    ? ` | phase ${running.length ? running.join('+') : merged.plan.phases.length ? `(between; ${merged.plan.phases.length} done)` : '-'}`
    : '';
  const head = `[${String(Math.round(elapsedS)).padStart(3)}s] replicas ${replicas.length}${states ? ` (${states})` : ''}${phase}`;
  if (!merged) return head;
  const failing = thresholds.filter((t) => !t.passed);
  const verdict = thresholds.length ? ` | thresholds ${failing.length ? `FAILING ${failing.map((t) => `${t.expr} (${t.pretty})`).join(', ')}` : 'ok'}` : '';
  const lat = merged.latency.corrected;
  return (
    `${head} | sessions ${int(merged.sessions.peak)}/${int(merged.sessions.wanted)} | sent ${int(merged.requests.sent)} | ok ${int(merged.requests.ok)} | err ${int(merged.requests.failed)}` +
    ` | ${int(ratePerS)} req/s | p50 ${formatMicros(lat.p50)} p99 ${formatMicros(lat.p99)}${verdict}`
  );
}
