/** Discovery over WebSocket: `ws`, offering subprotocol `mcp` and accepting a server that selects none. */
import WebSocket from 'ws';
import { RequestTimeout, answerOf, answerServerRequest, parseMessage, unreachable, type Answer, type Peer, type PeerOptions } from './peer.js';

const CONNECT_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (a: Answer) => void;
  reject: (e: Error) => void;
}

function connect(o: PeerOptions, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.url, protocols, {
      headers: o.headers,
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      ...(o.tls?.ca ? { ca: o.tls.ca } : {}),
      ...(o.tls?.insecure ? { rejectUnauthorized: false } : {}),
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export class WsPeer implements Peer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly end: string;

  private constructor(
    private readonly ws: WebSocket,
    o: PeerOptions,
  ) {
    this.end = o.frameTerminator === 'none' ? '' : '\n';
    ws.on('message', (data: Buffer) => {
      // A server may put several newline-delimited messages in one frame.
      for (const line of data.toString('utf8').split('\n')) if (line.trim()) this.onMessage(line);
    });
    ws.on('close', () => this.failAll(new Error('the server closed the connection')));
    ws.on('error', (err) => this.failAll(err));
  }

  static async open(o: PeerOptions): Promise<WsPeer> {
    let ws: WebSocket;
    try {
      ws = await connect(o, ['mcp']);
    } catch (err) {
      // A server that selects no subprotocol (erlmcp) is fine: connect again without offering one.
      if (!/no subprotocol/i.test(String((err as Error).message))) throw unreachable(o.url, err);
      ws = await connect(o, []).catch((e: unknown) => {
        throw unreachable(o.url, e);
      });
    }
    return new WsPeer(ws, o);
  }

  private onMessage(text: string): void {
    const msg = parseMessage(text);
    if (!msg) return;
    if (typeof msg.method === 'string') {
      if (msg.id !== undefined) this.ws.send(answerServerRequest({ id: msg.id, method: msg.method }) + this.end);
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return;
    this.pending.delete(msg.id as number);
    p.resolve(answerOf(msg));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<Answer> {
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        void this.notify('notifications/cancelled', { requestId: id, reason: 'timeout' }).catch(() => {});
        reject(new RequestTimeout(method, timeoutMs));
      }, timeoutMs);
      const settle = { resolve: (a: Answer) => (clearTimeout(timer), resolve(a)), reject: (e: Error) => (clearTimeout(timer), reject(e)) };
      this.pending.set(id, settle);
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }) + this.end, (err) => err && settle.reject(err));
    });
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }) + this.end, (err) => (err ? reject(err) : resolve())),
    );
  }

  setProtocolVersion(): void {}

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
      setTimeout(() => (this.ws.terminate(), resolve()), 1000).unref();
    });
  }
}
