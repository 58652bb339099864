/**
 * --out json=FILE and --out csv=FILE: the run's seconds as they close, one line each (the
 * Aggregate's timeline, every engine added up). Each line is written with one synchronous write
 * as its second closes, so nothing is buffered in mcpload: a SIGTERM drains, the last seconds
 * close with the run and are written before the files are closed, and even a crash keeps every
 * second written so far.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { OutputResult, StreamOutput } from '../config/outputs.js';
import { describe } from '../shared/errors.js';
import type { TimelinePoint } from './aggregate.js';

/** The fields of a line, declared once: the NDJSON key, the CSV column, the value. */
const FIELDS: readonly { key: string; column: string; value: (p: TimelinePoint, startedAtMs: number) => string | number }[] = [
  { key: 'time', column: 'time', value: (p, t0) => new Date(t0 + p.second * 1000).toISOString() },
  { key: 'second', column: 'second', value: (p) => p.second },
  { key: 'sent', column: 'sent', value: (p) => p.sent },
  { key: 'ok', column: 'ok', value: (p) => p.ok },
  { key: 'failed', column: 'failed', value: (p) => p.failed },
  { key: 'dropped', column: 'dropped', value: (p) => p.dropped ?? 0 },
  { key: 'sessionsOpen', column: 'sessions_open', value: (p) => p.sessionsOpen },
  { key: 'wanted', column: 'sessions_wanted', value: (p) => p.wanted ?? 0 },
  { key: 'targetRate', column: 'target_rate', value: (p) => p.targetRate ?? 0 },
  { key: 'p50Us', column: 'p50_us', value: (p) => p.p50 },
  { key: 'p99Us', column: 'p99_us', value: (p) => p.p99 },
  { key: 'cpuSeconds', column: 'cpu_seconds', value: (p) => p.cpuSeconds ?? 0 },
  { key: 'loopUtilization', column: 'loop_utilization', value: (p) => p.loopUtilization ?? 0 },
  { key: 'loopLagMs', column: 'loop_lag_ms', value: (p) => p.loopLagMs ?? 0 },
];

/** The CSV header line (fixed: the same columns in every run). */
export const CSV_HEADER = FIELDS.map((f) => f.column).join(',') + '\n';

/** One second as a line of `format`. */
export function streamLine(format: StreamOutput['format'], p: TimelinePoint, startedAtMs: number): string {
  if (format === 'csv') return FIELDS.map((f) => f.value(p, startedAtMs)).join(',') + '\n';
  return JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f.key, f.value(p, startedAtMs)]))) + '\n';
}

interface Open {
  out: StreamOutput;
  fd: number | undefined;
  error?: string;
}

export class ResultsStream {
  private readonly files: Open[];

  /** Opens (truncates) every file now: a path that cannot be opened is an error before the run, not after. */
  constructor(outputs: readonly StreamOutput[]) {
    this.files = [];
    try {
      for (const out of outputs) {
        const fd = openSync(out.path, 'w');
        this.files.push({ out, fd });
        if (out.format === 'csv') writeSync(fd, CSV_HEADER);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Write one closed second to every file; a file that fails stops being written (its error is reported at the end). */
  write(p: TimelinePoint, startedAtMs: number): void {
    for (const f of this.files) {
      if (f.fd === undefined) continue;
      try {
        writeSync(f.fd, streamLine(f.out.format, p, startedAtMs));
      } catch (err) {
        f.error = describe(err);
        this.closeOne(f);
      }
    }
  }

  /** Close every file (idempotent) and say what became of each. */
  close(): OutputResult[] {
    for (const f of this.files) this.closeOne(f);
    return this.files.map((f) => ({ kind: f.out.format, path: f.out.path, ...(f.error ? { error: f.error } : {}) }));
  }

  private closeOne(f: Open): void {
    if (f.fd === undefined) return;
    const fd = f.fd;
    f.fd = undefined;
    try {
      closeSync(fd);
    } catch (err) {
      f.error ??= describe(err);
    }
  }
}
