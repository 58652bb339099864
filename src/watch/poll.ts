/** One `GET /snapshot` of one replica: its report so far, or that it is waiting to start, or that it did not answer. */
import { describe } from '../shared/errors.js';
import { validateReport } from '../report/merge.js';
import type { RunReport } from '../report/types.js';

export type SnapshotPoll =
  | { kind: 'report'; report: RunReport; finished: boolean }
  /** Up, but its engines have not started (--start-at ahead). */
  | { kind: 'waiting'; shard?: { index: number; count: number } }
  | { kind: 'down'; why: string };

/** Longest a replica may take to answer before this poll counts as no answer. */
const POLL_TIMEOUT_MS = 3000;

export async function pollSnapshot(url: string): Promise<SnapshotPoll> {
  let res: Response;
  let body: string;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(POLL_TIMEOUT_MS), headers: { accept: 'application/json' } });
    body = await res.text();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { kind: 'down', why: cause ?? describe(err) };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'down', why: `HTTP ${res.status}, not JSON (is this an mcpload metrics endpoint?)` };
  }
  const doc = json as { snapshot?: { finished?: unknown }; state?: unknown; shard?: { index: number; count: number } };
  if (res.status === 503 && doc.state === 'waiting') return { kind: 'waiting', ...(doc.shard ? { shard: doc.shard } : {}) };
  if (res.status !== 200 || typeof doc.snapshot?.finished !== 'boolean') return { kind: 'down', why: `HTTP ${res.status}` };
  const { snapshot, ...report } = json as RunReport & { snapshot: { finished: boolean } };
  try {
    // Checked here, so a replica that answers nonsense is one that does not answer, not a merge that fails.
    return { kind: 'report', report: validateReport(report, url), finished: snapshot.finished };
  } catch (err) {
    return { kind: 'down', why: describe(err) };
  }
}
