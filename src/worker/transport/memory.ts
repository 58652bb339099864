import type { Connect } from './transport.js';

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
