/**
 * Frames in and out of the target.
 *
 * In: a WebSocket text frame holds one JSON-RPC message, with or without a trailing `\n`
 * (mcpload and erlmcp-style clients end frames with `\n`; the official SDK's
 * WebSocketClientTransport does not), or several messages separated by `\n`.
 *
 * Out: every frame the target sends ends with `\n`, like erlmcp. Clients must tolerate that;
 * JSON.parse does (trailing whitespace is allowed), which is all the SDK client does with a frame.
 */

export const FRAME_TERMINATOR = '\n';

/** Stands in for a line that is not JSON, so the caller can answer -32700 in order. */
export const BAD_JSON: unique symbol = Symbol('bad JSON');
export type JsonRpcId = string | number | null;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return BAD_JSON;
  }
}

/** Calls onMessage for each message in a frame, in order: parsed JSON or BAD_JSON. */
export function forEachMessage(text: string, onMessage: (message: unknown) => void): void {
  const firstNewline = text.indexOf('\n');
  // The common cases (no newline, or only the terminator) cost exactly one JSON.parse.
  if (firstNewline === -1 || firstNewline === text.length - 1) {
    onMessage(parse(text));
    return;
  }
  const lines = text.split('\n');
  const messages: unknown[] = [];
  let anyBad = false;
  for (const line of lines) {
    if (line.trim().length === 0) continue;
    const message = parse(line);
    if (message === BAD_JSON) anyBad = true;
    messages.push(message);
  }
  // A pretty-printed message also has newlines in it: if the lines do not parse, try the whole frame.
  if (anyBad) {
    const whole = parse(text);
    if (whole !== BAD_JSON) {
      onMessage(whole);
      return;
    }
  }
  for (const message of messages) onMessage(message);
}

function idText(id: JsonRpcId): string {
  return typeof id === 'number' ? String(id) : JSON.stringify(id);
}

/** A result frame around result JSON that is already serialized. */
export function resultFrame(id: JsonRpcId, resultJson: string): string {
  return '{"jsonrpc":"2.0","id":' + idText(id) + ',"result":' + resultJson + '}' + FRAME_TERMINATOR;
}

export function errorFrame(id: JsonRpcId, code: number, message: string): string {
  return '{"jsonrpc":"2.0","id":' + idText(id) + ',"error":{"code":' + code + ',"message":' + JSON.stringify(message) + '}}' + FRAME_TERMINATOR;
}

/** A server->client request without params (the target only sends `ping`). */
export function requestFrame(id: string, method: string): string {
  return '{"jsonrpc":"2.0","id":' + JSON.stringify(id) + ',"method":' + JSON.stringify(method) + '}' + FRAME_TERMINATOR;
}
