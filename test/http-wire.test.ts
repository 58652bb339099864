/**
 * The byte-level pieces of the Streamable HTTP transport: the SSE reader, the 2026-07-28 routing
 * headers each frame template carries for its requests, and request frames carrying the stateless
 * revision's `_meta` at an exact size.
 */
import { describe, expect, it } from 'vitest';
import { SseReader } from '../src/worker/transport/http-sse.js';
import { headerValue, routeOf } from '../src/worker/transport/http-headers.js';
import { FrameTemplate } from '../src/worker/frames.js';

function read(chunks: (string | Buffer)[], maxBytes = 1 << 20): string[] {
  const events: string[] = [];
  const reader = new SseReader((data) => events.push(data), maxBytes);
  for (const c of chunks) reader.push(typeof c === 'string' ? Buffer.from(c) : c);
  return events;
}

describe('SseReader', () => {
  it('reads message events, skipping ids, retry hints, comments, priming events and other event types', () => {
    const stream =
      ': comment\n\nid: 1\nretry: 500\ndata: \n\n' + // priming event: empty data, nothing delivered
      'event: message\nid: 2\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n' +
      'event: other\ndata: {"not":"json-rpc"}\n\n' +
      'data: {"jsonrpc":"2.0",\ndata: "method":"notifications/message"}\n\n';
    expect(read([stream])).toEqual(['{"jsonrpc":"2.0","id":1,"result":{}}', '{"jsonrpc":"2.0", "method":"notifications/message"}']);
  });

  it('joins lines split across chunks anywhere, with CRLF or CR endings, and multi-byte characters cut in half', () => {
    const text = 'data: {"text":"héllo ✓"}\r\n\r\ndata: {"b":2}\r\r';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(read([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"text":"héllo ✓"}', '{"b":2}']);
    }
    // One byte at a time.
    expect(read([...bytes].map((b) => Buffer.from([b])))).toEqual(['{"text":"héllo ✓"}', '{"b":2}']);
  });

  it('drops an event the stream ended in the middle of', () => {
    expect(read(['data: {"a":1}\n\ndata: {"b":'])).toEqual(['{"a":1}']);
  });
});

describe('SseReader bounds', () => {
  it('an event whose data passes maxBytes, across lines or within one split line, stops the reader', () => {
    const events: string[] = [];
    const reader = new SseReader((data) => events.push(data), 16);
    expect(reader.push(Buffer.from('data: {"a":1}\n\n'))).toBe(true);
    expect(reader.push(Buffer.from('data: 0123456789\n'))).toBe(true);
    expect(reader.push(Buffer.from('data: 0123456789\n'))).toBe(false); // 10 + 1 + 10 bytes of data
    expect(reader.push(Buffer.from('\ndata: {"b":2}\n\n'))).toBe(false); // nothing more is read
    expect(events).toEqual(['{"a":1}']);

    const split = new SseReader(() => {}, 16);
    expect(split.push(Buffer.from('data: 01234'))).toBe(true);
    expect(split.held).toBe(11);
    expect(split.push(Buffer.from('56789'))).toBe(true);
    expect(split.push(Buffer.from('abcdef'))).toBe(false); // an unfinished line of 22 bytes
  });

  it('a line split into many chunks is joined once, whole', () => {
    const chunks = ['data: {"t":"', ...Array.from({ length: 1000 }, () => 'x'), '"}', '\n\n'];
    expect(read(chunks)).toEqual([`{"t":"${'x'.repeat(1000)}"}`]);
  });
});

describe('routing headers (SEP-2243)', () => {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const route = (method: string, params?: Record<string, unknown>) => new FrameTemplate({ method, weight: 1, params }, 300, 'newline', meta).route;

  it('names the method on every request, and the tool, prompt or resource where the method has one', () => {
    expect(route('tools/call', { arguments: { text: 'x' }, name: 'echo' })).toEqual(['mcp-method', 'tools/call', 'mcp-name', 'echo']);
    expect(route('prompts/get', { arguments: { name: 'not me' }, name: 'greeting' })).toEqual(['mcp-method', 'prompts/get', 'mcp-name', 'greeting']);
    expect(route('resources/read', { uri: 'mcpload://resources/1' })).toEqual(['mcp-method', 'resources/read', 'mcp-name', 'mcpload://resources/1']);
    expect(route('tools/list')).toEqual(['mcp-method', 'tools/list']);
    // A name that is not a string names nothing; a method that names nothing carries no Mcp-Name.
    expect(route('tools/call', { name: 5, uri: 'x' })).toEqual(['mcp-method', 'tools/call']);
    expect(route('tools/list', { name: 'echo' })).toEqual(['mcp-method', 'tools/list']);
    expect(routeOf('server/discover')).toEqual(['mcp-method', 'server/discover']);
  });

  it('encodes names that cannot ride as plain ASCII, and the sentinel itself', () => {
    expect(headerValue('echo')).toBe('echo');
    expect(headerValue('héllo')).toBe(`=?base64?${Buffer.from('héllo').toString('base64')}?=`);
    expect(headerValue(' padded ')).toBe(`=?base64?${Buffer.from(' padded ').toString('base64')}?=`);
    expect(headerValue('=?base64?abc?=')).toMatch(/^=\?base64\?.+\?=$/);
    expect(headerValue('=?base64?abc?=')).not.toBe('=?base64?abc?=');
    expect(route('tools/call', { name: 'ünï "q"', arguments: {} })[3]).toBe(headerValue('ünï "q"'));
  });
});

describe('FrameTemplate with the stateless revision _meta', () => {
  it('carries version, capabilities and client info in params._meta at exactly the message size', () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'mcpload', version: '0.1.0' },
    };
    const entry = { method: 'tools/call', weight: 1, params: { arguments: { text: 'hi' }, name: 'echo', _meta: { mine: 1 } } };
    for (const size of [400, 512, 2048]) {
      const template = new FrameTemplate(entry, size, 'newline', meta);
      for (const id of [1, 99, 123456789]) {
        const frame = template.frame(id);
        expect(frame.length).toBe(size);
        const msg = JSON.parse(frame.toString());
        expect(msg.id).toBe(id);
        expect(Object.keys(msg.params)[0]).toBe('name');
        expect(msg.params._meta).toMatchObject({ ...meta, mine: 1 });
      }
    }
  });
});
