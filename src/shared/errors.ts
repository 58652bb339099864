/**
 * One errors module with stable codes. Two families live here:
 * - errors a user sees once (bad input, a run that cannot start): thrown, caught in the CLI, one line, an exit code;
 * - error *types* counted on the hot path: never thrown, only counted (see ERROR_TYPES).
 */

export const EXIT = {
  ok: 0,
  thresholdFailed: 1,
  badInput: 2,
  cannotStart: 3,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

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

/**
 * Error types counted per engine, in this order (the index is what the hot path bumps).
 * connect:   the socket could not be opened (refused, reset during upgrade, bad upgrade response)
 * handshake: `initialize` failed (error response, timeout, wrong shape)
 * timeout:   a request got no response within the profile's timeout
 * protocol:  bad JSON, a response with an unknown or duplicate id, a binary frame, an oversized frame
 * rpc:       a JSON-RPC error response to one of our requests
 * closed:    the connection closed (or errored) while the session was open; in-flight requests fail with it
 */
export const ERROR_TYPES = ['connect', 'handshake', 'timeout', 'protocol', 'rpc', 'closed'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];
export const ErrorIndex: { readonly [K in ErrorType]: number } = {
  connect: 0,
  handshake: 1,
  timeout: 2,
  protocol: 3,
  rpc: 4,
  closed: 5,
};

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

/** A short message for any thrown value, for one-line output. */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
