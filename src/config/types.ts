/**
 * The shapes of configuration once it is loaded and validated. Everything here is plain data,
 * structured-clone safe, because it crosses into engine threads.
 */

/** One entry of a profile's request mix. */
export interface MixEntry {
  /** An MCP client->server request method: tools/call, resources/read, ping, ... */
  method: string;
  /** Relative weight; the mix picks methods in proportion. */
  weight: number;
  /** JSON-RPC params sent with the request (valid MCP params for the method). */
  params?: Record<string, unknown>;
}

/** A k6-like stage: over `durationMs`, ramp linearly to `clients` (and `rate` per client if given). */
export interface Stage {
  durationMs: number;
  clients: number;
  rate?: number;
}

export interface ReconnectPolicy {
  /** First backoff; each attempt doubles it, full jitter, capped at maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0 = forever. */
  maxAttempts: number;
}

/** A slow reader: every intervalMs the session pauses reading its socket for pauseMs (backpressure). */
export interface SlowRead {
  pauseMs: number;
  intervalMs: number;
}

/** A validated, normalized profile (times in ms, sizes in bytes). */
export interface Profile {
  name: string;
  description?: string;
  clients: number;
  /** Requests per second per client (token bucket rate). */
  rate: number;
  /** Token bucket size: how many requests a client may send at once after falling behind. */
  burst: number;
  /** Bytes of each request message (JSON plus the frame terminator), padded to this size. */
  messageSize: number;
  timeoutMs: number;
  /** Reconnect after this lifetime; 0 = never. */
  sessionTtlMs: number;
  /** Bound on requests in flight per session; a request due beyond it is counted as dropped. */
  maxInFlight: number;
  mix: MixEntry[];
  reconnect: ReconnectPolicy;
  slowRead?: SlowRead;
  stages: Stage[];
}

import type { Threshold } from '../main/thresholds.js';

export type FrameTerminator = 'newline' | 'none';
/** WebSocket, or MCP Streamable HTTP. */
export type TransportKind = 'ws' | 'http';

/** Everything a run needs, validated before any thread starts. */
export interface RunOptions {
  profile: Profile;
  /** ws(s):// or, with transport http, http(s):// URLs; empty means: start the reference target on 127.0.0.1. */
  urls: string[];
  /** ws (default) or http (Streamable HTTP); follows the URLs' scheme unless given. */
  transport?: TransportKind;
  /** Source addresses to bind; sessions are spread over them. Empty: let the OS choose. */
  localAddresses: string[];
  /** How long the run lasts (after the stages, if the profile has any, this is their sum). */
  durationMs: number;
  /** New sessions per second across all engines; 0 = as fast as possible. */
  connectRate: number;
  headers: Record<string, string>;
  protocolVersion: string;
  /** Engine threads per process. */
  workers: number;
  /** Processes the engines run in (1: this one); more when one process's open-files limit is not enough. */
  processes?: number;
  /** Source ports mcpload binds from on each --local-address (default 10000-65535). */
  localPorts?: { from: number; to: number };
  frameTerminator: FrameTerminator;
  /** Write the JSON report here. */
  reportPath?: string;
  /** Seconds between progress lines. */
  progressIntervalMs: number;
  quiet: boolean;
  logLevel: string;
  /** Serve /metrics and /healthz on this port; 0 or absent = no endpoint. */
  metricsPort?: number;
  /** The address the metrics endpoint listens on (default 0.0.0.0). */
  metricsHost?: string;
  /** --threshold, parsed; any failure makes the exit code 1. */
  thresholds?: Threshold[];
  /** Stop the run once a threshold has failed for good. */
  abortOnFail?: boolean;
  /** Write the self-contained HTML report here. */
  htmlPath?: string;
  /** How long a stop (end of run or signal) waits for in-flight responses; default 5 s. */
  drainMs?: number;
  /** wss:// verification: absent = against the system CAs. */
  tls?: TlsOptions;
  /**
   * --spin: engines poll their send schedule in a busy loop between socket events instead of sleeping
   * until the next 1 ms tick. Requests leave on time (to 1/16 ms) instead of in bursts per tick, at the
   * cost of one busy core per engine thread (bench/accuracy.mjs, part c).
   */
  spin?: boolean;
}

/** TLS settings for wss:// targets. Plain data: it crosses into engine threads. */
export interface TlsOptions {
  /** PEM text of the CA(s) to trust instead of the system ones (--ca FILE, read at start). */
  ca?: string;
  /** Do not verify the server's certificate at all (--insecure). */
  insecure?: boolean;
}
