/**
 * A linked pair in memory: what the client side sends arrives at `server.onmessage` on a later
 * microtask, and back. For unit tests of session logic without sockets (test/session-machine.test.ts).
 */
import { CloseKind, type CloseReason, type Connect, type Route } from './transport.js';

export interface MemoryServerSide {
  send(frame: string): void;
  /** The server ends the connection (`kind`: how the client sees it; default a close frame with `code`). */
  close(code?: number, kind?: CloseKind): void;
  /** One frame from the client, with what the client said about it (Transport.send). */
  onmessage?: (text: string, id: number | undefined, route: Route | undefined) => void;
  onclose?: (reason: CloseReason) => void;
  /** The protocol revision the client's handshake agreed on (Transport.setProtocolVersion). */
  protocolVersion?: string;
}

export function memoryConnect(onConnection: (server: MemoryServerSide) => void): Connect {
  return (_opts, events) => {
    let open = false;
    let closed = false;
    const finish = (reason: CloseReason) => {
      if (closed) return;
      closed = true;
      open = false;
      queueMicrotask(() => {
        events.onclose(reason);
        server.onclose?.(reason);
      });
    };
    const server: MemoryServerSide = {
      send: (frame) => queueMicrotask(() => open && events.onmessage(Buffer.from(frame), false)),
      close: (code = 1000, kind = CloseKind.Peer) => finish({ kind, code, text: '' }),
    };
    queueMicrotask(() => {
      if (closed) return;
      open = true;
      onConnection(server);
      events.onopen();
    });
    return {
      send(frame, id, route) {
        if (!open) return false;
        const text = typeof frame === 'string' ? frame : frame.toString();
        queueMicrotask(() => server.onmessage?.(text, id, route));
        return true;
      },
      close: (code = 1000, text = '') => finish({ kind: CloseKind.Local, code, text }),
      setProtocolVersion(version) {
        server.protocolVersion = version;
      },
      pause() {},
      resume() {},
      bufferedAmount: 0,
    };
  };
}
