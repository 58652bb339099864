/**
 * The run's options once loaded and validated (config/options.ts builds them; nothing here crosses into
 * engine threads, which get an EngineConfig made of shared/types.ts data).
 */
import type { FrameTerminator, Profile, TlsOptions, TransportKind } from '../shared/types.js';
import type { StreamOutput } from './outputs.js';
import type { Threshold } from './thresholds.js';
import type { Shard } from './shard.js';

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
  /**
   * --warmup: sessions connect and send this long before measuring starts; requests due before then are
   * counted apart (report.warmup), never in the histograms, timeline, rates or thresholds. 0 or absent: none.
   */
  warmupMs?: number;
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
  /** The WebSocket subprotocol offered ('' offers none); absent: DEFAULT_SUBPROTOCOL. */
  subprotocol?: string;
  /** Write the JSON report here. */
  reportPath?: string;
  /** Time between progress lines (ms). */
  progressIntervalMs: number;
  quiet: boolean;
  logLevel: string;
  /** Serve /metrics and /healthz on this port; 0 or absent = no endpoint. */
  metricsPort?: number;
  /** The address the metrics endpoint listens on (default 127.0.0.1). */
  metricsHost?: string;
  /** metricsPort is a default nobody asked for: when it is in use, a free port is taken instead (the `metrics` event says which). */
  metricsPortFallback?: boolean;
  /**
   * The process is mcpload's own (the CLI sets it): once the engines are up, its other threads (and
   * those of the engines' processes) run lower than the engines (main/priority.ts). Not with the
   * built-in target, which runs on this process's main thread.
   */
  enginesFirst?: boolean;
  /** --threshold, parsed; any failure makes the exit code 1. */
  thresholds?: Threshold[];
  /** Stop the run once a threshold has failed for good. */
  abortOnFail?: boolean;
  /** Write the self-contained HTML report here. */
  htmlPath?: string;
  /** --out: files that grow a line per second while the run goes (NDJSON or CSV). */
  streams?: StreamOutput[];
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
  /** --shard i/n: this run is share i of n of the profile (the profile here is the share already). */
  shard?: Shard;
  /** --start-at: the instant (ms since the epoch) the engines start sending at, the same on every shard. */
  startAtMs?: number;
  /** After the run, keep the metrics endpoint up this long at most, until the final /snapshot was read once. */
  lingerMs?: number;
  /** --http-get-stream: each Streamable HTTP session keeps a GET stream open for server-initiated messages. */
  httpGetStream?: boolean;
}
