/**
 * The response fast path: which frames it takes (and their ids), and that everything else is left
 * to the full JSON.parse path. Each accepted frame is also checked against JSON.parse, so the fast
 * path never disagrees with the parser on a well-formed message.
 */
import { describe, expect, it } from 'vitest';
import { resultId, saysComplete } from '../src/worker/session/fast-response.js';

const b = (s: string) => Buffer.from(s);

describe('resultId', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":1,"result":{}}', 1],
    ['{"jsonrpc":"2.0","id":1234567,"result":{"content":[{"type":"text","text":"hi"}]}}\n', 1234567],
    ['{"jsonrpc":"2.0","id":0,"result":null}', 0],
    ['{"result":{},"jsonrpc":"2.0","id":42}', 42],
    ['{"result":{"id":7,"jsonrpc":"2.0"},"jsonrpc":"2.0","id":8}\n', 8],
    ['{"jsonrpc":"2.0","id":999999999999999,"result":{}}', 999999999999999],
  ])('takes %s as a success response to id %i', (frame, id) => {
    expect(resultId(b(frame))).toBe(id);
    const parsed = JSON.parse(frame);
    expect(parsed.id).toBe(id);
    expect(parsed.error).toBeUndefined();
  });

  it.each([
    ['an error response', '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}}'],
    ['an error response, SDK key order', '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"},"result":{}}'],
    ['a server request', '{"jsonrpc":"2.0","id":1,"method":"ping"}'],
    ['a notification', '{"jsonrpc":"2.0","method":"notifications/progress","params":{}}'],
    ['a string id', '{"jsonrpc":"2.0","id":"1","result":{}}'],
    ['a negative id', '{"jsonrpc":"2.0","id":-1,"result":{}}'],
    ['a fractional id', '{"jsonrpc":"2.0","id":1.5,"result":{}}'],
    ['a leading zero', '{"jsonrpc":"2.0","id":01,"result":{}}'],
    ['a 16-digit id', '{"jsonrpc":"2.0","id":1234567890123456,"result":{}}'],
    ['two messages in one frame', '{"jsonrpc":"2.0","id":1,"result":{}}\n{"jsonrpc":"2.0","id":2,"result":{}}\n'],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"result":{}}]'],
    ['a truncated frame', '{"jsonrpc":"2.0","id":1,"result":{'],
    ['CRLF-terminated', '{"jsonrpc":"2.0","id":1,"result":{}}\r\n'],
    ['whitespace in the head', '{ "jsonrpc":"2.0","id":1,"result":{}}'],
    ['the SDK order with a string id', '{"result":{},"jsonrpc":"2.0","id":"5"}'],
    ['the SDK order without a jsonrpc tail', '{"result":{},"id":5}'],
    ['not JSON', 'hello'],
    ['empty', ''],
  ])('leaves %s to the full parser', (_what, frame) => {
    expect(resultId(b(frame))).toBe(-1);
  });
});

describe('saysComplete (2026-07-28 resultType on the fast path)', () => {
  const says = (text: string) => {
    const buf = Buffer.from(text);
    return resultId(buf) >= 0 && saysComplete(buf);
  };
  it('finds "complete" first (mcpload serve), last or nested among other keys (the scan)', () => {
    expect(says('{"jsonrpc":"2.0","id":12,"result":{"resultType":"complete","content":[]}}\n')).toBe(true);
    expect(says('{"jsonrpc":"2.0","id":12,"result":{"content":[],"resultType":"complete"}}')).toBe(true);
    expect(says('{"result":{"resultType":"complete","tools":[]},"jsonrpc":"2.0","id":7}')).toBe(true);
    expect(says(`{"jsonrpc":"2.0","id":3,"result":{"text":"${'x'.repeat(900)}","resultType":"complete"}}`)).toBe(true);
  });
  it('sends everything else to the full parse: input_required, missing, unknown, a text that mentions it', () => {
    expect(says('{"jsonrpc":"2.0","id":12,"result":{"resultType":"input_required","inputRequests":{}}}')).toBe(false);
    expect(says('{"jsonrpc":"2.0","id":12,"result":{"content":[]}}')).toBe(false);
    expect(says('{"jsonrpc":"2.0","id":12,"result":{"resultType":"completed"}}')).toBe(false);
    expect(says('{"jsonrpc":"2.0","id":12,"result":{"content":[{"type":"text","text":"\\"resultType\\":\\"complete\\""}]}}')).toBe(false);
  });
});
