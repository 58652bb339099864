/**
 * The run's counter families, each declared once: a request's outcomes (per method), the error types and
 * the JSON-RPC message kinds. Everything that carries, adds up, exposes or renders them is derived from
 * these tuples: the engine's recorder and its snapshot deltas, the main thread's Aggregate and timeline,
 * the /metrics labels and help, the JSON report, `mcpload merge` and the text and HTML reports. Adding a
 * counter here puts it everywhere; the engine only has to bump it.
 */

/**
 * Outcomes of the requests of one method (deltas in snapshots, totals in the Aggregate and the report),
 * in the order they are carried, reported and merged.
 * - `status`: the `status` label of mcp_client_requests_total (null: not an outcome label; `sent` has its own series);
 * - `help`: what the status means, in that metric's help (empty: the label says it);
 * - `failed`: counts in requests.failed, the timeline's failed and the error rate;
 * - `answered`: a response came back (the latency histograms hold one sample per answered request);
 * - `label`: the column head of the HTML report's method table;
 * - `text`: shown on the method's line of the text report.
 */
export const OUTCOMES = [
  { name: 'sent', status: null, help: '', failed: false, answered: false, label: 'sent', text: true },
  { name: 'ok', status: 'ok', help: '', failed: false, answered: true, label: 'ok', text: true },
  { name: 'rpcError', status: 'rpc_error', help: 'JSON-RPC error response', failed: true, answered: true, label: 'rpc error', text: false },
  { name: 'toolError', status: 'tool_error', help: 'tools/call result with isError: true', failed: true, answered: true, label: 'tool error', text: false },
  { name: 'timeout', status: 'timeout', help: '', failed: true, answered: false, label: 'timeout', text: false },
  { name: 'closed', status: 'closed', help: 'connection lost in flight', failed: true, answered: false, label: 'closed', text: false },
  { name: 'dropped', status: 'dropped', help: 'not sent: in-flight bound reached', failed: false, answered: false, label: 'dropped', text: false },
  {
    name: 'queued',
    status: 'queued',
    help: 'not sent: still waiting inside mcpload for a pooled connection when it timed out or the run ended',
    failed: false,
    answered: false,
    label: 'queued',
    text: false,
  },
  {
    name: 'cancelled',
    status: 'cancelled',
    help: "cancelled by mcpload after the entry's cancelAfter",
    failed: false,
    answered: false,
    label: 'cancelled',
    text: false,
  },
  {
    name: 'invalid',
    status: 'invalid',
    help: 'answered with a result whose resultType is missing or unknown (2026-07-28): a protocol error',
    failed: true,
    answered: true,
    label: 'invalid',
    text: false,
  },
] as const;

export type Outcome = (typeof OUTCOMES)[number]['name'];
/** One number per outcome: MethodDelta's, MethodTotals' and MethodReport's counters. */
export type OutcomeCounts = { [K in Outcome]: number };
export const OUTCOME_NAMES: readonly Outcome[] = OUTCOMES.map((o) => o.name);
/** The outcomes that count as failed requests (rpcError, toolError, timeout, closed). */
export const FAILED_OUTCOMES: readonly Outcome[] = OUTCOMES.filter((o) => o.failed).map((o) => o.name);
/** The outcomes of requests that got a response (ok, rpcError, toolError): one latency sample each. */
export const ANSWERED_OUTCOMES: readonly Outcome[] = OUTCOMES.filter((o) => o.answered).map((o) => o.name);

export function zeroOutcomes(): OutcomeCounts {
  return Object.fromEntries(OUTCOME_NAMES.map((n) => [n, 0])) as OutcomeCounts;
}

/** `into[k] += from[k]` for every outcome. */
export function addOutcomes(into: OutcomeCounts, from: Readonly<OutcomeCounts>): void {
  for (const n of OUTCOME_NAMES) into[n] += from[n];
}

/** The copy of just the outcome counters of `from` (an object that may carry more, such as histograms). */
export function pickOutcomes(from: Readonly<OutcomeCounts>): OutcomeCounts {
  return Object.fromEntries(OUTCOME_NAMES.map((n) => [n, from[n]])) as OutcomeCounts;
}

/** Failed requests among `c`: the sum of the failed outcomes (one a record lacks, as a report of an older mcpload may, counts 0). */
export function failedOf(c: Readonly<Partial<OutcomeCounts>>): number {
  let n = 0;
  for (const o of FAILED_OUTCOMES) n += c[o] ?? 0;
  return n;
}

/** Answered requests among `c` (latency samples); an outcome a record lacks (a report of an older mcpload) counts 0. */
export function answeredOf(c: Readonly<Partial<OutcomeCounts>>): number {
  let n = 0;
  for (const o of ANSWERED_OUTCOMES) n += c[o] ?? 0;
  return n;
}

/**
 * Error types counted per engine, in this order (the index is what the hot path bumps), with what each
 * means:
 * connect:   the socket could not be opened (refused, reset during upgrade, bad upgrade response)
 * handshake: `initialize` failed (error response, timeout, wrong shape)
 * timeout:   a request got no response within the profile's timeout
 * protocol:  bad JSON, a response with an unknown or duplicate id, a binary frame, an oversized frame
 * rpc:       a JSON-RPC error response to one of our requests
 * tool:      a `tools/call` answered with a result whose `isError` is true (the tool failed; MCP's tool error)
 * closed:    the connection closed (or errored) while the session was open; in-flight requests fail with it
 * lost:      requests in flight on an engine that died (thread crash, its process killed): counted by the
 *            main thread from the engine's last snapshot, never by an engine; they count as failed
 */
export const ERROR_TYPES = ['connect', 'handshake', 'timeout', 'protocol', 'rpc', 'tool', 'closed', 'lost'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];
export const ErrorIndex = Object.fromEntries(ERROR_TYPES.map((t, i) => [t, i])) as { readonly [K in ErrorType]: number };

/** JSON-RPC messages by kind, in each direction's order; `help` qualifies a kind in the metrics' help. */
export const MESSAGES_SENT = [
  { name: 'request', help: 'initialize included' },
  { name: 'notification', help: '' },
  { name: 'response', help: 'to server requests' },
  { name: 'cancellation', help: 'notifications/cancelled for a timed-out or cancelAfter request' },
] as const;
export const MESSAGES_RECEIVED = [
  { name: 'response', help: '' },
  { name: 'notification', help: '' },
  { name: 'request', help: 'from the server' },
] as const;

export type MessageCounts<T extends readonly { name: string }[]> = { [K in T[number]['name']]: number };
export type SentCounts = MessageCounts<typeof MESSAGES_SENT>;
export type ReceivedCounts = MessageCounts<typeof MESSAGES_RECEIVED>;

/** A zero for each kind of `kinds`, in their order (the hot path bumps these fields by name). */
export function zeroCounts<T extends readonly { name: string }[]>(kinds: T): MessageCounts<T> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k.name] = 0;
  return out as MessageCounts<T>;
}

/** "a (what a is), b, c (what c is)": a family's members for a metric's help text. */
export function describeKinds(kinds: readonly { name: string; help: string }[]): string {
  return kinds.map((k) => (k.help ? `${k.name} (${k.help})` : k.name)).join(', ');
}

/**
 * The streaming surface's events, counted per engine and summed everywhere like the message kinds
 * (report `streams.events`, mcp_client_stream_events_total{event}); absent from a report when all zero.
 */
export const STREAM_EVENTS = [
  { name: 'subscribed', help: 'resources/subscribe answered, or a subscriptions/listen stream acknowledged' },
  { name: 'resourceUpdated', help: 'notifications/resources/updated received' },
  { name: 'cancelAcked', help: 'an answer that came for a request after mcpload cancelled it' },
  { name: 'sampling', help: 'sampling/createMessage requests answered' },
  { name: 'elicitation', help: 'elicitation/create requests answered' },
  { name: 'roots', help: 'roots/list requests answered' },
  { name: 'inputRequired', help: 'input_required results retried with inputResponses (2026-07-28)' },
  { name: 'resultTypeMissing', help: '2026-07-28 results without resultType, or with one mcpload does not know (counted invalid)' },
  { name: 'headerMismatch', help: 'HeaderMismatch (-32020) errors' },
  { name: 'unsupportedVersion', help: 'UnsupportedProtocolVersion (-32022) errors (the session re-discovers)' },
  { name: 'rediscovered', help: 'server/discover sent again after UnsupportedProtocolVersion (-32022)' },
  { name: 'cached', help: 'list requests answered from the cache within their ttlMs (not sent; profile cacheLists)' },
] as const;
export type StreamCounts = MessageCounts<typeof STREAM_EVENTS>;
export type StreamEvent = (typeof STREAM_EVENTS)[number]['name'];

/**
 * The streaming surface's latencies, µs HDR histograms carried, merged and reported like the handshake's
 * (report `streams.latency` and `histograms.streams`, mcp_client_stream_duration_ms{kind}).
 */
export const STREAM_LATENCIES = [
  { name: 'fanout', help: "from the server's resource update (its _meta stamp) to the subscriber's notification" },
  { name: 'multiRound', help: 'a multi-round (input_required) request, first send to final result' },
  {
    name: 'cancelAck',
    help: "from mcpload's cancellation of a request (at its timeout or cancelAfter) to the answer the server still sent for it, its acknowledgement (MCP asks for none; over 2026-07-28 HTTP the closed stream carries none)",
  },
] as const;
export type StreamLatency = (typeof STREAM_LATENCIES)[number]['name'];
