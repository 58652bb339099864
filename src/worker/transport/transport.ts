/**
 * What a session needs from a connection. Sessions depend on this interface only, so a linked
 * in-memory pair can stand in for a socket in unit tests (the MCP SDK's transport habit), and
 * transports of two kinds (ws.ts, http.ts) sit behind it. It stays byte-level for speed but carries
 * meaning both ways: `send` is told the request id and route the session knows, and a close says
 * why it happened as a CloseReason, never as an invented WebSocket code.
 */

/** Why a connection ended: the session decides on these, never on numbers. */
export const enum CloseKind {
  /** The peer closed it (a WebSocket close frame: `code` is the peer's). */
  Peer,
  /** This side's close(). */
  Local,
  /** Nothing ever answered: refused, reset or no route before the first answer (HTTP: the first POSTs). */
  Unreachable,
  /** The connection failed at the network level after answers (a reset, an abnormal end). */
  Lost,
  /** The server forgot the session (Streamable HTTP: a 404 on its Mcp-Session-Id). Initialize a new one. */
  SessionExpired,
  /** The peer broke the wire protocol (WebSocket: bad opcode, invalid UTF-8, longer than the max payload). */
  ProtocolViolation,
}

export interface CloseReason {
  readonly kind: CloseKind;
  /** The WebSocket close code where there is one, for log lines only; 0 where there is none (HTTP). */
  readonly code: number;
  readonly text: string;
}

/** A close reason for a log line: the WebSocket code where there is one, else what happened. */
export function closeText(reason: CloseReason): string {
  if (reason.code !== 0) return `close code ${reason.code}`;
  switch (reason.kind) {
    case CloseKind.Unreachable:
      return 'unreachable';
    case CloseKind.Lost:
      return 'connection lost';
    case CloseKind.SessionExpired:
      return 'session expired';
    default:
      return reason.text || 'closed';
  }
}

/**
 * What a request is, for transports that say it outside the body: the MCP 2026-07-28 routing
 * headers (`Mcp-Method`, and `Mcp-Name` where the method names a tool, prompt or resource) as
 * name/value pairs. Built once per frame template (http-headers.ts routeOf); WebSocket ignores it.
 */
export type Route = readonly string[];

export interface TransportEvents {
  onopen(): void;
  /** One WebSocket message (text or binary), as received. */
  onmessage(data: Buffer, isBinary: boolean): void;
  /** Every message of one socket read has been delivered (transports with `readEnds` only). */
  onreadend?(): void;
  /**
   * Request `id` (as handed to send) reached its socket: its bytes were written now. Transports that
   * `queue` only; the session counts a request sent here, not when send() took it.
   */
  onwire?(id: number, bytes: number): void;
  /**
   * One request (`id`; undefined: a notification or an answer to the server) was cut with its
   * connection after it was written, and the connection is all that ended: the session lives on
   * (Streamable HTTP: an MCP session does not live in a TCP connection, the next requests go on new
   * ones with the same Mcp-Session-Id). Transports without it end the connection instead (onclose).
   */
  onrequestlost?(id: number | undefined, err: Error): void;
  /** The session still waits for the answer to request `id` (transports that resume streams ask, at a stream's end). */
  waiting?(id: number): boolean;
  /** Called once, whatever ended the connection. */
  onclose(reason: CloseReason): void;
  /** Called before onclose when the connection failed (connect refused, bad upgrade, reset): for the log. */
  onerror(err: Error): void;
}

export interface Transport {
  /**
   * Queue a frame; false when the connection is not open (the frame is not sent). `id`: the
   * JSON-RPC id when the frame is one of the session's requests (absent for notifications and
   * answers to the server); `route`: what the request is (see Route).
   */
  send(frame: Buffer | string, id?: number, route?: Route): boolean;
  /** Graceful close (close frame). Safe to call twice. `code`/`reason` go on the wire where the transport has a close frame. */
  close(code?: number, reason?: string): void;
  /**
   * True when send() may hold a request inside mcpload before its bytes reach a socket (Streamable
   * HTTP: a POST waiting for a pooled connection). Such a transport calls `onwire` when they do.
   */
  readonly queues?: boolean;
  /**
   * The session counted request `id` as timed out: stop waiting for its answer. True when that cut
   * an answer still coming (Streamable HTTP: the POST is aborted, so its pooled connection is freed
   * for the next requests; a POST still waiting for a connection is taken off the queue and never
   * sent). Transports whose answers share one connection (WebSocket) have none.
   */
  abandon?(id: number): boolean;
  /** The handshake agreed on this protocol revision (transports that announce it on every message: HTTP). */
  setProtocolVersion?(version: string): void;
  /** Stop reading from the socket (backpressure on the server) / start again. */
  pause(): void;
  resume(): void;
  /** Bytes queued but not yet written to the socket. */
  readonly bufferedAmount: number;
  /** WebSocket: the subprotocol the server selected at the upgrade ('' none), once open. Absent where there is none (HTTP). */
  readonly subprotocol?: string;
  /** True when onreadend follows the messages of each socket read, so answers can be batched. */
  readonly readEnds?: boolean;
  /**
   * Nothing is in flight and the session sends nothing for a second or more: let go of read
   * buffers kept for the next message (WebSocket: ws's chunk list). Memory per idle session.
   */
  idle?(): void;
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
  /** WebSocket: the subprotocol to offer (--subprotocol); '' or absent offers none. */
  subprotocol?: string;
}

export type Connect = (opts: ConnectOptions, events: TransportEvents) => Transport;
