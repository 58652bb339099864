/**
 * A Server-Sent Events reader for Streamable HTTP responses: bytes in, one callback per complete
 * `message` event. Lines end with LF, CRLF or CR; chunks may split a line (or a UTF-8 character)
 * anywhere, so an unfinished line is kept as the chunks it came in (joined once, at its end: linear
 * in its length however it was split). Event ids and retry hints are kept as EventSource keeps them
 * (`lastEventId`, set when an event ends; `retry`, the server's reconnection time) so a stream the
 * server closes early can be resumed (http-post.ts); comments are skipped; events with an empty data
 * field (the 2025-11-25 priming event) deliver nothing; an unfinished event at the end of the body is
 * dropped, as EventSource does.
 *
 * An event's data, and an unfinished line, are bounded by `maxBytes` (the transport's payload bound):
 * beyond it push() returns false and the reader reads no more (the server's protocol error).
 */

const LF = 0x0a;
const CR = 0x0d;

export class SseReader {
  /** Chunks of a line whose end has not arrived yet, and their length. */
  private parts: Buffer[] = [];
  private partLength = 0;
  /** Data lines of the event being read, joined, and their length in bytes. */
  private data = '';
  private dataLength = 0;
  private hasData = false;
  /** The event's type is something other than `message`: its data is not a JSON-RPC message. */
  private otherType = false;
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  private afterCr = false;
  /** An event or a line went beyond maxBytes: nothing more is read. */
  private over = false;
  /** The id field of the event being read (EventSource's last event ID buffer). */
  private idBuffer: string | undefined;
  /** The id of the last event that ended (undefined: no event had one): Last-Event-ID when resuming. */
  lastEventId: string | undefined;
  /** The server's reconnection time (a `retry:` field), ms; undefined when it sent none. */
  retry: number | undefined;

  constructor(
    private readonly onEvent: (data: string) => void,
    private readonly maxBytes: number,
  ) {}

  /** Bytes held for the event being read (its data and its unfinished line). */
  get held(): number {
    return this.partLength + this.dataLength;
  }

  /** False once an event or a line is larger than maxBytes (then and from then on). */
  push(chunk: Buffer): boolean {
    if (this.over) return false;
    const n = chunk.length;
    let start = 0;
    if (this.afterCr && n > 0) {
      this.afterCr = false;
      if (chunk[0] === LF) start = 1;
    }
    let i = start;
    if (this.partLength > 0) {
      while (i < n && chunk[i] !== LF && chunk[i] !== CR) i++;
      const length = this.partLength + i - start;
      if (length > this.maxBytes) return this.overflow();
      if (i === n) {
        if (n > start) this.parts.push(start === 0 ? chunk : chunk.subarray(start));
        this.partLength = length;
        return true;
      }
      this.parts.push(chunk.subarray(start, i));
      const line = Buffer.concat(this.parts, length);
      this.parts = [];
      this.partLength = 0;
      this.line(line, 0, length);
      if (this.over) return false;
      start = i = this.lineEnd(chunk, i);
    }
    while (i < n) {
      const c = chunk[i];
      if (c !== LF && c !== CR) {
        i++;
        continue;
      }
      this.line(chunk, start, i);
      if (this.over) return false;
      start = i = this.lineEnd(chunk, i);
    }
    if (start < n) {
      if (n - start > this.maxBytes) return this.overflow();
      this.parts.push(chunk.subarray(start));
      this.partLength = n - start;
    }
    return true;
  }

  /** `i` is a line end (CR or LF) in `buf`: where the next line starts. */
  private lineEnd(buf: Buffer, i: number): number {
    if (buf[i] === CR) {
      if (i + 1 === buf.length) this.afterCr = true;
      else if (buf[i + 1] === LF) i++;
    }
    return i + 1;
  }

  private overflow(): false {
    this.over = true;
    this.parts = [];
    this.partLength = 0;
    this.data = '';
    this.dataLength = 0;
    return false;
  }

  private line(buf: Buffer, from: number, to: number): void {
    if (from === to) {
      // A blank line ends the event; its id, if it had one, is the stream's last event id even when it carries no data.
      if (this.idBuffer !== undefined) this.lastEventId = this.idBuffer;
      if (this.hasData && !this.otherType && this.data !== '') this.onEvent(this.data);
      this.data = '';
      this.dataLength = 0;
      this.hasData = false;
      this.otherType = false;
      return;
    }
    const colon = buf.indexOf(0x3a, from);
    const nameEnd = colon === -1 || colon > to ? to : colon;
    let valueStart = nameEnd + 1;
    if (valueStart < to && buf[valueStart] === 0x20) valueStart++;
    const nameLength = nameEnd - from;
    if (nameLength === 4 && buf.toString('latin1', from, nameEnd) === 'data') {
      const bytes = valueStart < to ? to - valueStart : 0;
      this.dataLength += bytes + (this.hasData ? 1 : 0);
      if (this.dataLength > this.maxBytes) {
        this.overflow();
        return;
      }
      const value = bytes > 0 ? buf.toString('utf8', valueStart, to) : '';
      // A raw newline can only sit between JSON tokens, so joining data lines with a space keeps
      // the message the same and leaves it on one line for the session's newline splitting.
      this.data = this.hasData ? this.data + ' ' + value : value;
      this.hasData = true;
    } else if (nameLength === 5 && buf.toString('latin1', from, nameEnd) === 'event') {
      const type = valueStart < to ? buf.toString('utf8', valueStart, to) : '';
      this.otherType = type !== '' && type !== 'message';
    } else if (nameLength === 2 && buf[from] === 0x69 && buf[from + 1] === 0x64) {
      // id: an id with a NUL in it is ignored (the SSE standard).
      const id = valueStart < to ? buf.toString('utf8', valueStart, to) : '';
      if (!id.includes('\0')) this.idBuffer = id;
    } else if (nameLength === 5 && buf.toString('latin1', from, nameEnd) === 'retry') {
      const value = valueStart < to ? buf.toString('latin1', valueStart, to) : '';
      if (/^\d+$/.test(value)) this.retry = Number(value);
    }
    // Comments (a leading colon) and unknown fields are ignored.
  }
}
