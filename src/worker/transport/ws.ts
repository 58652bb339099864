/**
 * The WebSocket transport on `ws`: shared listeners (nothing per connection but the socket), frames
 * of one turn or one read written together.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { CloseKind, type Connect, type Transport, type TransportEvents } from './transport.js';

const EVENTS = Symbol('mcpload.events');
/** How the connection ends if it ends abnormally now (code 1006, no close frame from the peer). */
const ENDING = Symbol('mcpload.ending');
/** The subprotocol offered, then (from the upgrade on) the one the server selected: '' for none. */
const SUBPROTOCOL = Symbol('mcpload.subprotocol');
type TaggedSocket = WebSocket & { [EVENTS]: TransportEvents; [ENDING]: CloseKind; [SUBPROTOCOL]: string };
type TaggedNetSocket = Socket & { [EVENTS]: TransportEvents };

// One set of listeners shared by every connection (ws calls them with `this` = the socket), so a
// connection costs no closures of its own: at 100K sessions that is memory that counts.
function onOpen(this: WebSocket): void {
  const events = (this as TaggedSocket)[EVENTS];
  // ws reads the socket with its own 'data' listener, added before 'open'; the read end is told after
  // it (readEndsAfterData), when every message of that read has been delivered.
  (this as TaggedSocket)[ENDING] = CloseKind.Lost;
  const socket = (this as unknown as WithSocket)._socket;
  if (socket) readEndsAfterData(socket, this);
  events.onopen();
}
/** ws's own socket 'data' listener (one function for every socket), learnt at the first open. */
type OnData = (this: Socket, chunk: Buffer) => void;
let wsOnData: OnData | undefined;
/** ws's 'data' listener, then the read end: one function in the socket's listener slot instead of an array of two. */
function onDataThenReadEnd(this: Socket, chunk: Buffer): void {
  wsOnData!.call(this, chunk);
  (this as unknown as Record<symbol, TaggedSocket>)[wsOfSocket!][EVENTS].onreadend?.();
}
/**
 * The key under which ws keeps a socket's WebSocket on the socket (its kWebSocket, not exported),
 * learnt at the first open: the read end finds its connection there instead of in a property of
 * our own on every socket.
 */
let wsOfSocket: symbol | undefined;
/**
 * Read ends told after ws's 'data' listener. A second listener makes the socket's 'data' slot an
 * array (64 B per idle connection, heap snapshots); ws's one listener is replaced by a function that
 * calls it and then tells the read end. It carries ws's as `listener` (as a once() wrapper does), so
 * ws's removeListener('data', socketOnData) after a close frame or a receiver error still removes it.
 */
function readEndsAfterData(socket: Socket, ws: WebSocket): void {
  const listeners = (socket as unknown as { _events: { data?: unknown } })._events;
  const data = listeners.data;
  if (typeof data === 'function' && wsOnData === undefined) {
    wsOnData = data as OnData;
    (onDataThenReadEnd as { listener?: unknown }).listener = data;
    wsOfSocket = Object.getOwnPropertySymbols(socket).find((key) => (socket as unknown as Record<symbol, unknown>)[key] === ws);
  }
  if (data === wsOnData && wsOfSocket !== undefined && (socket as unknown as Record<symbol, unknown>)[wsOfSocket] === ws) listeners.data = onDataThenReadEnd;
  else {
    // Not ws's one listener, or not where it was (another ws version): a second listener.
    (socket as TaggedNetSocket)[EVENTS] = (ws as TaggedSocket)[EVENTS];
    socket.on('data', onReadEnd);
  }
}
/**
 * The 101 answer, before ws checks it. ws refuses one that selects none of the subprotocols offered
 * ("Server sent no subprotocol"), but RFC 6455 leaves that to the client, and servers such as erlmcp
 * never select one: mcpload goes on without, keeps what the server selected for the report, and has
 * ws see its own offer so its check passes (ws reads the headers after this event). Every other
 * check stays ws's: a subprotocol that was not offered still fails the upgrade. Listened to only when
 * one is offered.
 */
function onUpgrade(this: WebSocket, res: IncomingMessage): void {
  const ws = this as TaggedSocket;
  const selected = res.headers['sec-websocket-protocol'];
  if (selected !== undefined)
    ws[SUBPROTOCOL] = selected; // ws checks that it was offered
  else {
    res.headers['sec-websocket-protocol'] = ws[SUBPROTOCOL];
    ws[SUBPROTOCOL] = '';
  }
}
function onReadEnd(this: TaggedNetSocket): void {
  this[EVENTS].onreadend?.();
}
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as TaggedSocket)[EVENTS].onmessage(data, isBinary);
}
function onError(this: WebSocket, err: Error): void {
  const ws = this as TaggedSocket;
  // A frame that breaks the WebSocket protocol (ws codes WS_ERR_*): ws closes with 1002/1007/1009 next.
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) ws[ENDING] = CloseKind.ProtocolViolation;
  ws[EVENTS].onerror(err);
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const ws = this as TaggedSocket;
  const ending = ws[ENDING];
  // 1006 is never sent on the wire: ws reports it when no close frame came (refused, reset, terminated).
  const kind = ending === CloseKind.Local || ending === CloseKind.ProtocolViolation || code === 1006 ? ending : CloseKind.Peer;
  ws[EVENTS].onclose({ kind, code, text: reason.toString() });
}

/** bufferutil's native mask (a dependency; ws uses it too), or none if it did not build: the loop below. */
type MaskFn = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;
const nativeMask = ((): MaskFn | undefined => {
  try {
    return (createRequire(import.meta.url)('bufferutil') as { mask?: MaskFn }).mask;
  } catch {
    return undefined;
  }
})();

/** Random bytes for frame masks, refilled a pool at a time (as ws does). */
const MASK_POOL = Buffer.alloc(8192);
let maskAt = MASK_POOL.length;
const MASK = Buffer.alloc(4);

/** A fresh random mask per frame (RFC 6455 5.3) into MASK. */
function nextMask(): void {
  if (maskAt === MASK_POOL.length) {
    randomFillSync(MASK_POOL);
    maskAt = 0;
  }
  MASK_POOL.copy(MASK, 0, maskAt, maskAt + 4);
  maskAt += 4;
}

/**
 * Wire buffers (header and masked payload) by length, free for the next frame of that length. ws's
 * Sender.frame made a new one per message (plus an array around it): with a template's frames all
 * one size, one buffer per frame in flight is enough. A buffer comes back only once the socket has
 * given it to the kernel (see written()); one still queued in the socket is left to the GC.
 */
const freeWires = new Map<number, Buffer[]>();
/** Bounds: a run's frame sizes are a handful; frames held at once, one per session at most per turn. */
const MAX_WIRE_SIZES = 64;
const MAX_FREE_PER_SIZE = 1024;
const MAX_POOLED_WIRE = 64 * 1024;

/** One text frame, final, masked (client to server), uncompressed: what ws's send() would write. */
function wireFrame(data: Buffer): Buffer {
  const length = data.length;
  const offset = length > 65535 ? 14 : length > 125 ? 8 : 6;
  const size = offset + length;
  const free = freeWires.get(size);
  const wire = free !== undefined && free.length > 0 ? free.pop()! : Buffer.allocUnsafeSlow(size);
  wire[0] = 0x81; // FIN, text
  if (offset === 6) wire[1] = 0x80 | length;
  else if (offset === 8) {
    wire[1] = 0x80 | 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 0x80 | 127;
    wire.writeUInt32BE(0, 2);
    wire.writeUInt32BE(length, 6); // frames are far below 4 GiB (maxPayload)
  }
  nextMask();
  wire[offset - 4] = MASK[0];
  wire[offset - 3] = MASK[1];
  wire[offset - 2] = MASK[2];
  wire[offset - 1] = MASK[3];
  // ws's own threshold: below it the native call costs more than the loop.
  if (nativeMask !== undefined && length >= 48) nativeMask(data, MASK, wire, offset, length);
  else for (let i = 0; i < length; i++) wire[offset + i] = data[i] ^ MASK[i & 3];
  return wire;
}

/**
 * The socket is done with `wire` if nothing is left in its Writable: a write the kernel took at once
 * completes within write() (libuv's try-write), one it did not stays counted in writableLength until
 * its callback. Only then may the buffer be overwritten by a later frame.
 */
function written(socket: Socket, wire: Buffer): void {
  if (socket.writableLength !== 0 || wire.length > MAX_POOLED_WIRE) return;
  let free = freeWires.get(wire.length);
  if (free === undefined) {
    if (freeWires.size >= MAX_WIRE_SIZES) return;
    free = [];
    freeWires.set(wire.length, free);
  }
  if (free.length < MAX_FREE_PER_SIZE) free.push(wire);
}

/** ws's frame reader (`_receiver`) and its list of chunks read but not yet parsed; not part of its typings. */
type WithReceiver = { _receiver?: { _buffers: Buffer[] } };

/** The TCP socket under a ws connection (ws keeps it in `_socket`; not part of its typings). */
type WithSocket = { _socket: Socket | null };

/** Transports holding their frames this turn of the event loop; one nextTick flushes them all. */
const corkedNow: WebSocketTransport[] = [];

function uncorkAll(): void {
  // A transport held while this runs (a write callback sending again) joins the list and is
  // flushed in this same pass.
  for (let i = 0; i < corkedNow.length; i++) corkedNow[i].flush();
  corkedNow.length = 0;
}

/** A ws connection behind the Transport interface; methods on the prototype, nothing per instance. */
class WebSocketTransport implements Transport {
  /**
   * Frames sent in this turn of the event loop are held and written together at its end: undefined,
   * not holding; null, holding and none yet; then the frame, then a list of them. Held here rather
   * than in a corked socket, whose Writable keeps an entry object per frame; one field for all of it,
   * since every session has one (heap per idle session).
   */
  private held: Buffer | Buffer[] | null | undefined = undefined;

  constructor(readonly ws: TaggedSocket) {}

  get readEnds(): boolean {
    return true;
  }

  get subprotocol(): string {
    return this.ws[SUBPROTOCOL];
  }

  send(frame: Buffer | string): boolean {
    // The id and route (see Transport.send) are HTTP's business: a WebSocket message carries its own.
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    const socket = (ws as unknown as WithSocket)._socket;
    if (!socket) return false;
    // ws.send() without its per-message option objects, its frame buffer and the array its sender
    // writes from: the frame ws would build (header and masked payload in one buffer) goes to the
    // socket as ws would write it. No compression is negotiated and nothing is queued ahead in ws's
    // sender (it queues only to compress or to read a Blob), so its frames and these keep their order.
    const wire = wireFrame(typeof frame === 'string' ? Buffer.from(frame) : frame);
    const held = this.held;
    if (held === undefined) {
      socket.write(wire);
      written(socket, wire);
    } else if (held === null) this.held = wire;
    else if (Array.isArray(held)) held.push(wire);
    else this.held = [held, wire];
    return true;
  }

  /** Write the frames held this turn: one write, or one writev for several (a corked socket). */
  flush(): void {
    const held = this.held;
    this.held = undefined;
    if (held === undefined || held === null) return;
    const socket = (this.ws as unknown as WithSocket)._socket;
    // Closed since (the peer's close frame, a reset): what was held is lost with the connection, as it
    // would have been in the socket's buffer; those requests end as closed.
    if (!socket || this.ws.readyState !== WebSocket.OPEN) return;
    if (!Array.isArray(held)) {
      socket.write(held);
      written(socket, held);
      return;
    }
    socket.cork();
    for (let i = 0; i < held.length; i++) socket.write(held[i]);
    socket.uncork();
    if (socket.writableLength === 0) for (let i = 0; i < held.length; i++) written(socket, held[i]);
  }

  // One write syscall per frame was half of an engine's CPU at high rates (--cpu-prof): the frames
  // of one wake-up (holdTurn), or of the answers one socket read brought (cork/uncork), go out together.
  holdTurn(): void {
    if (this.held !== undefined) return;
    if (!(this.ws as unknown as WithSocket)._socket) return;
    this.held = null;
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
    if (ws[ENDING] !== CloseKind.ProtocolViolation) ws[ENDING] = CloseKind.Local;
    // Frames held this turn go before the close frame.
    if (this.held !== undefined && this.held !== null) this.flush();
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
    const held = this.held;
    if (held === undefined || held === null) return this.ws.bufferedAmount;
    if (!Array.isArray(held)) return this.ws.bufferedAmount + held.length;
    let bytes = this.ws.bufferedAmount;
    for (let i = 0; i < held.length; i++) bytes += held[i].length;
    return bytes;
  }

  idle(): void {
    // ws's Receiver pushes each chunk read onto `_buffers` and shifts it off; V8 keeps the emptied
    // array's backing store (17 slots, ~150 B per connection, heap snapshots). Setting the length of
    // an empty array to 0 drops it; the next read grows it again.
    const receiver = (this.ws as unknown as WithReceiver)._receiver;
    if (receiver !== undefined && receiver._buffers.length === 0) receiver._buffers.length = 0;
  }
}

/**
 * The listeners of every connection in one frozen object, set as the WebSocket's `_events`, instead
 * of four on() calls per connection: EventEmitter keeps listeners in a null-prototype object, a
 * dictionary that grew to 256 B per connection (heap snapshots). emit() reads it as it reads its own.
 * Nothing else listens on these WebSockets; an on() would throw (the object is frozen), not leak to
 * every connection. A null prototype, as EventEmitter's: no event name finds an Object method.
 */
class Listeners {
  readonly open = onOpen;
  readonly message = onMessage;
  readonly error = onError;
  readonly close = onClose;
  readonly upgrade: typeof onUpgrade | undefined;
  constructor(upgrade: boolean) {
    this.upgrade = upgrade ? onUpgrade : undefined;
  }
}
Object.setPrototypeOf(Listeners.prototype, null);
const LISTENERS = Object.freeze(new Listeners(false));
const LISTENERS_UPGRADE = Object.freeze(new Listeners(true));

/**
 * The WebSocket transport: the subprotocol asked for offered (a server may select none, see
 * onUpgrade), no compression, custom headers, optional source
 * address and port. The connect deadline is the session's (the engine's timeout queue), not a
 * ws handshake timer per connection. An upgrade answered with anything but 101 makes ws emit
 * 'error' and then 'close'.
 */
export const connectWebSocket: Connect = (opts, events) => {
  const offered = opts.subprotocol ?? '';
  const ws = new WebSocket(opts.url, offered === '' ? [] : [offered], {
    headers: opts.headers,
    localAddress: opts.localAddress,
    localPort: opts.localPort,
    maxPayload: opts.maxPayload,
    perMessageDeflate: false,
    followRedirects: false,
    // TLS is verified unless the user turned it off explicitly (--insecure).
    rejectUnauthorized: opts.rejectUnauthorized ?? true,
    ...(opts.ca ? { ca: opts.ca } : {}),
  }) as unknown as TaggedSocket;
  ws[EVENTS] = events;
  ws[ENDING] = CloseKind.Unreachable; // until it opens
  ws[SUBPROTOCOL] = offered;
  const emitter = ws as unknown as { _events: object; _eventsCount: number };
  emitter._events = offered === '' ? LISTENERS : LISTENERS_UPGRADE;
  emitter._eventsCount = offered === '' ? 4 : 5;
  return new WebSocketTransport(ws);
};
