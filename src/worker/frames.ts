/**
 * Request frames are built once per mix entry and only the id is spliced in per request
 * (autocannon's requestIterator habit). The message is padded so that the JSON text plus the
 * frame terminator is exactly the profile's messageSize in bytes; the padding lives in
 * `params._meta["mcpload/pad"]`, which MCP allows on every request and servers ignore.
 */
import type { FrameTerminator, RequestSpec } from '../shared/types.js';
import type { Route } from './transport/transport.js';
import { routeOf } from './transport/http-headers.js';

export const PAD_KEY = 'mcpload/pad';
/** Ids are per session and grow by one per request: 15 digits is plenty and stays a safe integer. */
const MAX_ID_DIGITS = 15;

/** What a request's frame is built from: the session's facts templates may use (templated-frame.ts). */
export interface FrameContext {
  /** The session's index within its engine. */
  readonly slot: number;
  /** The session's mix requests so far, this one included. */
  readonly seq: number;
}

/** A mix entry's prebuilt request frames: FrameTemplate (fixed params) or TemplatedFrame. */
export interface RequestFrames {
  readonly method: string;
  readonly route: Route;
  readonly minimumSize: number;
  /** Its requests ask for progress (progress-frame.ts): the session watches their notifications. */
  readonly progress?: boolean;
  frame(id: number, s: FrameContext): Buffer;
}

export class FrameTemplate implements RequestFrames {
  readonly method: string;
  /** What the request is, for transports that say it outside the body (Transport.send). */
  readonly route: Route;
  /** `{"jsonrpc":"2.0","id":` */
  private readonly head: Buffer;
  /** The rest of the frame after the id, one per id digit count, each padded so the frame hits the size. */
  private readonly tails: Buffer[];
  /** The smallest frame this template can produce (no padding), for validation messages. */
  readonly minimumSize: number;

  /**
   * `meta`: keys every request carries in `params._meta` (the stateless revision's protocol version,
   * capabilities and client info); the padding still makes the frame exactly `messageSize`.
   */
  constructor(entry: RequestSpec, messageSize: number, terminator: FrameTerminator, meta?: Record<string, unknown>) {
    this.method = entry.method;
    this.route = routeOf(entry.method, entry.params, entry.paramHeaders);
    this.head = Buffer.from('{"jsonrpc":"2.0","id":');
    const end = terminator === 'newline' ? '\n' : '';
    this.tails = [];
    let minimum = Infinity;
    const bare = frameTail(entry.method, entry.params, meta, undefined, end);
    const wrapped = frameTail(entry.method, entry.params, meta, '', end);
    for (let digits = 1; digits <= MAX_ID_DIGITS; digits++) {
      const fixed = this.head.length + digits;
      minimum = Math.min(minimum, fixed + Buffer.byteLength(bare));
      const room = messageSize - fixed - Buffer.byteLength(wrapped);
      let tail: string;
      if (room >= 0) tail = frameTail(entry.method, entry.params, meta, 'x'.repeat(room), end);
      else {
        // Too small for the _meta wrapper: make up the difference with JSON whitespace before the
        // closing brace, so the size is still exact whenever the bare message fits.
        const spaces = Math.max(0, messageSize - fixed - Buffer.byteLength(bare));
        tail = bare.slice(0, bare.lastIndexOf('}')) + ' '.repeat(spaces) + bare.slice(bare.lastIndexOf('}'));
      }
      this.tails.push(Buffer.from(tail));
    }
    this.minimumSize = minimum;
  }

  /** A fresh buffer holding the whole frame for request `id` (ws may mask it in place). */
  frame(id: number): Buffer {
    const idText = String(id);
    return splice(this.head, idText, this.tails[idText.length - 1]);
  }
}

/** The frame after the id; `pad` undefined: no padding field at all. */
export function frameTail(
  method: string,
  entryParams: Record<string, unknown> | undefined,
  requestMeta: Record<string, unknown> | undefined,
  pad: string | undefined,
  end: string,
): string {
  let params: Record<string, unknown> | undefined = entryParams;
  if (requestMeta) {
    // name/uri first in params (what Mcp-Name carries, http-headers.ts): where a reader of the body finds it soonest.
    const { name, uri, ...rest } = params ?? {};
    params = { ...(name !== undefined ? { name } : {}), ...(uri !== undefined ? { uri } : {}), ...rest };
    params._meta = { ...(params._meta ?? {}), ...requestMeta };
  }
  if (pad !== undefined) {
    const meta = { ...((params?._meta as Record<string, unknown>) ?? {}), [PAD_KEY]: '' };
    params = { ...(params ?? {}), _meta: meta };
  }
  let text = `,"method":${JSON.stringify(method)}`;
  if (params) text += `,"params":${JSON.stringify(params)}`;
  text += '}' + end;
  // The pad string is spliced in after stringify so its length is exact (x never needs escaping).
  return pad ? text.replace(`"${PAD_KEY}":""`, `"${PAD_KEY}":"${pad}"`) : text;
}

/** A fresh buffer: `head`, the id's digits, `tail`. */
function splice(head: Buffer, idText: string, tail: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(head.length + idText.length + tail.length);
  head.copy(buf, 0);
  buf.write(idText, head.length, 'latin1');
  tail.copy(buf, head.length + idText.length);
  return buf;
}

/**
 * `notifications/cancelled` for a request that timed out (MCP lifecycle, Timeouts: the sender SHOULD
 * cancel it), built once per engine with only the request id spliced in: a server flooded with
 * timeouts meets as many cancellations, and mcpload spends no JSON building on them.
 */
export class CancelTemplate {
  private readonly head = Buffer.from('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":');
  private readonly tail: Buffer;

  constructor(reason: string, terminator: FrameTerminator) {
    this.tail = Buffer.from(`,"reason":${JSON.stringify(reason)}}}` + (terminator === 'newline' ? '\n' : ''));
  }

  frame(id: number): Buffer {
    return splice(this.head, String(id), this.tail);
  }
}

/** One-off frames (handshake, notifications, replies to server requests): not on the hot path. */
export function jsonFrame(message: object, terminator: FrameTerminator): string {
  return JSON.stringify(message) + (terminator === 'newline' ? '\n' : '');
}

/**
 * A deterministic sequence of mix indices with exactly the configured proportions
 * (smooth weighted round-robin), so the sent mix matches the profile without randomness.
 */
export function mixSequence(weights: number[], length = 1000): Uint16Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = new Float64Array(weights.length);
  const out = new Uint16Array(length);
  for (let i = 0; i < length; i++) {
    let best = 0;
    for (let k = 0; k < weights.length; k++) {
      current[k] += weights[k];
      if (current[k] > current[best]) best = k;
    }
    current[best] -= total;
    out[i] = best;
  }
  return out;
}
