/**
 * One errors module with stable codes. Two families live here:
 * - errors a user sees once (bad input, a run that cannot start): thrown, caught in the CLI, one line, an exit code;
 * - error *types* counted on the hot path: never thrown, only counted (ERROR_TYPES, declared in counters.ts).
 */

export const EXIT = {
  ok: 0,
  thresholdFailed: 1,
  badInput: 2,
  cannotStart: 3,
  /** The run lost an engine (its figures have a gap) and no threshold failed. */
  engineLost: 4,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

/** What each exit code means, in EXIT's order (`mcpload --help` lists them). */
export const EXIT_MEANINGS: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: 'the run completed and every threshold held',
  thresholdFailed: 'a threshold failed',
  badInput: 'bad input (one line on stderr says what and how to fix it), or a --report/--html that could not be written',
  cannotStart: 'no session could be established',
  engineLost: 'an engine was lost during the run (its figures have a gap) and no threshold failed',
  sighup: 'stopped by SIGHUP (after the report)',
  sigint: 'stopped by SIGINT (after the report)',
  sigterm: 'stopped by SIGTERM (after the report)',
};

export class McploadError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode: number) {
    super(message);
    this.name = 'McploadError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad input: options, profile files, URLs, limits. Exit code 2, one line. */
export class UsageError extends McploadError {
  constructor(message: string) {
    super('MCPLOAD_BAD_INPUT', message, EXIT.badInput);
    this.name = 'UsageError';
  }
}

/** The run could not start: no session could be established at all. Exit code 3. */
export class StartError extends McploadError {
  constructor(message: string) {
    super('MCPLOAD_CANNOT_START', message, EXIT.cannotStart);
    this.name = 'StartError';
  }
}

// The error types counted on the hot path are one of the counter families, declared with the others.
export { ERROR_TYPES, ErrorIndex, type ErrorType } from './counters.js';

/**
 * Text bound for logs with secrets taken out: credentials in URLs (ws://user:pass@host) and the
 * given values (header values such as `Authorization: Bearer …`). Logs are rare (rate-limited
 * notes), so this is not on the hot path.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  // Any scheme: a mistyped one (ftp://user:pass@…) reaches bad-input messages too.
  let out = text.replace(/\b([a-z][a-z0-9+.-]*):\/\/[^/\s@]*@/gi, '$1://redacted@');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/** The secrets of a set of headers: each value and each of its words after the first (`Bearer TOKEN`). */
export function headerSecrets(headers: Readonly<Record<string, string>>): string[] {
  return Object.values(headers).flatMap((v) => [v, ...v.split(/\s+/).slice(1)]);
}

/** Longest log line taken from a server's words (an error body, a failed initialize answer). */
export const MAX_NOTE_CHARS = 300;

/**
 * A log line that may carry a server's words: secrets are taken out first, then it is cut, so a cut
 * never leaves the start of a secret behind (a 500 body that echoes the request's headers).
 */
export function redactThenTruncate(text: string, secrets: readonly string[], max = MAX_NOTE_CHARS): string {
  const clean = redactSecrets(text, secrets);
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}

/** A short message for any thrown value, for one-line output. */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Why a thread died, in one line: the error's message and where it was thrown (the top frame of its stack,
 * the file's base name with line and column). A crash inside an engine reaches the user as one note; the
 * message alone ("Cannot read properties of undefined") does not say which code to look at.
 */
export function deathReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const frame = err.stack
    ?.split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('at '));
  const where = frame === undefined ? undefined : /([^/\\(\s]+:\d+:\d+)\)?$/.exec(frame)?.[1];
  return where === undefined ? err.message : `${err.message} at ${where}`;
}
