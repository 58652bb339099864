/**
 * Discovery over Streamable HTTP (undici): each message is a POST; the answer comes back as JSON or
 * as an SSE stream, read until the response to our id. Mcp-Session-Id and MCP-Protocol-Version are
 * echoed as the spec asks; the session is ended with DELETE on close.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { RequestTimeout, answerOf, answerServerRequest, parseMessage, unreachable, type Answer, type Peer, type PeerOptions } from './peer.js';

/** Longest error body quoted in a message. */
const MAX_BODY_QUOTE = 200;

export class HttpPeer implements Peer {
  private nextId = 1;
  private sessionId: string | undefined;
  private version: string | undefined;
  private readonly dispatcher: Agent;
  private reached = false;

  constructor(private readonly o: PeerOptions) {
    const connect = { ...(o.tls?.ca ? { ca: o.tls.ca } : {}), ...(o.tls?.insecure ? { rejectUnauthorized: false } : {}) };
    this.dispatcher = new Agent({ connect });
  }

  /** 2026-07-28: every request carries this `_meta` and says its method in Mcp-Method (statelessly()). */
  private meta: Record<string, unknown> | undefined;

  /** Speak the stateless revision: no initialize; version and client facts in each request's `_meta`. */
  statelessly(meta: Record<string, unknown>, version: string): this {
    this.meta = meta;
    this.version = version;
    return this;
  }

  private headers(method?: string): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...this.o.headers };
    if (this.meta && method !== undefined) h['mcp-method'] = method;
    if (this.version) h['mcp-protocol-version'] = this.version;
    if (this.sessionId) h['mcp-session-id'] = this.sessionId;
    return h;
  }

  private async post(body: string, signal: AbortSignal, method?: string): Promise<Dispatcher.ResponseData> {
    try {
      const res = await request(this.o.url, { method: 'POST', headers: this.headers(method), body, signal, dispatcher: this.dispatcher });
      this.reached = true;
      return res;
    } catch (err) {
      // Before the server answered once, a failure is "cannot reach" (exit 3); later, a failed request.
      throw this.reached ? err : unreachable(this.o.url, err);
    }
  }

  async request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<Answer> {
    const id = this.nextId++;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new RequestTimeout(method, timeoutMs)), timeoutMs);
    try {
      const withMeta = this.meta ? { ...params, _meta: this.meta } : params;
      const res = await this.post(JSON.stringify({ jsonrpc: '2.0', id, method, ...(withMeta ? { params: withMeta } : {}) }), abort.signal, method);
      const sid = res.headers['mcp-session-id'];
      if (typeof sid === 'string' && sid) this.sessionId = sid;
      const type = String(res.headers['content-type'] ?? '').toLowerCase();
      if (res.statusCode >= 400) {
        const text = (await res.body.text()).slice(0, MAX_BODY_QUOTE).replace(/\s+/g, ' ');
        const answer = parseMessage(text);
        if (answer?.error) return answerOf(answer);
        throw new Error(`${method}: HTTP ${res.statusCode}${text ? ` (${text})` : ''}`);
      }
      if (type.startsWith('text/event-stream')) return await this.readStream(res, id, method);
      const msg = parseMessage(await res.body.text());
      if (!msg) throw new Error(`${method}: the answer is not a JSON-RPC message (content-type ${type || 'none'})`);
      return answerOf(msg);
    } catch (err) {
      if (abort.signal.aborted) {
        void this.notify('notifications/cancelled', { requestId: id, reason: 'timeout' }).catch(() => {});
        throw abort.signal.reason as Error;
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SSE: events until the response to `id`; server requests on the way are answered. */
  private async readStream(res: Dispatcher.ResponseData, id: number, method: string): Promise<Answer> {
    let buffer = '';
    let data: string[] = [];
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        else if (line === '' && data.length) {
          const msg = parseMessage(data.join('\n'));
          data = [];
          if (!msg) continue;
          if (typeof msg.method === 'string' && msg.id !== undefined) void this.reply(answerServerRequest({ id: msg.id, method: msg.method }));
          else if (msg.id === id) {
            res.body.destroy();
            return answerOf(msg);
          }
        }
      }
    }
    throw new Error(`${method}: the event stream ended without an answer`);
  }

  private async reply(body: string): Promise<void> {
    const res = await this.post(body, AbortSignal.timeout(10_000)).catch(() => undefined);
    await res?.body.dump();
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    const res = await this.post(JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) }), AbortSignal.timeout(10_000));
    await res.body.dump();
  }

  setProtocolVersion(version: string): void {
    this.version = version;
  }

  async close(): Promise<void> {
    if (this.sessionId) {
      const res = await request(this.o.url, {
        method: 'DELETE',
        headers: this.headers(),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(2000),
      }).catch(() => undefined);
      await res?.body.dump().catch(() => {});
      this.sessionId = undefined;
    }
    await this.dispatcher.close();
  }
}
