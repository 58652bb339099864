/**
 * An HTTP/1.1 response parser over a socket's chunks, for the hand-written pool (h1-pool.ts): the
 * status line and headers as raw Buffer name/value pairs (subarrays of the chunk, no string per
 * header), then the body as subarrays too, delimited by Content-Length, chunked coding (extensions
 * and trailers read and dropped) or the end of the connection. 1xx heads are skipped. The head and
 * the trailers are bounded (MAX_HEAD_BYTES, as Node's --max-http-header-size); anything malformed
 * throws a coded error (h1-errors.ts) and the pool destroys the socket.
 *
 * A chunk may split anything anywhere: a head still arriving is kept as the chunks it came in and
 * joined once at its end (linear however it was split); the chunk-size lines are a byte state machine.
 */
import { headersOverflow, parseError } from './h1-errors.js';

/** The largest head (status line and headers) or trailer section read, bytes. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** What the parser reports to, one response at a time. False from either: stop here (pause) until execute is called again. */
export interface ResponseSink {
  onHead(status: number, rawHeaders: Buffer[]): boolean;
  onBody(chunk: Buffer): boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

const enum State {
  Head,
  /** A body of `remaining` bytes (Content-Length). */
  Length,
  /** Chunked: the size line's hex digits. */
  Size,
  /** Chunked: a chunk extension (or whitespace) up to the end of the size line. */
  Extension,
  Data,
  /** The CRLF after a chunk's data. */
  DataEnd,
  Trailers,
  /** No length: the body is everything up to the end of the connection. */
  UntilClose,
  Done,
}

/** tchar (RFC 9110 §5.6.2): what a header name may be made of. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = TOKEN[c + 0x20] = 1;

/** A header value's bytes: HTAB, visible ASCII and SP, obs-text (what llhttp and Node accept). */
const isValueByte = (c: number): boolean => c === HTAB || (c >= SP && c !== 0x7f);

/** `buf[from, from + lower.length)` is `lower` (lowercase ASCII) in any case. */
function isLower(buf: Buffer, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((buf[from + i] | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

export class ResponseParser {
  private state = State.Head;
  /** Chunks of a head (or trailer section) whose end has not arrived yet, and their length. */
  private parts: Buffer[] = [];
  private partLength = 0;
  /** Where the head scan is: 0 inside a line, 1 just after LF, 2 after CR at a line's start. */
  private eol = 0;
  /** A CR was read in a chunk-size line or after a chunk: the next byte must be LF. */
  private cr = false;
  private remaining = 0;
  /** Hex digits of the chunk size read so far, and bytes of the size line. */
  private digits = 0;
  private lineBytes = 0;
  /** The request was a HEAD: no body, whatever the headers say. */
  private noBody = false;
  /** The connection may carry the next request once this response is read. */
  keepAlive = true;
  /** The server's Keep-Alive: timeout=N hint, ms; -1 when it sent none. */
  keepAliveHint = -1;
  /** The status of the response being read (0 before its head). */
  status = 0;
  /** The sink said stop (or the response is done): execute returned where it stopped. */
  paused = false;

  /** Ready for the response to a new request. */
  reset(noBody: boolean): void {
    this.state = State.Head;
    this.parts = [];
    this.partLength = 0;
    this.eol = 0;
    this.cr = false;
    this.noBody = noBody;
    this.keepAlive = true;
    this.keepAliveHint = -1;
    this.status = 0;
    this.paused = false;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** The body runs to the end of the connection: its end now is the response's end. */
  get endsAtClose(): boolean {
    return this.state === State.UntilClose;
  }

  /** A body of known length was cut short by a connection the server said it would close. */
  get cutShort(): boolean {
    return this.state === State.Length && !this.keepAlive;
  }

  /** The connection ended: a body that runs to its end is complete. */
  finish(): void {
    if (this.state === State.UntilClose) this.state = State.Done;
  }

  /**
   * Parse `chunk` from `from` on: returns where it stopped, which is the chunk's end unless the
   * response is done (the rest is not this response's) or the sink paused.
   */
  execute(chunk: Buffer, from: number, sink: ResponseSink): number {
    this.paused = false;
    let i = from;
    const n = chunk.length;
    while (i < n && !this.paused) {
      switch (this.state) {
        case State.Head:
        case State.Trailers:
          i = this.head(chunk, i, sink);
          break;
        case State.Length: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          const body = i === 0 && take === n ? chunk : chunk.subarray(i, i + take);
          i += take;
          if (this.remaining === 0) this.state = State.Done;
          if (!sink.onBody(body) || this.state === State.Done) this.paused = true;
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          const body = chunk.subarray(i, i + take);
          i += take;
          if (this.remaining === 0) this.state = State.DataEnd;
          if (!sink.onBody(body)) this.paused = true;
          break;
        }
        case State.UntilClose: {
          const body = i === 0 ? chunk : chunk.subarray(i);
          i = n;
          if (!sink.onBody(body)) this.paused = true;
          break;
        }
        case State.Done:
          this.paused = true;
          break;
        default:
          i = this.sizeLine(chunk, i);
      }
    }
    return i;
  }

  /** Chunk-size lines and the CRLF after each chunk's data, a byte at a time. */
  private sizeLine(chunk: Buffer, i: number): number {
    const n = chunk.length;
    for (; i < n; i++) {
      const c = chunk[i];
      if (this.cr) {
        if (c !== LF) throw parseError('STRICT', 'Expected LF after CR');
        this.cr = false;
        return this.lineEnd(i + 1);
      }
      if (c === CR) {
        this.cr = true;
        continue;
      }
      if (c === LF) return this.lineEnd(i + 1);
      if (this.state === State.DataEnd) throw parseError('STRICT', 'Expected LF after chunk data');
      if (++this.lineBytes > MAX_HEAD_BYTES) throw headersOverflow();
      if (this.state === State.Extension) {
        if (c !== HTAB && (c < SP || c === 0x7f)) throw parseError('INVALID_CHUNK_SIZE', 'Invalid character in chunk extensions');
        continue;
      }
      const hex = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
      if (hex >= 0) {
        // More than 13 hex digits is beyond any length a double holds exactly.
        if (++this.digits > 13) throw parseError('INVALID_CHUNK_SIZE', 'Chunk size overflow');
        this.remaining = this.remaining * 16 + hex;
      } else if (this.digits > 0 && (c === 0x3b || c === SP || c === HTAB)) this.state = State.Extension;
      else throw parseError('INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
    }
    return i;
  }

  /** A size line (or a chunk's trailing CRLF) ended at `i`. */
  private lineEnd(i: number): number {
    if (this.state === State.DataEnd) {
      this.nextChunk();
      return i;
    }
    if (this.digits === 0) throw parseError('INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
    if (this.remaining > 0) this.state = State.Data;
    else {
      // The last chunk: the trailer section follows, read like a head and dropped.
      this.state = State.Trailers;
      this.eol = 1;
      this.parts = [];
      this.partLength = 0;
    }
    return i;
  }

  private nextChunk(): void {
    this.state = State.Size;
    this.remaining = 0;
    this.digits = 0;
    this.lineBytes = 0;
  }

  /** Scan for the end of the head (or trailers): a line with nothing on it. */
  private head(chunk: Buffer, from: number, sink: ResponseSink): number {
    const n = chunk.length;
    let eol = this.eol;
    let i = from;
    for (; i < n; i++) {
      const c = chunk[i];
      if (c === LF) {
        if (eol !== 0) break;
        eol = 1;
      } else if (c === CR) eol = eol === 1 ? 2 : eol === 2 ? 0 : eol;
      else eol = 0;
    }
    if (this.partLength + (i - from) > MAX_HEAD_BYTES) throw headersOverflow();
    if (i === n) {
      this.eol = eol;
      this.parts.push(from === 0 ? chunk : chunk.subarray(from));
      this.partLength += n - from;
      return n;
    }
    const end = i + 1;
    this.eol = 0;
    if (this.state === State.Trailers) {
      this.parts = [];
      this.partLength = 0;
      this.state = State.Done;
      this.paused = true;
      return end;
    }
    let head = chunk;
    let start = from;
    let stop = end;
    if (this.partLength > 0) {
      this.parts.push(chunk.subarray(from, end));
      head = Buffer.concat(this.parts, this.partLength + end - from);
      start = 0;
      stop = head.length;
      this.parts = [];
      this.partLength = 0;
    }
    const raw = this.parseHead(head, start, stop);
    // 1xx (100 Continue, 102, 103 Early Hints): the real answer follows.
    if (this.status < 200) {
      if (this.status === 101) throw parseError('INVALID_STATUS', 'Unexpected upgrade');
      this.keepAlive = true;
      this.keepAliveHint = -1;
      return end;
    }
    if (!sink.onHead(this.status, raw)) this.paused = true;
    if (this.state === State.Done) this.paused = true;
    return end;
  }

  /** The status line and header lines of head[start, stop) (which ends with its blank line). */
  private parseHead(h: Buffer, start: number, stop: number): Buffer[] {
    // HTTP/1.x SSS[ reason]
    if (
      stop - start < 13 ||
      h[start] !== 0x48 ||
      h[start + 1] !== 0x54 ||
      h[start + 2] !== 0x54 ||
      h[start + 3] !== 0x50 ||
      h[start + 4] !== 0x2f ||
      h[start + 5] !== 0x31 ||
      h[start + 6] !== 0x2e
    ) {
      throw parseError('INVALID_CONSTANT', 'Expected HTTP/');
    }
    const minor = h[start + 7];
    if ((minor !== 0x30 && minor !== 0x31) || h[start + 8] !== SP) throw parseError('INVALID_VERSION', 'Invalid HTTP version');
    let status = 0;
    for (let k = start + 9; k < start + 12; k++) {
      const d = h[k] - 0x30;
      if (d < 0 || d > 9) throw parseError('INVALID_STATUS', 'Invalid status code');
      status = status * 10 + d;
    }
    if (status < 100) throw parseError('INVALID_STATUS', 'Invalid status code');
    let i = start + 12;
    if (h[i] === SP) {
      for (i++; h[i] !== CR && h[i] !== LF; i++) if (!isValueByte(h[i])) throw parseError('INVALID_STATUS', 'Invalid status line char');
    }
    i = this.lineAfter(h, i);
    this.status = status;
    // HTTP/1.0 closes after each response unless it says keep-alive.
    let keepAlive = minor === 0x31 ? 1 : 0;
    let length = -1;
    let chunked = false;
    let encoded = false;
    const raw: Buffer[] = [];
    while (h[i] !== CR && h[i] !== LF) {
      const nameStart = i;
      while (TOKEN[h[i]] === 1) i++;
      if (h[i] !== COLON || i === nameStart) throw parseError('INVALID_HEADER_TOKEN', 'Invalid header field char');
      const nameEnd = i;
      i++;
      while (h[i] === SP || h[i] === HTAB) i++;
      const valueStart = i;
      let valueEnd = i;
      for (; h[i] !== CR && h[i] !== LF; i++) {
        const c = h[i];
        if (!isValueByte(c)) throw parseError('INVALID_HEADER_TOKEN', 'Invalid header value char');
        if (c !== SP && c !== HTAB) valueEnd = i + 1;
      }
      i = this.lineAfter(h, i);
      // obs-fold (a line that starts with whitespace) is gone from HTTP/1.1 (RFC 9112 §5.2).
      if (h[i] === SP || h[i] === HTAB) throw parseError('INVALID_HEADER_TOKEN', 'Unexpected whitespace after header value');
      raw.push(h.subarray(nameStart, nameEnd), h.subarray(valueStart, valueEnd));
      switch (nameEnd - nameStart) {
        case 14:
          if (isLower(h, nameStart, nameEnd, 'content-length')) {
            if (length !== -1) throw parseError('UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length');
            length = decimal(h, valueStart, valueEnd);
          }
          break;
        case 17:
          if (isLower(h, nameStart, nameEnd, 'transfer-encoding')) {
            encoded = true;
            // The last coding decides: chunked only when it is the final one.
            chunked = lastToken(h, valueStart, valueEnd) === 'chunked';
          }
          break;
        case 10:
          if (isLower(h, nameStart, nameEnd, 'connection')) keepAlive = connection(h, valueStart, valueEnd, keepAlive);
          else if (isLower(h, nameStart, nameEnd, 'keep-alive')) this.keepAliveHint = keepAliveTimeout(h, valueStart, valueEnd);
          break;
      }
    }
    if (this.lineAfter(h, i) !== stop) throw parseError('STRICT', 'Expected LF after CR');
    if (encoded && length !== -1) throw parseError('UNEXPECTED_CONTENT_LENGTH', "Content-Length can't be present with Transfer-Encoding");
    this.keepAlive = keepAlive === 1;
    if (status < 200) return raw;
    if (this.noBody || status === 204 || status === 304) this.state = State.Done;
    else if (chunked) this.nextChunk();
    else if (encoded) {
      // A coding other than chunked last: the body runs to the close (RFC 9112 §6.3).
      this.state = State.UntilClose;
      this.keepAlive = false;
    } else if (length === 0) this.state = State.Done;
    else if (length > 0) {
      this.state = State.Length;
      this.remaining = length;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
    return raw;
  }

  /** `i` is at the CR or LF ending a line: where the next line starts (a CR must be followed by LF). */
  private lineAfter(h: Buffer, i: number): number {
    if (h[i] === LF) return i + 1;
    if (h[i] !== CR) throw parseError('INVALID_STATUS', 'Invalid status line');
    if (h[i + 1] !== LF) throw parseError('STRICT', 'Expected LF after CR');
    return i + 2;
  }
}

/** A Content-Length value: decimal digits only (no list, no sign). */
function decimal(h: Buffer, from: number, to: number): number {
  if (from === to || to - from > 15) throw parseError('INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length');
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = h[i] - 0x30;
    if (d < 0 || d > 9) throw parseError('INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length');
    v = v * 10 + d;
  }
  return v;
}

/** The last comma-separated token of a value, lowercased. */
function lastToken(h: Buffer, from: number, to: number): string {
  const list = h.toString('latin1', from, to);
  return list
    .slice(list.lastIndexOf(',') + 1)
    .trim()
    .toLowerCase();
}

/** 1 when a Connection value keeps the connection open, 0 when it says close; `keepAlive` unchanged otherwise. */
function connection(h: Buffer, from: number, to: number, keepAlive: number): number {
  // Node's servers say keep-alive or close: no string for those two.
  if (isLower(h, from, to, 'keep-alive')) return 1;
  if (isLower(h, from, to, 'close')) return 0;
  const tokens = h.toString('latin1', from, to).toLowerCase().split(',');
  let out = keepAlive;
  for (const t of tokens) {
    const token = t.trim();
    if (token === 'close') return 0;
    if (token === 'keep-alive') out = 1;
  }
  return out;
}

/** The `timeout=N` of a Keep-Alive value, in ms; -1 without one. */
function keepAliveTimeout(h: Buffer, from: number, to: number): number {
  for (let i = from; i + 8 <= to; i++) {
    if (h[i] === 0x3d && i >= from + 7 && isLower(h, i - 7, i, 'timeout')) {
      let v = 0;
      let k = i + 1;
      for (; k < to && h[k] >= 0x30 && h[k] <= 0x39 && k - i < 10; k++) v = v * 10 + h[k] - 0x30;
      return k > i + 1 ? v * 1000 : -1;
    }
  }
  return -1;
}
