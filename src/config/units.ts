/**
 * Durations and sizes as people write them. A bare number is seconds (as DURATION_SECONDS is);
 * otherwise a number with one of the units us, ms, s, m, h.
 */

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?\s*$/;
const MS_PER: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds for '250ms', '10s', '5m', 30 (seconds); undefined when it is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * MS_PER[m[2] ?? 's'];
}

const SIZE = /^\s*(\d+)\s*(B|KB|KiB|MB|MiB)?\s*$/i;
const BYTES_PER: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 };

/** Bytes for 512, '2048B', '2KiB'; undefined when it is not a size. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = SIZE.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * BYTES_PER[(m[2] ?? 'b').toLowerCase()];
}

/** '1.5s', '250ms', '42µs': for reports and progress. Input in microseconds. */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${trim(us / 1000)}ms`;
  return `${trim(us / 1_000_000)}s`;
}

function trim(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
