/**
 * What a session needs from a connection. Sessions depend on this interface only, so a linked
 * in-memory pair can stand in for a socket in unit tests (the MCP SDK's transport habit), and
 * Streamable HTTP can slot in later.
 */
import WebSocket from 'ws';

export interface TransportEvents {
  onopen(): void;
  /** One WebSocket message (text or binary), as received. */
  onmessage(data: Buffer, isBinary: boolean): void;
  /** Every message of one socket read has been delivered (transports with `readEnds` only). */
  onreadend?(): void;
  /** Called once, whatever ended the connection. */
  onclose(code: number, reason: string): void;
  /** Called before onclose when the connection failed (connect refused, bad upgrade, reset). */
  onerror(err: Error): void;
}

export interface Transport {
  /** Queue a frame; false when the connection is not open (the frame is not sent). */
  send(frame: Buffer | string): boolean;
  /** Graceful close (close frame). Safe to call twice. */
  close(code?: number, reason?: string): void;
  /** Stop reading from the socket (backpressure on the server) / start again. */
  pause(): void;
  resume(): void;
  /** Bytes queued but not yet written to the socket. */
  readonly bufferedAmount: number;
  /** True when onreadend follows the messages of each socket read, so answers can be batched. */
  readonly readEnds?: boolean;
  /** Hold the frames sent from now to the end of this event-loop turn, and write them together then. */
  holdTurn?(): void;
  /** Hold the frames sent from now until uncork() (within one synchronous batch), then write them together. */
  cork?(): void;
  uncork?(): void;
}

export interface ConnectOptions {
  url: string;
  headers: Record<string, string>;
  localAddress?: string;
  /** Named source port (see ports.ts: the kernel's own search is slow with a bound address). */
  localPort?: number;
  maxPayload: number;
  /** wss://: PEM of the CA(s) to trust instead of the system ones. */
  ca?: string;
  /** wss://: false turns certificate verification off (--insecure). Default true. */
  rejectUnauthorized?: boolean;
}

export type Connect = (opts: ConnectOptions, events: TransportEvents) => Transport;

const EVENTS = Symbol('mcpload.events');
type TaggedSocket = WebSocket & { [EVENTS]: TransportEvents };
type TaggedNetSocket = import('node:net').Socket & { [EVENTS]: TransportEvents };

// One set of listeners shared by every connection (ws calls them with `this` = the socket), so a
// connection costs no closures of its own: at 100K sessions that is memory that counts.
function onOpen(this: WebSocket): void {
  const events = (this as TaggedSocket)[EVENTS];
  // ws reads the socket with its own 'data' listener, added before 'open'; one added now runs after
  // it, when every message of that read has been delivered.
  const socket = (this as unknown as WithSocket)._socket as TaggedNetSocket | null;
  if (socket) {
    socket[EVENTS] = events;
    socket.on('data', onReadEnd);
  }
  events.onopen();
}
function onReadEnd(this: TaggedNetSocket): void {
  this[EVENTS].onreadend?.();
}
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as TaggedSocket)[EVENTS].onmessage(data, isBinary);
}
function onError(this: WebSocket, err: Error): void {
  (this as TaggedSocket)[EVENTS].onerror(err);
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as TaggedSocket)[EVENTS].onclose(code, reason.toString());
}

/** ws.send options for every frame: one object, not one per request. */
const TEXT = { binary: false } as const;

/** The TCP socket under a ws connection (ws keeps it in `_socket`; not part of its typings). */
type WithSocket = { _socket: import('node:net').Socket | null };

/** Transports corked in this turn of the event loop; one nextTick uncorks them all. */
const corkedNow: WebSocketTransport[] = [];

function uncorkAll(): void {
  // A transport corked while this runs (a write callback sending again) joins the list and is
  // uncorked in this same pass.
  for (let i = 0; i < corkedNow.length; i++) {
    const t = corkedNow[i];
    t.corked = false;
    (t.ws as unknown as WithSocket)._socket?.uncork();
  }
  corkedNow.length = 0;
}

/** A ws connection behind the Transport interface; methods on the prototype, nothing per instance. */
class WebSocketTransport implements Transport {
  /** Frames sent in this turn of the event loop are held and written with one writev at its end. */
  corked = false;

  constructor(readonly ws: TaggedSocket) {}

  readonly readEnds = true;

  send(frame: Buffer | string): boolean {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame, TEXT);
    return true;
  }

  // One write syscall per frame was half of an engine's CPU at high rates (--cpu-prof): the frames
  // of one wake-up (holdTurn), or of the answers one socket read brought (cork/uncork), go out together.
  holdTurn(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as WithSocket)._socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    if (corkedNow.push(this) === 1) process.nextTick(uncorkAll);
  }

  cork(): void {
    (this.ws as unknown as WithSocket)._socket?.cork();
  }

  uncork(): void {
    (this.ws as unknown as WithSocket)._socket?.uncork();
  }

  close(code = 1000, reason = ''): void {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(code, reason);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

/**
 * The WebSocket transport: subprotocol `mcp`, no compression, custom headers, optional source
 * address and port. The connect deadline is the session's (the engine's timeout queue), not a
 * ws handshake timer per connection. An upgrade answered with anything but 101 makes ws emit
 * 'error' and then 'close'.
 */
export const connectWebSocket: Connect = (opts, events) => {
  const ws = new WebSocket(opts.url, ['mcp'], {
    headers: opts.headers,
    localAddress: opts.localAddress,
    localPort: opts.localPort,
    maxPayload: opts.maxPayload,
    perMessageDeflate: false,
    followRedirects: false,
    // TLS is verified unless the user turned it off explicitly (--insecure).
    rejectUnauthorized: opts.rejectUnauthorized ?? true,
    ...(opts.ca ? { ca: opts.ca } : {}),
  }) as TaggedSocket;
  ws[EVENTS] = events;
  ws.on('open', onOpen);
  ws.on('message', onMessage);
  ws.on('error', onError);
  ws.on('close', onClose);
  return new WebSocketTransport(ws);
};

/**
 * A linked pair in memory: what the client side sends arrives at `server.onmessage` on a later
 * microtask, and back. For unit tests of session logic without sockets.
 */
export interface MemoryServerSide {
  send(frame: string): void;
  close(code?: number): void;
  onmessage?: (text: string) => void;
  onclose?: (code: number) => void;
}

export function memoryConnect(onConnection: (server: MemoryServerSide) => void): Connect {
  return (_opts, events) => {
    let open = false;
    let closed = false;
    const finish = (code: number) => {
      if (closed) return;
      closed = true;
      open = false;
      queueMicrotask(() => {
        events.onclose(code, '');
        server.onclose?.(code);
      });
    };
    const server: MemoryServerSide = {
      send: (frame) => queueMicrotask(() => open && events.onmessage(Buffer.from(frame), false)),
      close: (code = 1000) => finish(code),
    };
    queueMicrotask(() => {
      open = true;
      onConnection(server);
      events.onopen();
    });
    return {
      send(frame) {
        if (!open) return false;
        const text = typeof frame === 'string' ? frame : frame.toString();
        queueMicrotask(() => server.onmessage?.(text));
        return true;
      },
      close: (code = 1000) => finish(code),
      pause() {},
      resume() {},
      bufferedAmount: 0,
    };
  };
}
