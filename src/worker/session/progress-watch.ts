/**
 * The requests of a session that asked for progress (`progress: true`: their progressToken is their
 * id, frames.ts ProgressFrames): each `notifications/progress` for one records the time to first
 * progress (from the request's actual send) or the gap since the one before; its answer records the
 * total time. Only such requests are watched: the map stays empty for a mix without progress.
 */
import { recordMicros } from '../../shared/stats.js';
import type { ProgressRecorder } from '../recorder.js';
import type { Correlator } from './correlator.js';

interface Watch {
  rec: ProgressRecorder;
  /** When the last notification came (0: none yet). */
  lastAt: number;
}

export class ProgressWatches {
  private readonly watches = new Map<number, Watch>();

  constructor(private readonly calls: Correlator) {}

  /** Request `id` asked for progress; `rec` records it. */
  watch(id: number, rec: ProgressRecorder): void {
    this.watches.set(id, { rec, lastAt: 0 });
  }

  /** A `notifications/progress` arrived at `now` with these params; one for no watched request is only counted. */
  notified(params: unknown, now: number): void {
    const token = (params as { progressToken?: unknown } | null | undefined)?.progressToken;
    const w = typeof token === 'number' ? this.watches.get(token) : undefined;
    if (w === undefined) return;
    const p = this.calls.get(token as number);
    if (p === undefined) return;
    w.rec.notifications++;
    if (w.lastAt === 0) recordMicros(w.rec.first, (now - p.sentAt) * 1000);
    else recordMicros(w.rec.gap, (now - w.lastAt) * 1000);
    w.lastAt = now;
  }

  /** Request `id` ended at `now`; `answered`: with an answer (its total time is recorded), else timed out or lost. Call before the correlator forgets it. */
  ended(id: number, now: number, sentAt: number, answered: boolean): void {
    const w = this.watches.get(id);
    if (w === undefined) return;
    this.watches.delete(id);
    if (answered) recordMicros(w.rec.total, (now - sentAt) * 1000);
  }

  /** The connection ended: nothing more will come for its requests. */
  clear(): void {
    this.watches.clear();
  }

  get size(): number {
    return this.watches.size;
  }
}
