/**
 * What a session needs from a connection. Sessions depend on this interface only, so a linked
 * in-memory pair can stand in for a socket in unit tests (the MCP SDK's transport habit), and
 * transports of two kinds (ws.ts, http.ts) sit behind it.
 */
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
