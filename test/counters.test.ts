/**
 * The counter families of src/shared/counters.ts: what is derived from them keeps today's spellings and
 * order, and `mcpload merge` adds up a counter it does not declare instead of dropping it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_TYPES, ErrorIndex, FAILED_OUTCOMES, OUTCOME_NAMES, OUTCOMES, failedOf, zeroOutcomes } from '../src/shared/counters.js';
import { resolveRunOptions } from '../src/config/options.js';
import { peakClients } from '../src/config/stages.js';
import { mergeReports, reportSchemaPath } from '../src/report/merge.js';
import { Recorder } from '../src/worker/recorder.js';
import { latencies, syntheticReport } from './helpers/reports.js';

describe('the counter families', () => {
  it('keep their names, order and label spellings', () => {
    expect(OUTCOME_NAMES).toEqual(['sent', 'ok', 'rpcError', 'toolError', 'timeout', 'closed', 'dropped', 'queued', 'cancelled', 'invalid']);
    expect(OUTCOMES.map((o) => o.status)).toEqual([null, 'ok', 'rpc_error', 'tool_error', 'timeout', 'closed', 'dropped', 'queued', 'cancelled', 'invalid']);
    expect(FAILED_OUTCOMES).toEqual(['rpcError', 'toolError', 'timeout', 'closed', 'invalid']);
    expect(ERROR_TYPES).toEqual(['connect', 'handshake', 'timeout', 'protocol', 'rpc', 'tool', 'closed', 'lost']);
    expect(ErrorIndex).toEqual({ connect: 0, handshake: 1, timeout: 2, protocol: 3, rpc: 4, tool: 5, closed: 6, lost: 7 });
  });

  it('failedOf adds the failed outcomes only', () => {
    expect(failedOf({ ...zeroOutcomes(), sent: 100, ok: 50, rpcError: 1, toolError: 16, timeout: 2, closed: 4, dropped: 8 })).toBe(23);
  });

  it("the recorder's snapshot carries every outcome and starts over", () => {
    const rec = new Recorder(['ping']);
    const m = rec.methods[0];
    OUTCOME_NAMES.forEach((n, i) => (m[n] += i + 1));
    const gauges = {
      engineId: 0,
      atMs: 0,
      final: false,
      interval: 0,
      sessionsWanted: 0,
      sessionsConnecting: 0,
      sessionsOpen: 0,
      sessionsFailed: 0,
      inFlight: 0,
      targetRate: 0,
      loopUtilization: 0,
      loopLagMs: 0,
      sendingStoppedAtMs: 0,
      cpuSeconds: 0,
    };
    const { latency, latencyRaw, ...counts } = rec.take(gauges).methods.ping;
    expect(counts).toEqual(Object.fromEntries(OUTCOME_NAMES.map((n, i) => [n, i + 1])));
    expect(latency).toBeDefined();
    expect(latencyRaw).toBeDefined();
    const { latency: _l, latencyRaw: _r, ...next } = rec.take(gauges).methods.ping;
    expect(next).toEqual(zeroOutcomes());
  });
});

describe('merge and counters it does not declare', () => {
  it('adds up an extra per-method counter and an extra error type of a newer report', () => {
    const a = syntheticReport({ methods: { ping: latencies(100, 2000, 1) }, handshake: [1000] });
    const b = syntheticReport({ methods: { ping: latencies(50, 2000, 2) }, handshake: [1000] });
    (a.methods.ping as unknown as Record<string, number>).paused = 3;
    (b.methods.ping as unknown as Record<string, number>).paused = 4;
    (a.errors as Record<string, number>).tls = 2;
    const merged = mergeReports([a, b]);
    expect((merged.methods.ping as unknown as Record<string, number>).paused).toBe(7);
    expect((merged.errors as Record<string, number>).tls).toBe(2);
    expect(Object.keys(merged.methods.ping)).toEqual([...OUTCOME_NAMES, 'paused', 'latency']);
    expect(merged.methods.ping.sent).toBe(150);
  });
});

describe('peakClients', () => {
  it('is the most clients the profile or any stage wants', () => {
    const profile = resolveRunOptions({ profile: 'normal', clients: 5 }).profile;
    expect(peakClients(profile)).toBe(5);
    expect(
      peakClients({
        ...profile,
        stages: [
          { durationMs: 1, clients: 9 },
          { durationMs: 1, clients: 2 },
        ],
      }),
    ).toBe(9);
    expect(peakClients({ ...profile, clients: 12, stages: [{ durationMs: 1, clients: 9 }] })).toBe(12);
  });
});

describe('the report schema and the declaration', () => {
  // schema/report.schema.json is written by hand: this is what tells a new counter's author it needs its line.
  const schema = JSON.parse(readFileSync(reportSchemaPath(), 'utf8')) as {
    properties: {
      methods: { additionalProperties: { $ref: string } };
      errors: { required: string[]; properties: Record<string, unknown> };
    };
    definitions: { methodFigures: { required: string[]; properties: Record<string, unknown> } };
  };
  it('documents every outcome of a method, in order', () => {
    expect(schema.properties.methods.additionalProperties.$ref).toBe('#/definitions/methodFigures');
    expect(Object.keys(schema.definitions.methodFigures.properties).filter((k) => k !== 'latency')).toEqual(OUTCOME_NAMES);
  });
  // Outcomes added after version 1 shipped are documented, not required: older reports still merge.
  it('requires every outcome but those added after version 1 shipped', () =>
    expect(schema.definitions.methodFigures.required.filter((k) => k !== 'latency')).toEqual(
      OUTCOME_NAMES.filter((n) => n !== 'toolError' && n !== 'queued' && n !== 'cancelled' && n !== 'invalid'),
    ));
  it('documents every error type, in order', () => expect(Object.keys(schema.properties.errors.properties)).toEqual(ERROR_TYPES));
  // Reports written before `lost` and `tool` existed (same reportVersion) must still merge: they are documented, not required.
  it('requires every error type but those added after version 1 shipped', () =>
    expect(schema.properties.errors.required).toEqual(ERROR_TYPES.filter((t) => t !== 'lost' && t !== 'tool')));
});
