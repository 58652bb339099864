/**
 * A Server-Sent Events reader for Streamable HTTP responses: bytes in, one callback per complete
 * `message` event. Lines end with LF, CRLF or CR; chunks may split a line (or a UTF-8 character)
 * anywhere, so an unfinished line is kept as bytes until its end arrives. Event ids, retry hints and
 * comments are skipped (mcpload does not resume streams); events with an empty data field (the
 * 2025-11-25 priming event) deliver nothing; an unfinished event at the end of the body is dropped,
 * as EventSource does.
 */

const LF = 0x0a;
const CR = 0x0d;

export class SseReader {
  /** Bytes of a line whose end has not arrived yet. */
  private partial: Buffer | undefined;
  /** Data lines of the event being read, joined. */
  private data = '';
  private hasData = false;
  /** The event's type is something other than `message`: its data is not a JSON-RPC message. */
  private otherType = false;
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  private afterCr = false;

  constructor(private readonly onEvent: (data: string) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    let start = 0;
    if (this.afterCr && buf.length > 0) {
      this.afterCr = false;
      if (buf[0] === LF) start = 1;
    }
    if (this.partial) {
      buf = Buffer.concat([this.partial, buf.subarray(start)]);
      start = 0;
      this.partial = undefined;
    }
    const n = buf.length;
    let i = start;
    while (i < n) {
      const c = buf[i];
      if (c !== LF && c !== CR) {
        i++;
        continue;
      }
      this.line(buf, start, i);
      if (c === CR) {
        if (i + 1 === n) this.afterCr = true;
        else if (buf[i + 1] === LF) i++;
      }
      start = ++i;
    }
    if (start < n) this.partial = buf.subarray(start);
  }

  private line(buf: Buffer, from: number, to: number): void {
    if (from === to) {
      // A blank line ends the event.
      if (this.hasData && !this.otherType && this.data !== '') this.onEvent(this.data);
      this.data = '';
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
      const value = valueStart < to ? buf.toString('utf8', valueStart, to) : '';
      // A raw newline can only sit between JSON tokens, so joining data lines with a space keeps
      // the message the same and leaves it on one line for the session's newline splitting.
      this.data = this.hasData ? this.data + ' ' + value : value;
      this.hasData = true;
    } else if (nameLength === 5 && buf.toString('latin1', from, nameEnd) === 'event') {
      const type = valueStart < to ? buf.toString('utf8', valueStart, to) : '';
      this.otherType = type !== '' && type !== 'message';
    }
    // id:, retry:, comments (a leading colon) and unknown fields are ignored.
  }
}
