/**
 * Runs one Engine in-process against a real server and sums its snapshot deltas, so a test can
 * assert on totals. Runs are short and bounded: a run that never posts its final snapshot fails
 * the test instead of hanging it.
 */
import type { FrameTerminator, Profile } from '../../src/shared/types.js';
import { loadProfile } from '../../src/config/profile.js';
import { ERROR_TYPES, type ErrorType } from '../../src/shared/errors.js';
import type { EngineConfig, EngineSnapshot } from '../../src/shared/messages.js';
import { deltaCount } from '../../src/shared/stats.js';
import { Engine } from '../../src/worker/engine.js';
import type { Connect } from '../../src/worker/transport/transport.js';
import { openFilesLimit } from '../../src/config/limits.js';

export interface EngineRunOptions {
  /** One URL, or several (sessions are spread over them). */
  url: string | string[];
  /** Changes to the 'normal' profile (stages are cleared, so clients and rate hold for the run). */
  profile?: Partial<Profile>;
  /** Sending time; at most 2 s. */
  durationMs: number;
  /** Time to wait for in-flight responses after sending stops; default 500, at most 2 s. */
  drainMs?: number;
  clients?: number;
  frameTerminator?: FrameTerminator;
  protocolVersion?: string;
  /** New sessions per second; 0 (default) = all at once. */
  connectRate?: number;
  /** --spin: the engine polls its schedule every event-loop turn. */
  spin?: boolean;
  /** --http-get-stream: Streamable HTTP sessions open a GET stream for server-initiated messages. */
  httpGetStream?: boolean;
  /** How sessions connect instead of by the URL (test/session-machine.test.ts: the in-memory pair). */
  connect?: Connect;
}

export interface MethodTotals {
  sent: number;
  ok: number;
  rpcError: number;
  toolError: number;
  timeout: number;
  closed: number;
  dropped: number;
  queued: number;
  /** Values recorded in the coordinated-omission-corrected latency histogram. */
  latencyCount: number;
  /** Values recorded in the raw latency histogram. */
  latencyRawCount: number;
}

export interface EngineTotals extends MethodTotals {
  /** Per method, summed over every snapshot. */
  methods: Record<string, MethodTotals>;
  errors: Record<ErrorType, number>;
  sessionsEstablished: number;
  reconnects: number;
  /** Values recorded in the handshake histogram. */
  handshakes: number;
  messagesSent: { request: number; notification: number; response: number };
  messagesReceived: { response: number; notification: number; request: number };
  bytesSent: number;
  bytesReceived: number;
  /** Largest in-flight gauge seen in any snapshot. */
  maxInFlight: number;
}

export interface EngineRun {
  snapshots: EngineSnapshot[];
  total: EngineTotals;
  notes: string[];
  profile: Profile;
}

const MAX_RUN_MS = 2000;
/** Beyond duration + drain, how long a run may take before the helper gives up on it. */
const GIVE_UP_AFTER_MS = 15_000;

export function testProfile(changes: Partial<Profile> = {}, clients?: number): Profile {
  const profile: Profile = { ...loadProfile('normal'), stages: [], sessionTtlMs: 0, ...changes };
  if (clients !== undefined) profile.clients = clients;
  return profile;
}

export async function runEngine(opts: EngineRunOptions): Promise<EngineRun> {
  const drainMs = opts.drainMs ?? 500;
  if (opts.durationMs > MAX_RUN_MS || drainMs > MAX_RUN_MS) {
    throw new Error(`runEngine: keep test runs short (durationMs and drainMs <= ${MAX_RUN_MS})`);
  }
  const profile = testProfile(opts.profile, opts.clients);
  const config: EngineConfig = {
    engineId: 0,
    engineCount: 1,
    profile,
    urls: Array.isArray(opts.url) ? opts.url : [opts.url],
    localAddresses: [],
    localPorts: { from: 10_000, to: 65_535 },
    maxConnecting: 1000,
    sessionsPerEngine: profile.clients,
    openFilesSoft: openFilesLimit()?.soft ?? Infinity,
    headers: {},
    protocolVersion: opts.protocolVersion ?? '2025-11-25',
    frameTerminator: opts.frameTerminator ?? 'newline',
    connectRate: opts.connectRate ?? 0,
    durationMs: opts.durationMs,
    startAtMs: Date.now(),
    snapshotIntervalMs: 200,
    drainMs,
    spin: opts.spin ?? false,
    ...(opts.httpGetStream ? { httpGetStream: true } : {}),
  };
  const snapshots: EngineSnapshot[] = [];
  const notes: string[] = [];
  let engine: Engine | undefined;
  await new Promise<void>((resolve, reject) => {
    const giveUp = setTimeout(
      () => {
        void engine?.stop(0);
        reject(new Error(`runEngine: no final snapshot within ${opts.durationMs + drainMs + GIVE_UP_AFTER_MS} ms`));
      },
      opts.durationMs + drainMs + GIVE_UP_AFTER_MS,
    );
    engine = new Engine(
      config,
      {
        snapshot(s) {
          snapshots.push(s);
          if (s.final) {
            clearTimeout(giveUp);
            resolve();
          }
        },
        note: (message) => notes.push(message),
      },
      opts.connect,
    );
    engine.start();
  });
  return { snapshots, total: sum(snapshots), notes, profile };
}

function emptyMethod(): MethodTotals {
  return { sent: 0, ok: 0, rpcError: 0, toolError: 0, timeout: 0, closed: 0, dropped: 0, queued: 0, latencyCount: 0, latencyRawCount: 0 };
}

const COUNTERS = ['sent', 'ok', 'rpcError', 'toolError', 'timeout', 'closed', 'dropped', 'queued'] as const;

export function sum(snapshots: EngineSnapshot[]): EngineTotals {
  const total: EngineTotals = {
    ...emptyMethod(),
    methods: {},
    errors: Object.fromEntries(ERROR_TYPES.map((t) => [t, 0])) as Record<ErrorType, number>,
    sessionsEstablished: 0,
    reconnects: 0,
    handshakes: 0,
    messagesSent: { request: 0, notification: 0, response: 0 },
    messagesReceived: { response: 0, notification: 0, request: 0 },
    bytesSent: 0,
    bytesReceived: 0,
    maxInFlight: 0,
  };
  for (const s of snapshots) {
    for (const [method, d] of Object.entries(s.methods)) {
      const m = (total.methods[method] ??= emptyMethod());
      for (const key of COUNTERS) {
        m[key] += d[key];
        total[key] += d[key];
      }
      const latency = deltaCount(d.latency);
      const latencyRaw = deltaCount(d.latencyRaw);
      m.latencyCount += latency;
      m.latencyRawCount += latencyRaw;
      total.latencyCount += latency;
      total.latencyRawCount += latencyRaw;
    }
    ERROR_TYPES.forEach((type, i) => (total.errors[type] += s.errors[i]));
    total.sessionsEstablished += s.sessionsEstablished;
    total.reconnects += s.reconnects;
    total.handshakes += deltaCount(s.handshake);
    for (const k of ['request', 'notification', 'response'] as const) {
      total.messagesSent[k] += s.messagesSent[k];
      total.messagesReceived[k] += s.messagesReceived[k];
    }
    total.bytesSent += s.bytesSent;
    total.bytesReceived += s.bytesReceived;
    total.maxInFlight = Math.max(total.maxInFlight, s.inFlight);
  }
  return total;
}

/** Polls `condition` until it holds; rejects after `limitMs` (a bound, not a timing assertion). */
export async function until(condition: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('until: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
