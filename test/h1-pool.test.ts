/**
 * The hand-written HTTP/1.1 pool (h1-pool.ts) and its response parser (h1-response.ts), against real
 * local `net` servers that answer exactly the bytes each test writes: splits at every byte, keep-alive
 * and Connection: close, oversize heads, servers that close or reset mid-body, pauses, aborts,
 * timeouts, and the same failures through undici's Pool, whose codes and messages the pool keeps.
 */
import { once } from 'node:events';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { H1Pool, type RawHandler, type RequestPool } from '../src/worker/transport/h1-pool.js';
import { MAX_HEAD_BYTES, ResponseParser, type ResponseSink } from '../src/worker/transport/h1-response.js';

interface Request {
  head: string;
  body: string;
  /** Which connection (1, 2, …) and which request on it (1, 2, …). */
  conn: number;
  nth: number;
}

interface RawServer {
  port: number;
  origin: string;
  connections(): number;
  closed(): number;
  requests: Request[];
}

const servers: Server[] = [];
const pools: RequestPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.destroy();
  for (const s of servers.splice(0)) {
    s.close();
    for (const sock of (s as Server & { socks: Set<Socket> }).socks) sock.destroy();
  }
});

/** A server that reads whole requests (Content-Length bodies) and hands each to `respond` with its socket. */
async function rawServer(respond: (sock: Socket, req: Request) => void): Promise<RawServer> {
  let connections = 0;
  let closed = 0;
  const requests: Request[] = [];
  const socks = new Set<Socket>();
  const server = createServer((sock) => {
    const conn = ++connections;
    socks.add(sock);
    let nth = 0;
    let buf = Buffer.alloc(0);
    // Each write goes out at once (the byte-at-a-time test means it).
    sock.setNoDelay(true);
    sock.on('error', () => {});
    sock.on('close', () => {
      closed++;
      socks.delete(sock);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const req = { head, body: buf.toString('utf8', end + 4, end + 4 + length), conn, nth: ++nth };
        buf = buf.subarray(end + 4 + length);
        requests.push(req);
        respond(sock, req);
      }
    });
  });
  Object.assign(server, { socks });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { port, origin: `http://127.0.0.1:${port}`, connections: () => connections, closed: () => closed, requests };
}

interface Recorded {
  handler: RawHandler;
  done: Promise<void>;
  status: number;
  headers: string[];
  body: () => string;
  bytes: number;
  datas: number;
  error: (Error & { code?: string }) | undefined;
  completed: boolean;
  resume: (() => void) | undefined;
  abort: ((err?: Error) => void) | undefined;
}

/** A handler that records what the pool tells it. `pause`: false from onData (once, or always). */
function record(opts: { pause?: 'once' | 'always'; throwOnConnect?: Error; abortOnConnect?: Error } = {}): Recorded {
  const chunks: Buffer[] = [];
  let finish!: () => void;
  const r: Recorded = {
    done: new Promise<void>((resolve) => (finish = resolve)),
    status: 0,
    headers: [],
    body: () => Buffer.concat(chunks).toString('latin1'),
    bytes: 0,
    datas: 0,
    error: undefined,
    completed: false,
    resume: undefined,
    abort: undefined,
    handler: {
      onConnect(abort) {
        r.abort = abort;
        if (opts.throwOnConnect) throw opts.throwOnConnect;
        if (opts.abortOnConnect) abort(opts.abortOnConnect);
      },
      onHeaders(status, raw, resume) {
        r.status = status;
        r.headers = raw.map((b) => b.toString('latin1'));
        r.resume = resume;
        return true;
      },
      onData(chunk) {
        chunks.push(Buffer.from(chunk));
        r.bytes += chunk.length;
        r.datas++;
        return opts.pause === undefined || (opts.pause === 'once' && r.datas > 1);
      },
      onComplete() {
        r.completed = true;
        finish();
      },
      onError(err) {
        r.error = err;
        finish();
      },
    },
  };
  return r;
}

function h1(origin: string, connections = 1): H1Pool {
  const pool = new H1Pool(origin, { connections });
  pools.push(pool);
  return pool;
}

const POST = (body = '{"jsonrpc":"2.0","id":1,"method":"ping"}') => ({
  path: '/mcp',
  method: 'POST',
  headers: ['content-type', 'application/json', 'mcp-session-id', 's1'],
  body: Buffer.from(body),
});

const OK = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

async function send(pool: RequestPool, opts = POST(), rec = record()): Promise<Recorded> {
  pool.dispatch(opts, rec.handler);
  await rec.done;
  return rec;
}

/** A parser sink that keeps everything. */
function sink(): ResponseSink & { status: number; raw: string[]; body: string } {
  const s = {
    status: 0,
    raw: [] as string[],
    body: '',
    onHead(status: number, raw: Buffer[]) {
      s.status = status;
      s.raw = raw.map((b) => b.toString('latin1'));
      return true;
    },
    onBody(chunk: Buffer) {
      s.body += chunk.toString('latin1');
      return true;
    },
  };
  return s;
}

const CHUNKED =
  'HTTP/1.1 100 Continue\r\n\r\n' +
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nMcp-Session-Id: abc\r\n\r\n' +
  '5;name=value;x="y"\r\nhello\r\n' +
  'A\r\n, world!!!\r\n' +
  '0\r\nX-Trailer: t\r\n\r\n';

describe('the response parser', () => {
  it('reads a chunked body (extensions, trailers, a 1xx before it) split at every byte, and one byte at a time', () => {
    const whole = Buffer.from(CHUNKED);
    const splits: Buffer[][] = [];
    for (let k = 1; k < whole.length; k++) splits.push([whole.subarray(0, k), whole.subarray(k)]);
    splits.push([...whole].map((b) => Buffer.from([b])));
    for (const pieces of splits) {
      const p = new ResponseParser();
      p.reset(false);
      const s = sink();
      for (const piece of pieces) expect(p.execute(piece, 0, s)).toBe(piece.length);
      expect(p.done).toBe(true);
      expect(s.status).toBe(200);
      expect(s.raw).toEqual(['Transfer-Encoding', 'chunked', 'Mcp-Session-Id', 'abc']);
      expect(s.body).toBe('hello, world!!!');
      expect(p.keepAlive).toBe(true);
    }
  });

  it('stops at the end of a response: the bytes after it are not its own', () => {
    const p = new ResponseParser();
    p.reset(false);
    const bytes = Buffer.from(OK('{}') + 'HTTP/1.1 200 OK\r\n');
    expect(p.execute(bytes, 0, sink())).toBe(bytes.length - 'HTTP/1.1 200 OK\r\n'.length);
    expect(p.done).toBe(true);
  });

  it('reads Connection: close, HTTP/1.0 and the Keep-Alive hint', () => {
    const cases: [string, boolean, number][] = [
      [OK('{}', 'Connection: close\r\n'), false, -1],
      [OK('{}', 'Connection: Keep-Alive\r\nKeep-Alive: timeout=5, max=100\r\n'), true, 5000],
      [OK('{}', 'Connection: upgrade, CLOSE\r\n'), false, -1],
      [OK('{}').replace('HTTP/1.1', 'HTTP/1.0'), false, -1],
      [OK('{}', 'Connection: keep-alive\r\n').replace('HTTP/1.1', 'HTTP/1.0'), true, -1],
    ];
    for (const [text, keepAlive, hint] of cases) {
      const p = new ResponseParser();
      p.reset(false);
      p.execute(Buffer.from(text), 0, sink());
      expect([p.done, p.keepAlive, p.keepAliveHint]).toEqual([true, keepAlive, hint]);
    }
  });

  it('throws a coded error on malformed input, and on a head beyond the limit', () => {
    const bad = [
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTX/1.1 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nName: a\rb\r\n\r\n',
      'HTTP/1.1 200 OK\r\nName: a\x00b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\nFolded: a\r\n b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n',
    ];
    for (const text of bad) {
      const p = new ResponseParser();
      p.reset(false);
      expect(() => p.execute(Buffer.from(text), 0, sink()), JSON.stringify(text)).toThrow(/HTTP\/1.1 protocol/);
    }
    const p = new ResponseParser();
    p.reset(false);
    const big = Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`);
    let thrown: (Error & { code?: string }) | undefined;
    try {
      for (let i = 0; i < big.length; i += 1000) p.execute(big.subarray(i, i + 1000), 0, sink());
    } catch (err) {
      thrown = err as Error;
    }
    expect(thrown?.code).toBe('UND_ERR_HEADERS_OVERFLOW');
  });
});

describe('the HTTP/1.1 pool against real sockets', () => {
  it('writes each request as one buffer: request line, host, keep-alive, the headers, content-length, the body', async () => {
    const s = await rawServer((sock) => sock.write(OK('{"ok":1}')));
    const pool = h1(s.origin);
    const write = vi.spyOn(Socket.prototype, 'write');
    const r = await send(pool);
    // The client's writes only (the server's socket writes too, in this process).
    const writes = write.mock.contexts.filter((sock) => (sock as Socket).remotePort === s.port).length;
    write.mockRestore();
    expect(writes).toBe(1);
    expect(r.completed).toBe(true);
    expect(r.body()).toBe('{"ok":1}');
    expect(r.status).toBe(200);
    expect(r.headers.slice(0, 2)).toEqual(['Content-Type', 'application/json']);
    expect(s.requests[0].head).toBe(
      `POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:${s.port}\r\nconnection: keep-alive\r\ncontent-type: application/json\r\nmcp-session-id: s1\r\ncontent-length: 40`,
    );
    expect(s.requests[0].body).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  });

  it('keeps the connection alive across requests, FIFO, one request at a time per connection', async () => {
    const s = await rawServer((sock, req) => setTimeout(() => sock.write(OK(req.body)), 5));
    const pool = h1(s.origin, 2);
    const recs = Array.from({ length: 10 }, () => record());
    recs.forEach((r, i) => pool.dispatch(POST(`{"n":${i}}`), r.handler));
    await Promise.all(recs.map((r) => r.done));
    expect(recs.map((r) => r.body())).toEqual(recs.map((_, i) => `{"n":${i}}`));
    expect(s.connections()).toBe(2);
    // Requests reached the server in the order they were dispatched.
    expect(s.requests.map((r) => JSON.parse(r.body).n)).toEqual([...Array(10).keys()]);
  });

  it('reads a chunked answer the server writes a byte at a time, then reuses the connection', async () => {
    const s = await rawServer((sock, req) => {
      if (req.nth > 1) return sock.write(OK('again'));
      const bytes = Buffer.from(CHUNKED);
      let i = 0;
      const next = () => {
        if (i < bytes.length) sock.write(bytes.subarray(i, ++i), () => setTimeout(next, 1));
      };
      next();
    });
    const pool = h1(s.origin);
    const r = await send(pool);
    expect(r.error).toBeUndefined();
    expect(r.body()).toBe('hello, world!!!');
    expect(r.headers).toEqual(['Transfer-Encoding', 'chunked', 'Mcp-Session-Id', 'abc']);
    expect((await send(pool)).body()).toBe('again');
    expect(s.connections()).toBe(1);
  });

  it('honours Connection: close: the next request goes on a new connection, the old socket is closed', async () => {
    const s = await rawServer((sock) => sock.write(OK('{}', 'Connection: close\r\n'))); // and keeps its side open
    const pool = h1(s.origin);
    await send(pool);
    await send(pool);
    expect(s.connections()).toBe(2);
    await waitFor(() => s.closed() >= 1, 1000); // well before the idle timeout (4 s) would close it
  });

  it('reads a body without length to the close', async () => {
    const s = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"to":"the close"}'));
    const r = await send(h1(s.origin));
    expect(r.completed).toBe(true);
    expect(r.body()).toBe('{"to":"the close"}');
  });

  it('an oversize head is an error on that request; the socket goes and the next request gets a new one', async () => {
    const s = await rawServer((sock, req) => sock.write(req.conn === 1 ? `HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n` : OK('fine')));
    const pool = h1(s.origin);
    const r = await send(pool);
    expect(r.error?.code).toBe('UND_ERR_HEADERS_OVERFLOW');
    await waitFor(() => s.closed() === 1, 1000);
    expect((await send(pool)).body()).toBe('fine');
  });

  it('a server that closes mid-body fails that request (other side closed); one that resets it, with ECONNRESET', async () => {
    const s = await rawServer((sock, req) => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(50));
      if (req.conn === 1) setTimeout(() => sock.end(), 20);
      else setTimeout(() => sock.resetAndDestroy(), 20);
    });
    const pool = h1(s.origin);
    const closed = await send(pool);
    expect([closed.error?.code, closed.error?.message]).toEqual(['UND_ERR_SOCKET', 'other side closed']);
    expect(closed.bytes).toBe(50);
    const reset = await send(pool);
    expect(reset.error?.code).toBe('ECONNRESET');
  });

  it('backpressure: false from onData pauses the socket until resume(), then the whole body arrives', async () => {
    const size = 8 * 1024 * 1024;
    let serverBlocked = false;
    const s = await rawServer((sock) => {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      serverBlocked = !sock.write(Buffer.alloc(size, 'y'));
    });
    const pool = h1(s.origin);
    const r = record({ pause: 'once' });
    pool.dispatch(POST(), r.handler);
    await waitFor(() => r.datas === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.datas).toBe(1);
    expect(r.bytes).toBeLessThan(size);
    expect(serverBlocked).toBe(true);
    r.resume!();
    await r.done;
    expect(r.completed).toBe(true);
    expect(r.bytes).toBe(size);
  });

  it('abort() from onConnect fails the request with its error and destroys the socket; the pool goes on', async () => {
    const s = await rawServer((sock) => setTimeout(() => sock.write(OK('late')), 50));
    const pool = h1(s.origin);
    const r = record();
    pool.dispatch(POST(), r.handler);
    await waitFor(() => r.abort !== undefined);
    const why = new Error('abandoned');
    r.abort!(why);
    await r.done;
    expect(r.error).toBe(why);
    await waitFor(() => s.closed() === 1, 1000);
    const aborted = await send(pool, POST(), record({ abortOnConnect: new Error('at once') }));
    expect(aborted.error?.message).toBe('at once');
    expect((await send(pool)).body()).toBe('late');
  });

  it('a queued request whose onConnect throws gets onError and the socket carries the next one', async () => {
    const s = await rawServer((sock) => setTimeout(() => sock.write(OK('ok')), 20));
    const pool = h1(s.origin);
    const first = record();
    const refused = record({ throwOnConnect: new Error('skipped') });
    const third = record();
    pool.dispatch(POST(), first.handler);
    pool.dispatch(POST(), refused.handler);
    pool.dispatch(POST(), third.handler);
    await Promise.all([first.done, refused.done, third.done]);
    expect(refused.error?.message).toBe('skipped');
    expect([first.completed, third.completed]).toEqual([true, true]);
    expect(s.connections()).toBe(1);
    expect(s.requests).toHaveLength(2);
  });

  it('headers and body timeouts fail the request with undici codes', async () => {
    const s = await rawServer((sock, req) => {
      if (req.conn === 2) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    });
    const pool = h1(s.origin);
    const headers = await send(pool, { ...POST(), headersTimeout: 300 });
    expect(headers.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    const body = await send(pool, { ...POST(), headersTimeout: 300, bodyTimeout: 300 });
    expect(body.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(body.bytes).toBe(3);
  });

  it('bytes nobody asked for, or a malformed answer, cost that socket (and that request), never the process', async () => {
    const s = await rawServer((sock, req) => {
      if (req.conn === 1) sock.write(OK('one') + 'garbage after the answer');
      else if (req.conn === 2) sock.write('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n');
      else sock.write(OK('three'));
    });
    const pool = h1(s.origin);
    expect((await send(pool)).body()).toBe('one');
    const bad = await send(pool);
    expect(bad.error?.code).toMatch(/^HPE_/);
    expect((await send(pool)).body()).toBe('three');
    expect(s.connections()).toBe(3);
  });

  it('close() lets what is queued finish; destroy() fails what is left; both may be called twice', async () => {
    const s = await rawServer((sock) => setTimeout(() => sock.write(OK('ok')), 20));
    const pool = h1(s.origin);
    const a = record();
    const b = record();
    pool.dispatch(POST(), a.handler);
    pool.dispatch(POST(), b.handler);
    await Promise.all([pool.close(), pool.close()]);
    expect([a.completed, b.completed]).toEqual([true, true]);
    const late = await send(pool);
    expect(late.error?.code).toBe('UND_ERR_CLOSED');
    const other = h1(s.origin);
    const c = record();
    other.dispatch(POST(), c.handler);
    await Promise.all([other.destroy(), other.destroy()]);
    await c.done;
    expect(c.error?.code).toBe('UND_ERR_DESTROYED');
  });
});

describe("the pool's failures read as undici's", () => {
  /** Each way to fail, by what the server does with the request. */
  const faults: Record<string, (sock: Socket) => void> = {
    'closes before answering': (sock) => sock.end(),
    'resets before answering': (sock) => sock.resetAndDestroy(),
    'closes mid-body': (sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
    'sends an oversize head': (sock) => sock.write(`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`),
    'never answers': () => {},
  };
  for (const [what, fault] of Object.entries(faults)) {
    it(`a server that ${what}: the same code and message`, async () => {
      const s = await rawServer(fault);
      const opts = { ...POST(), headersTimeout: 300, bodyTimeout: 300 };
      const ours = await send(h1(s.origin), opts);
      const undici = new Pool(s.origin, { connections: 1, pipelining: 1 });
      const theirs = await send(undici, opts);
      await undici.destroy();
      expect(ours.error).toBeDefined();
      expect([ours.error?.code, ours.error?.message]).toEqual([theirs.error?.code, theirs.error?.message]);
    });
  }

  it('nothing listening: the same ECONNREFUSED', async () => {
    const s = await rawServer(() => {});
    const origin = s.origin;
    servers.pop()!.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const ours = await send(h1(origin));
    const undici = new Pool(origin, { connections: 1 });
    const theirs = await send(undici);
    await undici.destroy();
    expect(ours.error?.code).toBe('ECONNREFUSED');
    expect([ours.error?.code, ours.error?.message]).toEqual([theirs.error?.code, theirs.error?.message]);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
