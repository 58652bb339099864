/**
 * A session's run through its profile's flow (shared/types.ts FlowStep): cursors walk the steps; a
 * request step sends and waits for its answer (or its timeout), a think step moves the cursor's plan
 * on, repeat loops, parallel starts copies side by side and waits for the last, end ends the flow.
 *
 * Open-model timing: each cursor carries `due`, when the flow meant to send its next request. It
 * starts at the session's arrival (with arrivals) or its handshake, moves on by the think times, and
 * after an answer starts from the answer's time. A request's corrected latency counts from `due`, so
 * whatever held it back (the connect queue, a handshake a stalled server did not answer, a late
 * engine) is counted; raw latency counts from the actual send.
 */
import type { FlowStep } from '../../shared/types.js';
import { drawThinkMs } from '../../shared/flow.js';
import type { Route, Transport } from '../transport/transport.js';
import type { RequestFrames, FrameContext } from '../frames.js';
import type { MethodRecorder } from '../recorder.js';
import type { Correlator } from './correlator.js';
import { methodsAt } from './measuring.js';

/** A flow step with its request steps' engine entries resolved (Engine: mix entries first, then these). */
export type FlowNode =
  /** `alts` > 1: the step picks one of entries [entry, entry + alts) each time it runs (a discover step). */
  | { kind: 'request'; entry: number; alts: number }
  | { kind: 'think'; think: Extract<FlowStep, { kind: 'think' }>['think'] }
  | { kind: 'repeat' | 'parallel'; count: number; body: FlowNode[] }
  | { kind: 'end' };

/** `first`: the engine entry of the flow's first request step (mix entries come before). */
export function compileFlow(steps: readonly FlowStep[], first: number): FlowNode[] {
  let next = first;
  const walk = (list: readonly FlowStep[]): FlowNode[] =>
    list.map((s): FlowNode => {
      switch (s.kind) {
        case 'request': {
          const alts = 1 + (s.also?.length ?? 0);
          const entry = next;
          next += alts;
          return { kind: 'request', entry, alts };
        }
        case 'think':
          return { kind: 'think', think: s.think };
        case 'end':
          return { kind: 'end' };
        default:
          return { kind: s.kind, count: s.count, body: walk(s.steps) };
      }
    });
  return walk(steps);
}

/** What the flow needs of its session (Session). */
export interface FlowSender extends FrameContext {
  readonly calls: Correlator;
  readonly transport: Transport | undefined;
  readonly host: {
    readonly templates: RequestFrames[];
    readonly methodOf: MethodRecorder[];
    /** --warmup (SessionHost.measureFrom, warmOf). */
    readonly measureFrom: number;
    readonly warmOf: MethodRecorder[];
    readonly profile: { readonly timeoutMs: number };
    /** Lateness of the requests sent (the report's generator-limited check reads it). */
    readonly recorder: { sendLagSumMs: number };
  };
  seq: number;
  write(frame: Buffer, kind: 'request', id: number, route: Route): boolean;
  /** Request `id` of the flow (engine entry `entry`) went out: its deadline is `deadline`. */
  flowSent(id: number, entry: number, sentAt: number): void;
}

interface Frame {
  body: FlowNode[];
  i: number;
  /** Passes of `body` still to run, this one included. */
  left: number;
}

class Cursor {
  readonly frames: Frame[];
  /** Copies of a parallel step still running (the cursor waits for them). */
  children = 0;
  constructor(
    body: FlowNode[],
    public due: number,
    readonly parent: Cursor | undefined,
  ) {
    this.frames = [{ body, i: 0, left: 1 }];
  }
}

export class FlowRun {
  /** Cursors waiting for their `due` (after a think, or a step not yet due). */
  private sleeping: Cursor[] = [];
  /** Cursors waiting for the answer to a request, by its id. */
  private readonly waiting = new Map<number, Cursor>();
  /** The flow reached its end (or an end step): the session ends once its requests are answered. */
  done = false;
  /** When this connection's flow started (its handshake done): lateness before it is the connection's, not the engine's. */
  private startedAt = 0;

  constructor(
    private readonly program: FlowNode[],
    private readonly s: FlowSender,
  ) {}

  /** A new connection: the flow starts over, planned from `due`. */
  start(due: number, now: number): void {
    this.sleeping = [];
    this.waiting.clear();
    this.done = false;
    this.startedAt = now;
    this.advance(new Cursor(this.program, due, undefined), now, now);
  }

  /** Request `id` ended (answered or timed out) at `now`: its cursor goes on. True when that ended the flow. */
  settled(id: number, now: number): boolean {
    const c = this.waiting.get(id);
    if (c === undefined) return false;
    this.waiting.delete(id);
    if (this.done) return false;
    c.due = now;
    this.advance(c, now, now);
    return this.done;
  }

  /** Send what is due by `until`; returns when to look again (Infinity: nothing sleeps). */
  wake(now: number, until: number): number {
    if (this.done || this.sleeping.length === 0) return Infinity;
    const due = this.sleeping;
    this.sleeping = [];
    for (const c of due) {
      if (this.done) break;
      if (c.due <= until) this.advance(c, now, until);
      else this.sleeping.push(c);
    }
    return this.next();
  }

  /** The earliest `due` of a sleeping cursor. */
  next(): number {
    let min = Infinity;
    for (const c of this.sleeping) if (c.due < min) min = c.due;
    return min;
  }

  get inFlight(): number {
    return this.waiting.size;
  }

  /** Walk `c` on until it waits; requests due by `until` go out now (measured from their actual send when early). */
  private advance(c: Cursor, now: number, until: number): void {
    for (;;) {
      const f = c.frames[c.frames.length - 1];
      if (f.i >= f.body.length) {
        if (--f.left > 0) {
          f.i = 0;
          continue;
        }
        c.frames.pop();
        if (c.frames.length > 0) continue;
        return this.finished(c, now, until);
      }
      const node = f.body[f.i];
      switch (node.kind) {
        case 'request':
          if (c.due > until) {
            this.sleeping.push(c);
            return;
          }
          f.i++;
          if (!this.send(c, node.alts === 1 ? node.entry : node.entry + Math.floor(Math.random() * node.alts), now)) continue; // could not go out (the connection is closing): the flow moves on
          return;
        case 'think':
          f.i++;
          c.due += drawThinkMs(node.think, Math.random());
          continue;
        case 'repeat':
          f.i++;
          c.frames.push({ body: node.body, i: 0, left: node.count });
          continue;
        case 'parallel': {
          f.i++;
          c.children = node.count;
          for (let k = 0; k < node.count && !this.done; k++) this.advance(new Cursor(node.body, c.due, c), now, until);
          return;
        }
        case 'end':
          this.done = true;
          return;
      }
    }
  }

  /** A cursor ran out of steps: a parallel copy joins its parent (whose plan goes on from the last copy's end); the root ends the flow. */
  private finished(c: Cursor, now: number, until: number): void {
    const parent = c.parent;
    if (parent === undefined) {
      this.done = true;
      return;
    }
    if (c.due > parent.due) parent.due = c.due;
    if (--parent.children === 0) this.advance(parent, now, until);
  }

  private send(c: Cursor, entry: number, now: number): boolean {
    const s = this.s;
    const host = s.host;
    const template = host.templates[entry];
    const calls = s.calls;
    const queues = s.transport?.queues === true;
    const id = calls.nextId();
    s.seq++;
    calls.track(id, entry, c.due, now, !queues);
    const methodOf = methodsAt(host, c.due);
    if (!s.write(template.frame(id, s), 'request', id, template.route)) {
      calls.forget(id);
      methodOf[entry].dropped++;
      return false;
    }
    if (!queues) methodOf[entry].sent++;
    // Late past its plan (a think that woke late, a busy engine) counts towards generator-limited, as a mix request's does.
    const from = c.due > this.startedAt ? c.due : this.startedAt;
    if (now > from) host.recorder.sendLagSumMs += now - from;
    this.waiting.set(id, c);
    s.flowSent(id, entry, now);
    return true;
  }
}
