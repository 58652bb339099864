/**
 * The errors of the hand-written HTTP/1.1 pool (h1-pool.ts), with undici's codes, names and
 * messages: the POST handler (http-post.ts) tells a quiet error from a lost request by `err.code`,
 * and a message reaches the log as it is, so a run reads the same on either client.
 */

/** An error with a stable code, as undici's UndiciError. */
export class PoolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    name: string,
  ) {
    super(message);
    this.name = name;
  }
}

export const headersTimeout = (): PoolError => new PoolError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error', 'HeadersTimeoutError');
export const bodyTimeout = (): PoolError => new PoolError('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error', 'BodyTimeoutError');
export const headersOverflow = (): PoolError => new PoolError('UND_ERR_HEADERS_OVERFLOW', 'Headers Overflow Error', 'HeadersOverflowError');
export const requestAborted = (): PoolError => new PoolError('UND_ERR_ABORTED', 'Request aborted', 'RequestAbortedError');
export const poolDestroyed = (): PoolError => new PoolError('UND_ERR_DESTROYED', 'The client is destroyed', 'ClientDestroyedError');
export const poolClosed = (): PoolError => new PoolError('UND_ERR_CLOSED', 'The client is closed', 'ClientClosedError');
export const invalidArgument = (message: string): PoolError => new PoolError('UND_ERR_INVALID_ARG', message, 'InvalidArgumentError');
export const notSupported = (message: string): PoolError => new PoolError('UND_ERR_NOT_SUPPORTED', message, 'NotSupportedError');
/** The socket ended or closed under a request ('other side closed', 'closed'), or sent bytes nobody asked for ('bad response'). */
export const socketError = (message: string): PoolError => new PoolError('UND_ERR_SOCKET', message, 'SocketError');
/** A body that is not as long as its Content-Length says (a request's: the user's header; a response's: cut short). */
export const lengthMismatch = (which: 'Request' | 'Response'): PoolError =>
  new PoolError(
    which === 'Request' ? 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' : 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
    `${which} body length does not match content-length header`,
    `${which}ContentLengthMismatchError`,
  );
export const connectTimeout = (host: string, port: number, ms: number): PoolError =>
  new PoolError('UND_ERR_CONNECT_TIMEOUT', `Connect Timeout Error (attempted address: ${host}:${port}, timeout: ${ms}ms)`, 'ConnectTimeoutError');

/** A response that breaks HTTP/1.1, worded as undici words llhttp's errors (`HPE_` codes). */
export function parseError(code: string, reason: string): PoolError {
  return new PoolError('HPE_' + code, `Response does not match the HTTP/1.1 protocol (${reason})`, 'HTTPParserError');
}
