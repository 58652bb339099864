/**
 * The cluster as the watch sees it: each replica's newest snapshot and state, replicas that appear
 * (a new URL answers) or vanish (no answer for a while, or gone from DNS, before their run finished),
 * and one report merged from every replica's newest snapshot (report/merge.ts: exact).
 */
import { mergeReports } from '../report/merge.js';
import type { RunReport, VanishedReplica } from '../report/types.js';
import type { ReplicaFinder } from './replicas.js';
import { pollSnapshot, type SnapshotPoll } from './poll.js';
import { mergePlans } from './plan.js';

export type ReplicaState = 'unseen' | 'waiting' | 'running' | 'finished' | 'vanished';

export interface Replica {
  url: string;
  state: ReplicaState;
  report?: RunReport;
  shard?: { index: number; count: number };
  /** When it last answered (ms since the epoch); 0: never. */
  lastSeenMs: number;
  /** Since when it has not answered (ms since the epoch); 0: it answered the last poll. */
  downSinceMs: number;
  why?: string;
}

/** What changed in one tick, for the watch's messages. */
export type ClusterEvent =
  | { kind: 'appeared'; replica: Replica }
  | { kind: 'finished'; replica: Replica }
  | { kind: 'vanished'; replica: Replica }
  | { kind: 'duplicate'; replica: Replica; of: Replica };

export class Cluster {
  readonly replicas = new Map<string, Replica>();
  /** Shard count the replicas declare (their --shard i/n), once one did. */
  shardCount: number | undefined;

  constructor(
    private readonly finder: ReplicaFinder,
    /** A replica that answered before and then not for this long, unfinished, has vanished. */
    private readonly lostAfterMs: number,
  ) {}

  /** Find the replicas, poll each once (all at the same time), and say what changed. */
  async tick(nowMs = Date.now()): Promise<ClusterEvent[]> {
    const events: ClusterEvent[] = [];
    const found = new Set(await this.finder.find());
    for (const url of found) if (!this.replicas.has(url)) this.replicas.set(url, { url, state: 'unseen', lastSeenMs: 0, downSinceMs: 0 });
    const live = [...this.replicas.values()].filter((r) => r.state !== 'finished' && r.state !== 'vanished');
    const polls = await Promise.all(live.map((r) => pollSnapshot(r.url)));
    live.forEach((r, i) => this.apply(r, polls[i], found.has(r.url), nowMs, events));
    return events;
  }

  private apply(r: Replica, poll: SnapshotPoll, listed: boolean, nowMs: number, events: ClusterEvent[]): void {
    if (poll.kind === 'down') {
      r.why = poll.why;
      r.downSinceMs ||= nowMs;
      // Gone from DNS, or silent for lostAfterMs, before it said its run had finished.
      if (r.lastSeenMs > 0 && (!listed || nowMs - r.downSinceMs >= this.lostAfterMs)) {
        r.state = 'vanished';
        events.push({ kind: 'vanished', replica: r });
      }
      return;
    }
    const first = r.lastSeenMs === 0;
    r.lastSeenMs = nowMs;
    r.downSinceMs = 0;
    r.why = undefined;
    if (poll.kind === 'waiting') {
      r.state = 'waiting';
      if (poll.shard) r.shard = poll.shard;
    } else {
      const twin = poll.report.runId ? [...this.replicas.values()].find((o) => o !== r && o.report?.runId === poll.report.runId) : undefined;
      if (twin) {
        // The same run at two addresses (a dual-stack replica's A and AAAA records): watched once.
        this.replicas.delete(r.url);
        if (first) events.push({ kind: 'duplicate', replica: r, of: twin });
        return;
      }
      r.report = poll.report;
      if (poll.report.shard) r.shard = { index: poll.report.shard.index, count: poll.report.shard.count };
      r.state = poll.finished ? 'finished' : 'running';
    }
    if (r.shard) this.shardCount ??= r.shard.count;
    if (first) events.push({ kind: 'appeared', replica: r });
    if (r.state === 'finished') events.push({ kind: 'finished', replica: r });
  }

  /** Replicas in report order: by shard index, then URL (the order `mcpload merge` is given the shards' files in). */
  ordered(): Replica[] {
    return [...this.replicas.values()].sort((a, b) => (a.shard?.index ?? Infinity) - (b.shard?.index ?? Infinity) || a.url.localeCompare(b.url));
  }

  /** Shards 1..n that no replica has claimed (when the replicas declared a count). */
  missingShards(): number[] {
    if (this.shardCount === undefined) return [];
    const seen = new Set([...this.replicas.values()].flatMap((r) => (r.shard ? [r.shard.index] : [])));
    return Array.from({ length: this.shardCount }, (_, i) => i + 1).filter((i) => !seen.has(i));
  }

  /** Every replica that answered has finished or vanished. */
  get settled(): boolean {
    const seen = [...this.replicas.values()].filter((r) => r.lastSeenMs > 0);
    return seen.length > 0 && seen.every((r) => r.state === 'finished' || r.state === 'vanished');
  }

  /** Replicas still awaited: listed but never answered, and declared shards no replica claimed. */
  get pending(): number {
    return [...this.replicas.values()].filter((r) => r.state === 'unseen').length + this.missingShards().length;
  }

  /** Replicas that vanished, and (`final`) the ones never seen or still running, as the merged report lists them. */
  lost(final: boolean): VanishedReplica[] {
    const out: VanishedReplica[] = [];
    for (const r of this.ordered()) {
      const gone = r.state === 'vanished' || (final && (r.state === 'unseen' || r.state === 'waiting'));
      if (!gone) continue;
      out.push({ source: r.url, ...(r.shard ? { shard: r.shard } : {}), ...(r.lastSeenMs ? { lastSeenAt: new Date(r.lastSeenMs).toISOString() } : {}) });
    }
    if (final)
      for (const index of this.missingShards())
        out.push({ source: `shard ${index}/${this.shardCount} (never seen)`, shard: { index, count: this.shardCount! } });
    return out;
  }

  /** The replicas' newest snapshots merged into one report (undefined before any replica sent one). */
  merged(final: boolean): RunReport | undefined {
    const parts = this.ordered().filter((r) => r.report);
    if (parts.length === 0) return undefined;
    const report = mergeReports(
      parts.map((r) => r.report),
      parts.map((r) => r.url),
    );
    const lost = this.lost(final);
    if (lost.length) report.merged = { ...report.merged!, vanished: [...(report.merged!.vanished ?? []), ...lost] };
    // Shards of a plan: each phase merged across the replicas and judged on that merge.
    const plan = mergePlans(
      report,
      parts.map((r) => r.report!),
      parts.map((r) => r.url),
    );
    if (plan) report.plan = plan;
    return report;
  }
}
