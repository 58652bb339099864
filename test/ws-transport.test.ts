/**
 * The WebSocket transport's own framing and read ends, against a real `ws` server on loopback: frames
 * held for a turn reach the server whole, in order and before the close frame; the messages of one
 * socket read are followed by one read end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { connectWebSocket } from '../src/worker/transport/ws.js';
import type { Transport, TransportEvents } from '../src/worker/transport/transport.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function server(onConnection: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  wss.on('connection', onConnection);
  await new Promise((r) => wss.once('listening', r));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
}

function connect(url: string, log: string[]): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let t: Transport | undefined = undefined;
    const events: TransportEvents = {
      onopen: () => resolve(t!),
      onmessage: (data) => log.push(`message ${data.toString()}`),
      onreadend: () => log.push('readend'),
      onclose: (r) => log.push(`close ${r.code}`),
      onerror: reject,
    };
    t = connectWebSocket({ url, headers: {}, maxPayload: 1 << 20 }, events);
  });
}

describe('WebSocket transport', () => {
  it('writes the frames held for a turn whole, masked and in order, before its close frame', async () => {
    const got: string[] = [];
    let closed!: (v: unknown) => void;
    const done = new Promise((r) => (closed = r));
    const url = await server((ws) => {
      ws.on('message', (d: Buffer) => got.push(d.toString()));
      ws.on('close', (code) => {
        got.push(`close ${code}`);
        closed(undefined);
      });
    });
    const t = await connect(url, []);
    t.holdTurn!();
    for (let i = 0; i < 50; i++) t.send(Buffer.from(`{"id":${i}}`));
    // Held, not yet written: counted as buffered.
    expect(t.bufferedAmount).toBeGreaterThanOrEqual(50 * 14);
    t.close(1000);
    await done;
    // ws's server rejects unmasked client frames (1002): these arrived masked and whole.
    expect(got).toEqual([...Array.from({ length: 50 }, (_, i) => `{"id":${i}}`), 'close 1000']);
  });

  it('sends a frame outside a held turn at once, and a string like a buffer', async () => {
    const got: string[] = [];
    let two!: (v: unknown) => void;
    const arrived = new Promise((r) => (two = r));
    const url = await server((ws) =>
      ws.on('message', (d: Buffer) => {
        if (got.push(d.toString()) === 2) two(undefined);
      }),
    );
    const t = await connect(url, []);
    expect(t.send('{"a":1}')).toBe(true);
    expect(t.send(Buffer.alloc(0))).toBe(true);
    await arrived;
    expect(got).toEqual(['{"a":1}', '']);
    t.close(1000);
  });

  it('reuses no wire buffer the socket still holds: frames sent faster than the peer reads arrive whole', async () => {
    // Same-size frames (a template's) share pooled wire buffers; with the server not reading, the
    // kernel's buffers fill (the 64-bit-length frames first, ~21 MB, too big to be pooled) and later
    // writes queue in the socket, so a buffer reused too early would show up as a corrupted or
    // repeated message. Sizes cover the 64-, 7- and 16-bit length headers.
    const sizes = [70_000, 64, 2048];
    const perSize = 300;
    const body = (n: number, size: number) => {
      const head = `{"n":${n},"pad":"`;
      return head + String.fromCharCode(97 + (n % 26)).repeat(size - head.length - 2) + '"}';
    };
    const want: string[] = [];
    const got: string[] = [];
    let all!: (v: unknown) => void;
    const arrived = new Promise((r) => (all = r));
    let peer: WebSocket | undefined;
    const url = await server((ws) => {
      peer = ws;
      ws.pause();
      ws.on('message', (d: Buffer) => {
        if (got.push(d.toString()) === want.length) all(undefined);
      });
    });
    const t = await connect(url, []);
    let n = 0;
    for (const size of sizes)
      for (let i = 0; i < perSize; i++) {
        // Alternately held for a turn (written on the next tick) and written at once.
        if (i % 20 === 0) t.holdTurn!();
        const text = body(n++, size);
        want.push(text);
        expect(t.send(Buffer.from(text))).toBe(true);
        if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      }
    await new Promise((r) => setTimeout(r, 50));
    peer!.resume();
    await arrived;
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) expect(got[i].slice(0, 40)).toBe(want[i].slice(0, 40));
    expect(got).toEqual(want);
    t.close(1000);
  });

  it('tells one read end after the messages of one socket read', async () => {
    const log: string[] = [];
    const url = await server((ws) =>
      ws.on('message', () => {
        // Three server frames (unmasked, text) in one TCP write.
        const frame = (s: string) => Buffer.concat([Buffer.from([0x81, s.length]), Buffer.from(s)]);
        (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.concat([frame('a'), frame('b'), frame('c')]));
      }),
    );
    const t = await connect(url, log);
    t.send('go');
    const until = Date.now() + 5000;
    while (!log.includes('readend') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['message a', 'message b', 'message c', 'readend']);
    t.close(1000);
  });
});
