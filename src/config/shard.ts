/**
 * Shards of one profile: `--shard i/n` runs share i of n of the load, so n replicas together run the
 * profile once. Counts (clients, each stage's clients) are split exactly: floor(total / n) each, and
 * the remainder one apiece to the first shards, so the shares add up to the total, none lost or
 * doubled. Rates given per client (rate, stages[].rate, the closed model's concurrency) stay as they
 * are: the clients carry them. Rates given for the whole run (session arrivals, --connect-rate) are
 * divided by n.
 */
import { UsageError } from '../shared/errors.js';
import type { Profile } from '../shared/types.js';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

const MAX_SHARDS = 10_000;
/** A --start-at further ahead than this is a typo (a date, not an instant of this run). */
const MAX_START_AHEAD_MS = 7 * 24 * 3600 * 1000;

/** Shard `shard`'s part of `total` (a whole number): the shares of 1..n add up to `total`. */
export function shareOf(total: number, shard: Shard): number {
  const base = Math.floor(total / shard.count);
  return base + (shard.index <= total % shard.count ? 1 : 0);
}

/** Shard `shard`'s part of a rate for the whole run: an n-th. */
export function rateShareOf(total: number, shard: Shard): number {
  return total / shard.count;
}

/**
 * The profile a shard runs. Takes and returns the whole Profile, so a field that holds an amount for
 * the whole run is split here and nowhere else.
 */
export function shardProfile(profile: Profile, shard: Shard): Profile {
  const p: Profile = {
    ...profile,
    clients: shareOf(profile.clients, shard),
    stages: profile.stages.map((s) => ({ ...s, clients: shareOf(s.clients, shard) })),
  };
  // Session arrivals (sessions/s for the whole run, with their own stages), when the profile has them.
  const arrivals = p as Profile & { arrivalRate?: number; arrivalStages?: { arrivalRate?: number }[] };
  if (typeof arrivals.arrivalRate === 'number') arrivals.arrivalRate = rateShareOf(arrivals.arrivalRate, shard);
  if (Array.isArray(arrivals.arrivalStages))
    arrivals.arrivalStages = arrivals.arrivalStages.map((s) =>
      typeof s.arrivalRate === 'number' ? { ...s, arrivalRate: rateShareOf(s.arrivalRate, shard) } : s,
    );
  return p;
}

/**
 * `--shard i/n`, or `--shard i` with `--shards n` (Kubernetes Indexed Jobs give only the index:
 * JOB_COMPLETION_INDEX, read as --shard index+1, with MCPLOAD_SHARDS for the count).
 */
export function parseShard(raw: string | number | undefined, shards: number | undefined): Shard | undefined {
  if (raw === undefined && shards === undefined) return undefined;
  const hint = 'write it like --shard 2/3 (shard 2 of 3), or --shard 2 --shards 3 (MCPLOAD_SHARD, MCPLOAD_SHARDS; JOB_COMPLETION_INDEX counts from 0)';
  if (raw === undefined) throw new UsageError(`--shards ${shards}: give the shard's own number too; ${hint}`);
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(String(raw));
  if (!m) throw new UsageError(`--shard: "${raw}" is not a shard; ${hint}`);
  const index = Number(m[1]);
  if (m[2] !== undefined && shards !== undefined && Number(m[2]) !== shards)
    throw new UsageError(`--shard ${raw} and --shards ${shards} disagree on the count; give one of them`);
  const count = m[2] !== undefined ? Number(m[2]) : shards;
  if (count === undefined) throw new UsageError(`--shard ${raw}: how many shards? ${hint}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new UsageError(`--shard: the count must be a whole number from 1 to ${MAX_SHARDS.toLocaleString('en-US')} (got ${count})`);
  if (index < 1 || index > count) throw new UsageError(`--shard ${index}/${count}: shards count from 1 to ${count}; ${hint}`);
  return { index, count };
}

/** `--start-at`: an ISO date and time (with its zone) or ms since the epoch; the instant every shard starts at. */
export function parseStartAt(raw: string | number | undefined, nowMs = Date.now()): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const ms = /^\d+$/.test(text) ? Number(text) : /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(`--start-at: "${text}" is not an instant; write an ISO time like 2026-12-02T03:00:00Z, or milliseconds since the epoch`);
  if (ms - nowMs > MAX_START_AHEAD_MS)
    throw new UsageError(`--start-at: ${new Date(ms).toISOString()} is more than 7 days ahead; give the instant this run should start`);
  return ms;
}
