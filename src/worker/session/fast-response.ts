/**
 * The id of a successful response, found without parsing the JSON when the frame has one of the two
 * shapes servers actually write: `{"jsonrpc":"2.0","id":N,"result":…}` (mcpload serve, most
 * hand-written servers) and `{"result":…,"jsonrpc":"2.0","id":N}` (the MCP TypeScript SDK), one
 * message per frame with at most a trailing newline. Anything else — errors, notifications, server
 * requests, batches, string ids, several messages in a frame, other key orders — returns -1 and
 * takes the full `JSON.parse` path.
 *
 * What is not checked on this path: that the result itself is well-formed JSON. A load generator
 * records the round trip; it does not validate result payloads (the SDK's clients do, per message,
 * at a cost that would dominate here).
 */

const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');
const RESULT_AFTER_ID = Buffer.from(',"result":');
const RESULT_FIRST = Buffer.from('{"result":');
const TAIL = Buffer.from(',"jsonrpc":"2.0","id":');
const NEWLINE = 0x0a;
const CLOSE = 0x7d; // }
const ZERO = 0x30;
const NINE = 0x39;
/** Ids mcpload issues stay below 2^53: 15 digits. */
const MAX_DIGITS = 15;

function startsWith(buf: Buffer, prefix: Buffer, at: number): boolean {
  if (buf.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Where the result's value begins in the last frame resultId() accepted (0: it accepted none): saysComplete()
 * looks there first. A module variable, not a returned pair, so the fast path allocates nothing.
 */
let resultAt = 0;

export function resultId(buf: Buffer): number {
  resultAt = 0;
  let end = buf.length;
  if (end > 0 && buf[end - 1] === NEWLINE) end--;
  if (end < 2 || buf[end - 1] !== CLOSE) return -1;
  // One message only: a newline inside the frame means several messages (JSON text has no raw newlines
  // inside strings, but may have them as whitespace: either way, the full path handles it).
  const nl = buf.indexOf(NEWLINE);
  if (nl !== -1 && nl < end) return -1;
  if (startsWith(buf, HEAD, 0)) {
    let i = HEAD.length;
    let id = 0;
    const first = i;
    while (i < end && buf[i] >= ZERO && buf[i] <= NINE) id = id * 10 + (buf[i++] - ZERO);
    const digits = i - first;
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && buf[first] === ZERO)) return -1;
    if (!startsWith(buf, RESULT_AFTER_ID, i)) return -1;
    resultAt = i + RESULT_AFTER_ID.length;
    return id;
  }
  if (startsWith(buf, RESULT_FIRST, 0)) {
    // Walk back over the digits before the closing brace, then expect the jsonrpc/id tail.
    let i = end - 1;
    let id = 0;
    let scale = 1;
    while (i > 0 && buf[i - 1] >= ZERO && buf[i - 1] <= NINE) {
      i--;
      id += (buf[i] - ZERO) * scale;
      scale *= 10;
    }
    const digits = end - 1 - i;
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && buf[i] === ZERO)) return -1;
    const tailAt = i - TAIL.length;
    if (!(tailAt > RESULT_FIRST.length && startsWith(buf, TAIL, tailAt))) return -1;
    resultAt = RESULT_FIRST.length;
    return id;
  }
  return -1;
}

/** The `isError` key as every JSON serializer writes it (they escape only control and non-ASCII characters). */
const IS_ERROR = Buffer.from('"isError"');
const KEY_LENGTH = IS_ERROR.length;
/** Horspool's shift per byte under the window's last position: how far `key` may move before it could match. */
function horspoolShifts(key: Buffer): Uint8Array {
  const shifts = new Uint8Array(256).fill(key.length);
  for (let k = 0; k < key.length - 1; k++) shifts[key[k]] = key.length - 1 - k;
  return shifts;
}
const SHIFT = horspoolShifts(IS_ERROR);
const QUOTE = 0x22;
const CAPITAL_E = 0x45;
/** Up to this size a JavaScript scan beats Buffer.indexOf, whose call costs more than the search of a short frame. */
const NATIVE_FROM_BYTES = 512;

/**
 * Whether a tools/call result may be a tool error: its frame holds the bytes `"isError"` anywhere (a
 * Horspool scan, which mostly steps 5 to 9 bytes at a time; Buffer.indexOf past NATIVE_FROM_BYTES). A
 * text that mentions it does not match (its quotes are escaped: `\"isError\"`); a false alarm
 * (`"isError": false`, a nested one, a text that is exactly `isError`) only costs the full parse, which
 * reads `result.isError` itself. A frame without those bytes cannot be a tool error.
 */
export function mayBeToolError(buf: Buffer): boolean {
  const end = buf.length;
  if (end > NATIVE_FROM_BYTES) return buf.indexOf(IS_ERROR) !== -1;
  for (let i = 0; i + KEY_LENGTH <= end;) {
    const last = buf[i + KEY_LENGTH - 1];
    if (last === QUOTE && buf[i + 3] === CAPITAL_E && startsWith(buf, IS_ERROR, i)) return true;
    i += SHIFT[last];
  }
  return false;
}

/** 2026-07-28's ordinary result, as every JSON serializer writes it (no whitespace: JSON.stringify, the SDKs). */
const COMPLETE = Buffer.from('"resultType":"complete"');
const COMPLETE_LENGTH = COMPLETE.length;
const COMPLETE_SHIFT = horspoolShifts(COMPLETE);
const LOWER_C = 0x63;
const OPEN = 0x7b; // {

/**
 * Whether a 2026-07-28 success frame (one resultId() has just accepted) says `"resultType":"complete"`:
 * first where a result that leads with it has it (one compare right after `"result":{`: mcpload serve,
 * servers that write it first), else a Horspool scan like mayBeToolError's, with a 23-byte key that
 * mostly steps 10 or more bytes at a time. A frame without it takes the full parse, which reads
 * `result.resultType` itself (input_required, missing, unknown); a text that holds those bytes has its
 * quotes escaped, so it does not match.
 */
export function saysComplete(buf: Buffer): boolean {
  const end = buf.length;
  const at = resultAt;
  if (at > 0 && buf[at] === OPEN && at + 1 + COMPLETE_LENGTH <= end && startsWith(buf, COMPLETE, at + 1)) return true;
  if (end > NATIVE_FROM_BYTES) return buf.indexOf(COMPLETE) !== -1;
  for (let i = 0; i + COMPLETE_LENGTH <= end;) {
    const last = buf[i + COMPLETE_LENGTH - 1];
    if (last === QUOTE && buf[i + 14] === LOWER_C && startsWith(buf, COMPLETE, i)) return true;
    i += COMPLETE_SHIFT[last];
  }
  return false;
}
