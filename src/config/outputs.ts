/**
 * The run's output files (--report, --html, --out): checked before the run starts, so a typo costs a
 * second instead of a whole run. --report and --html are written atomically at its end (a temporary
 * file beside the target, then a rename), so a full disk never leaves a truncated report behind; a
 * write that still fails loses nothing: the JSON goes to a fallback file whose path is told. --out
 * files grow a line per second while the run goes (main/results-stream.ts).
 */
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError, describe } from '../shared/errors.js';

export interface OutputPaths {
  reportPath?: string;
  htmlPath?: string;
  streams?: readonly StreamOutput[];
}

/** The formats of --out: NDJSON (one JSON object a line) and CSV (a fixed header, then one row), each a line per second. */
export const STREAM_FORMATS = ['json', 'csv'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];

/** One --out FORMAT=FILE. */
export interface StreamOutput {
  format: StreamFormat;
  path: string;
}

/** `json=results.ndjson` -> { format: 'json', path: 'results.ndjson' }; anything else is one clear line. */
export function parseStreamOutput(value: string): StreamOutput {
  const m = /^([a-z]+)=(.+)$/.exec(value.trim());
  const format = m?.[1] as StreamFormat | undefined;
  if (!m || !STREAM_FORMATS.includes(format!)) {
    throw new UsageError(`--out: "${value}" is not FORMAT=FILE; write json=results.ndjson (a JSON line per second) or csv=results.csv (a row per second)`);
  }
  return { format: format!, path: m[2] };
}

/** One clear line for an output that cannot be written, before anything starts. */
export function checkOutputs({ reportPath, htmlPath, streams = [] }: OutputPaths): void {
  const named: [string, string][] = [
    ...(reportPath !== undefined ? [['--report', reportPath] as [string, string]] : []),
    ...(htmlPath !== undefined ? [['--html', htmlPath] as [string, string]] : []),
    ...streams.map((o): [string, string] => [`--out ${o.format}`, o.path]),
  ];
  named.forEach(([flag, path], i) => {
    const twice = named.findIndex(([, other]) => resolve(other) === resolve(path));
    if (twice < i) {
      const [first] = named[twice];
      throw new UsageError(`${first === flag ? `${flag} is given twice with` : `${first} and ${flag} both name`} ${path}: give each its own file`);
    }
  });
  for (const [flag, path] of named) checkWritable(flag, path);
}

const EXTENSIONS: Record<string, string> = { '--html': 'html', '--out json': 'ndjson', '--out csv': 'csv' };

/** A report file must be writable where asked, checked before the run rather than lost after it. */
function checkWritable(flag: string, path: string): void {
  if (statOf(path)?.isDirectory())
    throw new UsageError(`${flag}: ${path} is a directory; give a file name, like ${join(path, `mcpload.${EXTENSIONS[flag] ?? 'json'}`)}`);
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write ${path}: directory ${dir} does not exist or is not writable; create it or pick another path`);
  }
}

function statOf(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Write `text` to `path` atomically: a temporary file in the same folder, then a rename over the
 * target. Paths that are not regular files (/dev/stdout, /dev/full, a FIFO) are written in place.
 * Throws with the path in the message; no partial file is left at `path` or beside it.
 */
export function writeOutput(path: string, text: string): void {
  const stat = statOf(path);
  if (stat && !stat.isFile()) {
    writeFileSync(path, text);
    return;
  }
  const temp = join(dirname(resolve(path)), `.${Date.now()}-${process.pid}.mcpload.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** What became of one output at the end of the run. */
export interface OutputResult {
  kind: 'report' | 'html' | StreamFormat;
  path: string;
  /** Set when the write failed: why (one line). */
  error?: string;
  /** Where the JSON report went instead, when the write to `path` failed. */
  fallback?: string;
}

/** Write one output; on failure, the JSON report goes to a file in the temporary folder instead. */
export function writeOutputWithFallback(kind: OutputResult['kind'], path: string, text: string, runStartedAtMs: number): OutputResult {
  try {
    writeOutput(path, text);
    return { kind, path };
  } catch (err) {
    const error = describe(err);
    if (kind !== 'report') return { kind, path, error };
    const fallback = join(tmpdir(), `mcpload-report-${new Date(runStartedAtMs).toISOString().replace(/[:.]/g, '-')}-${process.pid}.json`);
    try {
      writeOutput(fallback, text);
      return { kind, path, error, fallback };
    } catch {
      return { kind, path, error };
    }
  }
}

/** The line the CLI prints for an output. */
export function describeOutput(o: OutputResult): string {
  const what = { report: 'report', html: 'HTML report', json: 'per-second JSON lines', csv: 'per-second CSV' }[o.kind];
  if (!o.error) return `mcpload: ${what} written to ${o.path}`;
  return (
    `mcpload: could not write the ${what} to ${o.path} (${o.error})` +
    (o.fallback ? `; it was written to ${o.fallback} instead` : o.kind === 'report' ? '; no fallback could be written either' : '')
  );
}
