/**
 * The closed model's request loop: a session keeps `concurrency` requests in flight; when one ends
 * (answered, rpc error, timed out) its slot sends the next after the think time. There is no
 * schedule to fall behind, so nothing is dropped and latency is the response time from the actual
 * send (intended = sent: no coordinated-omission correction, which only means something against a
 * schedule). The open model's path (request-loop.ts sendDue, the token bucket) is not involved.
 */
import type { ClosedModel } from '../../shared/types.js';
import type { Sender } from './request-loop.js';
import { methodsAt } from './measuring.js';

/** Above this many queued bytes a session stops sending: the server is not reading (as sendDue). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** When each free slot of a session may send again (at most `concurrency` of them). */
export class ClosedLoop {
  /** Due times of the free slots, unordered (concurrency is small; a scan finds the earliest). */
  private readonly due: number[] = [];

  constructor(private readonly model: ClosedModel) {}

  /** A new connection: every slot is free at `now`. */
  restart(now: number): void {
    this.due.length = 0;
    for (let i = 0; i < this.model.concurrency; i++) this.due.push(now);
  }

  /** A request ended at `now`: its slot is free after the think time; returns when. */
  ended(now: number): number {
    const { thinkMinMs, thinkMaxMs } = this.model;
    const at = now + (thinkMaxMs > thinkMinMs ? thinkMinMs + Math.random() * (thinkMaxMs - thinkMinMs) : thinkMinMs);
    this.due.push(at);
    return at;
  }

  /** The earliest time a free slot may send; Infinity when all are in flight. */
  next(): number {
    let min = Infinity;
    for (const t of this.due) if (t < min) min = t;
    return min;
  }

  /** Take a free slot due by `until`; false when there is none. */
  take(until: number): boolean {
    const due = this.due;
    for (let i = 0; i < due.length; i++) {
      if (due[i] <= until) {
        due[i] = due[due.length - 1];
        due.pop();
        return true;
      }
    }
    return false;
  }

  /** A request that could not go out: its slot stays free. */
  giveBack(now: number): void {
    this.due.push(now);
  }
}

/** Send a request for every free slot due by `until`, while the send buffer allows. */
export function sendClosed(s: Sender, loop: ClosedLoop, now: number, until: number): void {
  const host = s.host;
  const calls = s.calls;
  const transport = s.transport!;
  const queues = transport.queues === true;
  let cached = 0;
  while (transport.bufferedAmount <= MAX_BUFFERED_BYTES && loop.take(until)) {
    const entry = host.mix[s.mixCursor];
    s.mixCursor = s.mixCursor + 1 === host.mix.length ? 0 : s.mixCursor + 1;
    // A list result still fresh (list-cache.ts): answered from the cache, the slot thinks and goes again.
    if (host.cacheable[entry] === 1 && s.cachedUntil !== undefined && now < s.cachedUntil[entry]) {
      host.recorder.streams.cached++;
      loop.ended(now);
      if (++cached >= host.mix.length) break; // a whole pass cached: look again later, not in a spin
      continue;
    }
    const template = host.templates[entry];
    const id = calls.nextId();
    s.seq++;
    // Tracked first, as in sendDue: a queueing transport counts it sent when its bytes reach the socket (Session.wired).
    calls.track(id, entry, now, now, !queues);
    if (!s.write(template.frame(id, s), 'request', id, template.route)) {
      calls.forget(id);
      loop.giveBack(now); // the connection is closing: its close event follows
      break;
    }
    if (!queues) methodsAt(host, now)[entry].sent++;
    host.trackEntry(s, id, entry, now);
  }
}
