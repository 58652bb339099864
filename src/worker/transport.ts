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
}

export interface ConnectOptions {
  url: string;
  headers: Record<string, string>;
  localAddress?: string;
  handshakeTimeoutMs: number;
  maxPayload: number;
}

export type Connect = (opts: ConnectOptions, events: TransportEvents) => Transport;

/** The WebSocket transport: subprotocol `mcp`, no compression, custom headers, optional source address. */
export const connectWebSocket: Connect = (opts, events) => {
  const ws = new WebSocket(opts.url, ['mcp'], {
    headers: opts.headers,
    localAddress: opts.localAddress,
    handshakeTimeout: opts.handshakeTimeoutMs,
    maxPayload: opts.maxPayload,
    perMessageDeflate: false,
    followRedirects: false,
  });
  ws.on('open', () => events.onopen());
  ws.on('message', (data: Buffer, isBinary: boolean) => events.onmessage(data, isBinary));
  ws.on('error', (err: Error) => events.onerror(err));
  ws.on('close', (code: number, reason: Buffer) => events.onclose(code, reason.toString()));
  // The upgrade was answered with something other than 101: ws emits 'error' and then 'close' for us.
  return {
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(frame, { binary: false });
      return true;
    },
    close(code = 1000, reason = '') {
      if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
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
