/**
 * Reports to test with: real ones from short runs of the built CLI against its built-in target, and
 * synthetic ones whose histograms hold known samples (so a test knows what the merged figures must be).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_TYPES, MESSAGES_RECEIVED, MESSAGES_SENT, zeroCounts, zeroOutcomes } from '../../src/shared/counters.js';
import type { RunReport } from '../../src/report/types.js';
import { Aggregate } from '../../src/main/aggregate.js';
import { Answer, Recorder } from '../../src/worker/recorder.js';
import { encodeHistogram, newHistogram, recordMicros, summarize } from '../../src/shared/stats.js';
import { runCli } from './cli.js';

/** Where tests leave files for a person to look at (gitignored). */
export function testOutputDir(name: string): string {
  const dir = fileURLToPath(new URL(`../../test-output/${name}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Run the built CLI briefly against its built-in target and return the JSON report it wrote. */
export async function realReport(file: string, run: { clients?: number; rate?: number; duration?: string } = {}): Promise<RunReport> {
  const { clients = 5, rate = 50, duration = '2s' } = run;
  const args = ['--profile', 'normal', '--clients', String(clients), '--rate', String(rate), '--duration', duration, '--workers', '1'];
  const r = await runCli([...args, '--quiet', '--log-level', 'silent', '--metrics-port', '0', '--report', file]);
  if (r.code !== 0) throw new Error(`mcpload exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
}

export interface Samples {
  /** Corrected latencies, µs, per method. */
  methods: Record<string, number[]>;
  /** Raw latency of each sample: the corrected one minus this (µs, floored at 0). */
  rawLess?: number;
  handshake: number[];
  failed?: number;
  dropped?: number;
}

export function histogramOf(values: readonly number[]) {
  const h = newHistogram();
  for (const v of values) recordMicros(h, v);
  return h;
}

/** A valid report whose histograms hold exactly the given samples; counters follow from them. */
export function syntheticReport(
  s: Samples,
  over: { profile?: string; startedAt?: string; seconds?: number; clients?: number; urls?: string[] } = {},
): RunReport {
  const all = Object.values(s.methods).flat();
  const rawOf = (v: number) => Math.max(0, v - (s.rawLess ?? 0));
  const latency = histogramOf(all);
  const latencyRaw = histogramOf(all.map(rawOf));
  const handshake = histogramOf(s.handshake);
  const seconds = over.seconds ?? 10;
  const start = Date.parse(over.startedAt ?? '2026-01-01T00:00:00.000Z');
  const failed = s.failed ?? 0;
  const ok = all.length;
  const sent = ok + failed;
  const clients = over.clients ?? s.handshake.length;
  const methods: RunReport['methods'] = {};
  const methodHists: RunReport['histograms']['methods'] = {};
  for (const [name, values] of Object.entries(s.methods)) {
    const h = histogramOf(values);
    const hr = histogramOf(values.map(rawOf));
    methods[name] = { ...zeroOutcomes(), sent: values.length, ok: values.length, latency: { corrected: summarize(h), raw: summarize(hr) } };
    methodHists[name] = { latency: encodeHistogram(h), latencyRaw: encodeHistogram(hr) };
  }
  const perSecond = Math.floor(sent / seconds);
  return {
    reportVersion: 1,
    tool: { name: 'mcpload', version: '0.1.0' },
    profile: over.profile ?? 'normal',
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + seconds * 1000).toISOString(),
    durationSeconds: seconds,
    config: {
      clients,
      ratePerClient: 10,
      messageSize: 512,
      urls: over.urls ?? ['ws://127.0.0.1:8080/mcp/ws'],
      workers: 1,
      protocolVersion: '2025-11-25',
      connectRate: 0,
    },
    requests: { sent, ok, failed, dropped: s.dropped ?? 0, successRate: sent ? ok / sent : 0 },
    latency: { unit: 'us', corrected: summarize(latency), raw: summarize(latencyRaw) },
    throughput: {
      requestsPerSecond: sent / seconds,
      targetRequestsPerSecond: clients * 10,
      achievedRatio: clients ? sent / seconds / (clients * 10) : 0,
      bytesSentPerSecond: (sent * 512) / seconds,
      bytesReceivedPerSecond: (ok * 300) / seconds,
    },
    sessions: { wanted: clients, peak: s.handshake.length, established: s.handshake.length, reconnects: 0, handshake: summarize(handshake) },
    errors: { ...(Object.fromEntries(ERROR_TYPES.map((t) => [t, 0])) as RunReport['errors']), rpc: failed },
    messages: {
      sent: { ...zeroCounts(MESSAGES_SENT), request: sent, notification: s.handshake.length },
      received: { ...zeroCounts(MESSAGES_RECEIVED), response: sent },
    },
    methods,
    timeline: Array.from({ length: seconds }, (_, i) => ({
      second: i,
      sent: perSecond,
      ok: perSecond,
      failed: 0,
      sessionsOpen: s.handshake.length,
      p50: 1000 + i,
      p99: 5000 + i,
    })),
    histograms: { latency: encodeHistogram(latency), latencyRaw: encodeHistogram(latencyRaw), handshake: encodeHistogram(handshake), methods: methodHists },
  };
}

/** A deterministic pseudo-random sequence (mulberry32), for repeatable sample sets. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal-ish latencies in µs around `medianUs`, with a tail. */
export function latencies(n: number, medianUs: number, seed: number): number[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, () => {
    const u = Math.max(1e-9, rnd());
    const v = rnd();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.round(medianUs * Math.exp(0.8 * z));
  });
}

/**
 * An Aggregate fed with known snapshots from real Recorders (two engines, six intervals, three methods):
 * every counter, error type and message kind non-zero somewhere, latencies spread over 0..15 ms.
 */
export function syntheticAggregate(startedAtMs = Date.parse('2026-01-01T00:00:00.000Z')): Aggregate {
  const agg = new Aggregate(startedAtMs, 1000);
  for (let engine = 0; engine < 2; engine++) {
    const rec = new Recorder(['tools/call', 'resources/list', 'resources/read']);
    for (let interval = 0; interval < 6; interval++) {
      rec.methods.forEach((m, i) => {
        m.sent += 10 + i + interval;
        m.timeout += i;
        m.closed += interval % 2;
        m.dropped += engine;
        for (let k = 0; k < 8 + i; k++) {
          const answer = k % 5 === 0 ? Answer.RpcError : m.toolCall && k % 7 === 3 ? Answer.ToolError : Answer.Ok;
          rec.response(m, answer, 100, 100.2, 100 + k * 0.7 + i + interval);
          if (answer === Answer.RpcError) rec.errorDetail(m, 'rpc', -32603, `Internal error ${k % 2}`);
          if (answer === Answer.ToolError) rec.errorDetail(m, 'tool', undefined, 'tool failed');
        }
      });
      rec.error('closed', interval);
      rec.error('connect');
      rec.handshakeDone(10, 12 + interval);
      rec.sent.request += 5;
      rec.sent.notification += 1;
      rec.received.response += 4;
      rec.received.request += interval;
      rec.bytesSent += 1000;
      rec.bytesReceived += 700;
      rec.reconnects += engine;
      rec.sendLagSumMs += 3;
      const at = startedAtMs + interval * 1000;
      const s = rec.take({
        engineId: engine,
        atMs: at,
        final: interval === 5,
        interval,
        sessionsWanted: 7,
        sessionsConnecting: 1,
        sessionsOpen: 3 + interval,
        sessionsFailed: engine,
        inFlight: 2,
        targetRate: 70,
        loopUtilization: 0.95,
        loopLagMs: 2 + interval,
        gcPauseMs: 1 + interval,
        sendingStoppedAtMs: interval === 5 ? startedAtMs + 5500 : 0,
        cpuSeconds: 0.25,
      });
      s.firstEstablishedAtMs = startedAtMs + 100;
      agg.add(s);
    }
  }
  return agg;
}
