/**
 * The plain data of a loaded, validated configuration that crosses into engine threads (profiles,
 * transport kind, TLS): structured-clone safe, and below both config/ and worker/.
 */

/**
 * One request as a profile describes it: what a mix entry and a flow's request step both carry (a mix
 * entry adds its weight). A field added here reaches both.
 */
export interface RequestSpec {
  /** An MCP client->server request method: tools/call, resources/read, ping, ... */
  method: string;
  /** JSON-RPC params sent with the request (valid MCP params for the method); strings may hold templates (config/templates.ts). */
  params?: Record<string, unknown>;
  /** A method outside the revision's client methods, sent as given. */
  custom?: true;
  /** The rows of the entry's data file, for `{{row.FIELD}}` (config/data-file.ts). */
  data?: DataRows;
  /**
   * Targets drawn from discovery at run start (src/discover/): 'all' (`discover: true`) spreads the
   * weight over what the server offers; 'fallback' keeps params when the server has what they name.
   * Resolved into ordinary entries before any engine starts: engines never see it.
   */
  discover?: 'all' | 'fallback';
  /** Ask for progress (`_meta.progressToken`): time to first progress, gaps and total time are measured. */
  progress?: true;
  /** Cancel a request of this entry still in flight this long after its send (ms): counted `cancelled`, not failed. */
  cancelAfterMs?: number;
  /**
   * 2026-07-28 tools/call: the tool's parameters marked `x-mcp-header` (learnt from tools/list at run
   * start, src/discover/param-headers.ts), mirrored into `Mcp-Param-{name}` headers.
   */
  paramHeaders?: ParamHeader[];
}

/** One mirrored tool parameter: the header's name part and the property path under `arguments`. */
export interface ParamHeader {
  name: string;
  path: string[];
}

/** A canned answer to one kind of server request, sent after `delayMs`. */
export interface CannedAnswer {
  result: Record<string, unknown>;
  delayMs: number;
  /** Strings of `result` hold templates (config/templates.ts), filled for each answer. */
  templated?: true;
}

/** The client capabilities a profile declares, each with its answer (worker/session/server-requests.ts). */
export interface ClientAnswers {
  sampling?: CannedAnswer;
  elicitation?: CannedAnswer;
  roots?: CannedAnswer;
}

/** One entry of a profile's request mix. */
export interface MixEntry extends RequestSpec {
  /** Relative weight; the mix picks methods in proportion. */
  weight: number;
}

/**
 * A think time of a flow: fixed, uniform in [min, max], exponential with a mean, or drawn from
 * percentiles (piecewise linear between the points, the first from 0 ms at p0).
 */
export type ThinkTime =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'exponential'; meanMs: number }
  /** Ascending quantiles in (0, 1] with their durations (ms), ascending too. */
  | { kind: 'percentiles'; points: { q: number; ms: number }[] };

/**
 * One step of a flow (Profile.flow), the way an agent's session goes: a request, a pause, a
 * repetition or a concurrent burst of nested steps, or the session's end.
 */
export type FlowStep =
  /** `key`: the step's name in the report (its `name:`, or its place and method: "4 resources/read"). */
  /**
   * `also`: a `discover` step resolved to several targets (src/discover/) is its own spec and these;
   * each time the step runs it picks one of them at random, all counted under the one key.
   */
  | ({ kind: 'request'; key: string; also?: RequestSpec[] } & RequestSpec)
  | { kind: 'think'; think: ThinkTime }
  | { kind: 'repeat'; count: number; steps: FlowStep[] }
  /** `count` copies of `steps` at once; the step ends when the last copy does. */
  | { kind: 'parallel'; count: number; steps: FlowStep[] }
  | { kind: 'end' };

/** How discovery picks tools: beyond the read-only ones, only those named here; arguments sampled with this seed. */
export interface DiscoveryPolicy {
  tools: string[];
  seed: number;
}

/** A data file's rows, only the fields the templates use, in `fields` order. */
export interface DataRows {
  fields: string[];
  rows: unknown[][];
}

/**
 * The closed model: each session keeps `concurrency` requests in flight and sends the next when one
 * ends, after a think time drawn uniformly from [thinkMinMs, thinkMaxMs]. No rate, no schedule.
 */
export interface ClosedModel {
  concurrency: number;
  thinkMinMs: number;
  thinkMaxMs: number;
}

/** A k6-like stage: over `durationMs`, ramp linearly to `clients` (and `rate` per client, `arrivalRate`, if given). */
export interface Stage {
  durationMs: number;
  clients: number;
  rate?: number;
  /** Session arrivals: new sessions per second at the end of this stage. */
  arrivalRate?: number;
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
  /** Present: the closed model (rate is 0 then); absent: the open model, on the token bucket's schedule. */
  closed?: ClosedModel;
  /** The steps each session runs (absent: the session sends its mix until the run or its TTL ends). */
  flow?: FlowStep[];
  /**
   * Session arrivals (the open model for sessions): new sessions per second, each running its flow
   * and then closing; concurrent sessions are a result. Absent: a fixed population of `clients`.
   */
  arrivalRate?: number;
  /** For mix entries with `discover`: the tool allowlist and the sampling seed. */
  discovery?: DiscoveryPolicy;
  /** Declared client capabilities and their answers to the server's requests (profile `capabilities`). */
  answers?: ClientAnswers;
  /** Resources each session subscribes to once open (resources/subscribe, or one subscriptions/listen on 2026-07-28). */
  subscribe?: string[];
  /** 2026-07-28: list results are cached for their ttlMs; a request due meanwhile is counted `cached`, not sent. */
  cacheLists?: true;
}

export type FrameTerminator = 'newline' | 'none';
/** WebSocket, or MCP Streamable HTTP. */
export type TransportKind = 'ws' | 'http';

/** TLS settings for wss:// targets. Plain data: it crosses into engine threads. */
export interface TlsOptions {
  /** PEM text of the CA(s) to trust instead of the system ones (--ca FILE, read at start). */
  ca?: string;
  /** Do not verify the server's certificate at all (--insecure). */
  insecure?: boolean;
}
