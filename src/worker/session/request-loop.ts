/**
 * The hot path of an open session: send the requests its token bucket says are due, built from the
 * mix's frame templates (only the id, and any template holes, are filled in), each handed to the transport with its id and
 * route and tracked by the correlator with its deadline on the engine's timeout queue.
 */
import type { Route, Transport } from '../transport/transport.js';
import type { TokenBucket } from './rate-limiter.js';
import type { Correlator } from './correlator.js';
import type { SessionHost } from './host.js';
import { methodsAt } from './measuring.js';
import type { MethodRecorder } from '../recorder.js';

/** Above this many queued bytes a session stops sending: the server is not reading. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The session whose requests go out (Session). */
export interface Sender {
  readonly host: SessionHost<Sender>;
  readonly calls: Correlator;
  readonly transport: Transport | undefined;
  /** The open session's schedule. */
  readonly bucket: TokenBucket | undefined;
  /** Where in the engine's mix sequence the session's next request comes from. */
  mixCursor: number;
  /** The session's index within its engine. */
  readonly slot: number;
  /** Mix requests the session has sent (`{{seq}}` of the last one). */
  seq: number;
  /** Per mix entry: until when its last list result is fresh (performance clock); made on the first cacheable result. */
  readonly cachedUntil: Float64Array | undefined;
  write(frame: Buffer, kind: 'request', id: number, route: Route): boolean;
  /** Request `id` (of mix entry `entry`) asked for progress: its notifications are timed. */
  watchProgress(id: number, entry: number): void;
}

/**
 * Send the requests that are due, while the in-flight bound and the send buffer allow. Slots that
 * overflowed the bucket's burst meanwhile are counted as dropped (and walk the mix like sent ones).
 * Requests due after `now` but by `until` go out early; their latency then counts from the actual
 * send (Recorder.response), never from a later intended time.
 */
export function sendDue(s: Sender, now: number, until = now): void {
  const bucket = s.bucket!;
  const host = s.host;
  const calls = s.calls;
  const lost = bucket.overflow(now);
  if (lost > 0) dropped(s, lost, methodsAt(host, now));
  const maxInFlight = host.profile.maxInFlight;
  const transport = s.transport!;
  const queues = transport.queues === true;
  // Two or more frames: one write for all of them (a turn's hold, BENCH_WAKE_HOLD=1 in Session.pump(), may already do that).
  const batch = bucket.readyTwo(until) && calls.size + 1 < maxInFlight && transport.cork !== undefined;
  if (batch) transport.cork!();
  while (bucket.ready(until) && calls.size < maxInFlight && transport.bufferedAmount <= MAX_BUFFERED_BYTES) {
    const intended = bucket.take();
    const entry = host.mix[nextEntry(s)];
    // A list result still fresh by its ttlMs (profile cacheLists): answered from the cache, not sent.
    if (host.cacheable[entry] === 1 && s.cachedUntil !== undefined && now < s.cachedUntil[entry]) {
      host.recorder.streams.cached++;
      continue;
    }
    const method = methodsAt(host, intended)[entry];
    const template = host.templates[entry];
    const id = calls.nextId();
    s.seq++;
    // Tracked first: a transport may write it (and call onwire) within send().
    calls.track(id, entry, intended, now, !queues);
    if (!s.write(template.frame(id, s), 'request', id, template.route)) {
      calls.forget(id);
      method.dropped++; // the connection is closing: its close event follows
      break;
    }
    // A queueing transport's request counts as sent when its bytes reach the socket (Session.wired).
    if (!queues) method.sent++;
    if (template.progress === true) s.watchProgress(id, entry);
    if (now > intended) host.recorder.sendLagSumMs += now - intended;
    host.trackEntry(s, id, entry, now);
  }
  if (batch) transport.uncork!();
}

/**
 * `lost` overflowed slots walk the mix like sent requests, each counted as dropped by its method (of
 * `methodOf`: the warm-up's while it lasts). Whole
 * passes of the mix are counted at once, so the cost does not grow with the rate (a stalled engine at
 * a high rate can overflow millions of slots in one wake-up).
 */
function dropped(s: Sender, lost: number, methodOf: readonly MethodRecorder[]): void {
  const { mix, mixCounts } = s.host;
  const passes = Math.floor(lost / mix.length);
  if (passes > 0) for (let e = 0; e < mixCounts.length; e++) methodOf[e].dropped += passes * mixCounts[e];
  for (let i = passes * mix.length; i < lost; i++) methodOf[mix[nextEntry(s)]].dropped++;
}

function nextEntry(s: Sender): number {
  const i = s.mixCursor;
  s.mixCursor = i + 1 === s.host.mix.length ? 0 : i + 1;
  return i;
}
