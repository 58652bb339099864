/**
 * Why requests failed, in the server's words: JSON-RPC error codes and messages (`rpc`) and the text of
 * tool results with `isError: true` (`tool`), counted per method and target. Bounded everywhere: messages
 * are redacted and then cut to MAX_DETAIL_CHARS where they are first seen (the engine), an engine's
 * snapshot carries at most MAX_SNAPSHOT_DETAILS distinct ones, the main thread keeps MAX_KEPT_DETAILS, and
 * a report lists the DETAILS_PER_METHOD most frequent of each method. What does not fit is not dropped:
 * it is counted under OTHER_MESSAGE of its method, target and type, so a type's details add up to its count.
 */
import { redactThenTruncate } from './errors.js';

/** One error reason and how often it came. */
export interface ErrorDetail {
  method: string;
  /** The tool, prompt or resource URI (targets.ts), when the method names one. */
  target?: string;
  type: 'rpc' | 'tool';
  /** The JSON-RPC error code (rpc errors whose code is a number). */
  code?: number;
  /** Redacted, then cut to MAX_DETAIL_CHARS (with a trailing …). */
  message: string;
  count: number;
}

export const MAX_DETAIL_CHARS = 200;
export const MAX_SNAPSHOT_DETAILS = 50;
export const MAX_KEPT_DETAILS = 1000;
export const DETAILS_PER_METHOD = 10;
/** The message of the details past a bound. */
export const OTHER_MESSAGE = '(other messages)';
/** Raw text looked at, at most: the rest of a huge message can only reach the cut through a huge redaction. */
const MAX_RAW_CHARS = 4 * 1024;

/** A server's message as a detail's: redacted, cut; not a string: empty. */
export function detailMessage(raw: unknown, secrets: readonly string[]): string {
  if (typeof raw !== 'string') return '';
  return redactThenTruncate(raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw, secrets, MAX_DETAIL_CHARS);
}

function keyOf(d: Omit<ErrorDetail, 'count'>): string {
  return `${d.method}\0${d.target ?? ''}\0${d.type}\0${d.code ?? ''}\0${d.message}`;
}

/** Error details added up by reason, at most `max` distinct ones (the rest under OTHER_MESSAGE). */
export class DetailTally {
  private readonly byKey = new Map<string, ErrorDetail>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byKey.size;
  }

  add(d: Omit<ErrorDetail, 'count'>, count = 1): void {
    let key = keyOf(d);
    let seen = this.byKey.get(key);
    if (seen === undefined && this.byKey.size >= this.max && d.message !== OTHER_MESSAGE) {
      d = { method: d.method, ...(d.target !== undefined ? { target: d.target } : {}), type: d.type, message: OTHER_MESSAGE };
      key = keyOf(d);
      seen = this.byKey.get(key);
    }
    if (seen) seen.count += count;
    else this.byKey.set(key, { ...d, count });
  }

  addAll(ds: readonly ErrorDetail[]): void {
    for (const d of ds) this.add(d, d.count);
  }

  /** Every detail, and start over (an engine's snapshot). */
  take(): ErrorDetail[] {
    const out = [...this.byKey.values()];
    this.byKey.clear();
    return out;
  }

  /** What a report lists: see topDetails. */
  top(): ErrorDetail[] {
    return topDetails([...this.byKey.values()]);
  }
}

/**
 * The DETAILS_PER_METHOD most frequent details of each method (ties: the lower code, then the message),
 * the rest of each method folded into OTHER_MESSAGE per target and type; methods in alphabetical order (a
 * report reads the same whichever engine saw an error first).
 */
export function topDetails(details: readonly ErrorDetail[]): ErrorDetail[] {
  const byMethod = new Map<string, ErrorDetail[]>();
  for (const d of details) {
    const list = byMethod.get(d.method);
    if (list) list.push(d);
    else byMethod.set(d.method, [d]);
  }
  const out: ErrorDetail[] = [];
  for (const method of [...byMethod.keys()].sort()) {
    const list = byMethod.get(method)!;
    const named = list.filter((d) => d.message !== OTHER_MESSAGE).sort(byCount);
    const rest = new DetailTally(Infinity);
    for (const d of list) if (d.message === OTHER_MESSAGE) rest.add(d, d.count);
    for (const d of named.slice(DETAILS_PER_METHOD)) rest.add({ ...d, code: undefined, message: OTHER_MESSAGE }, d.count);
    out.push(...named.slice(0, DETAILS_PER_METHOD), ...rest.take().map(withoutUndefined).sort(byCount));
  }
  return out;
}

function byCount(a: ErrorDetail, b: ErrorDetail): number {
  return b.count - a.count || (a.code ?? 0) - (b.code ?? 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

function withoutUndefined(d: ErrorDetail): ErrorDetail {
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as unknown as ErrorDetail;
}

/** One line for a log: `tools/call echo: tool error: boom`, `resources/read x: rpc error -32002: Resource not found`. */
export function describeDetail(d: Omit<ErrorDetail, 'count'>): string {
  const where = d.target !== undefined ? `${d.method} ${d.target}` : d.method;
  const code = d.code !== undefined ? ` ${d.code}` : '';
  return `${where}: ${d.type} error${code}: ${d.message || '(no message)'}`;
}
