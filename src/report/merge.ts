/**
 * `mcpload merge`: add the reports of replicas that ran at the same time into one report.
 *
 * Exact: counters add up (by name: per method, errors and messages, a counter this mcpload does not declare
 * included), and every latency figure is recomputed from the sum of the replicas' encoded
 * HdrHistograms, so the merged percentiles are those of one histogram holding every sample.
 * Combined by definition (replicas run concurrently):
 * - rates (requests/s, target, bytes/s) add up; achievedRatio is recomputed from the sums;
 * - durationSeconds is the longest replica's window; startedAt the earliest start, endedAt the latest end;
 * - config: clients, workers and connect rates add up; ratePerClient and messageSize are client-weighted means;
 *   URLs are the union; protocolVersion and profile the distinct values joined by '+';
 *   spin only when every replica spun; v8PoolSize and othersNice only when every replica recorded the same;
 * - sessions: wanted, peak, established and reconnects add up (the peak is then the sum of each replica's peak:
 *   the concurrent peak when replicas held their sessions at the same time, as in steady state);
 * - timeline: points are aligned on the wall clock (second N of the merged timeline is N seconds after the earliest
 *   startedAt, each replica's seconds shifted by its start offset, rounded to the second); counts and open sessions
 *   add up (wanted, target rate, dropped and CPU too); the per-second p50/p99, loop busy and lag are the worst
 *   replica's (an upper bound: per-second histograms are not kept); sendingSeconds is the latest end of sending on
 *   that clock;
 * - config.stages: kept when every replica ran stages of the same lengths (clients add up, a rate all share stays);
 * - merged.byReplica: each replica's headline figures, for the per-replica table (a merged input lists its own).
 * - targets add up like methods; past MAX_TARGETS distinct keys a method's other names fold into its "(other)" target;
 * - errorDetails add up by reason and are cut again to the most frequent of each method: a reason that was
 *   not in a replica's top list is in its "(other messages)" there, so the merged tops are exact only for
 *   reasons every replica listed (the counts per method, target and type always add up).
 * Thresholds evaluated on the replicas are dropped: evaluate them again on the merged report.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { fieldPath } from '../config/profile-messages.js';
import { ERROR_TYPES, OUTCOME_NAMES, answeredOf } from '../shared/counters.js';
import { DetailTally } from '../shared/error-details.js';
import { TargetCap } from '../shared/targets.js';
import { UsageError, describe } from '../shared/errors.js';
import { addEncoded, decodeHistogram, encodeHistogram, newHistogram, summarize, type Histogram } from '../shared/stats.js';
import { emptyPoint, type TimelinePoint } from '../main/aggregate.js';
import { generatorWarning } from './build.js';
import {
  REPORT_VERSION,
  type GeneratorReport,
  type MethodReport,
  type ReplicaSummary,
  type RunReport,
  type ShardReport,
  type TargetReport,
  type VanishedReplica,
} from './types.js';
import { mergeFlows } from './flow-report.js';
import { mergeStreams } from './streams.js';

// ajv is CommonJS: under NodeNext its default import is the module object, the class is `.default`.
const Ajv = AjvModule.default;
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Absolute path of the shipped JSON Schema for reports. */
export function reportSchemaPath(): string {
  return join(PACKAGE_ROOT, 'schema', 'report.schema.json');
}

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(reportSchemaPath(), 'utf8')) as object;
    validator = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, validateFormats: false }).compile(schema);
  }
  return validator;
}

function schemaProblem(e: ErrorObject): string {
  const at = fieldPath(e.instancePath) || 'the report';
  if (e.keyword === 'required') return `${at}: missing field "${String((e.params as { missingProperty: string }).missingProperty)}"`;
  if (e.keyword === 'pattern' && e.instancePath.startsWith('/histograms')) return `${at}: not an encoded HdrHistogram`;
  return `${at}: ${e.message ?? 'is not valid'}`;
}

/** Check that a parsed JSON document is a version-1 mcpload report; one-line UsageError naming `source` if not. */
export function validateReport(raw: unknown, source: string): RunReport {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${source}: not an mcpload report (not a JSON object)`);
  const version = (raw as { reportVersion?: unknown }).reportVersion;
  if (version === undefined) throw new UsageError(`${source}: not an mcpload report (reportVersion missing)`);
  if (version !== REPORT_VERSION) {
    throw new UsageError(
      `${source}: reportVersion ${JSON.stringify(version)} is not supported (this mcpload reads version ${REPORT_VERSION}); merge with the mcpload that wrote it`,
    );
  }
  const validate = schemaValidator();
  if (!validate(raw)) throw new UsageError(`${source}: not a valid mcpload report (${schemaProblem(validate.errors![0])})`);
  const report = raw as RunReport;
  for (const field of ['startedAt', 'endedAt'] as const) {
    if (Number.isNaN(Date.parse(report[field]))) throw new UsageError(`${source}: not a valid mcpload report (${field}: not a date and time)`);
  }
  const encoded: [string, string][] = [
    ['histograms.latency', report.histograms.latency],
    ['histograms.latencyRaw', report.histograms.latencyRaw],
    ['histograms.handshake', report.histograms.handshake],
    ...Object.entries(report.histograms.methods).flatMap(([m, h]): [string, string][] => [
      [`histograms.methods.${m}.latency`, h.latency],
      [`histograms.methods.${m}.latencyRaw`, h.latencyRaw],
    ]),
    ...Object.entries(report.histograms.targets ?? {}).flatMap(([t, h]): [string, string][] => [
      [`histograms.targets.${t}.latency`, h.latency],
      [`histograms.targets.${t}.latencyRaw`, h.latencyRaw],
    ]),
    ...Object.entries(report.histograms.steps ?? {}).flatMap(([t, h]): [string, string][] => [
      [`histograms.steps.${t}.latency`, h.latency],
      [`histograms.steps.${t}.latencyRaw`, h.latencyRaw],
    ]),
    ...Object.entries(report.histograms.streams ?? {}).map(([k, h]): [string, string] => [`histograms.streams.${k}`, h]),
  ];
  const counts = new Map<string, number>();
  for (const [field, value] of encoded) {
    if (!value) continue;
    try {
      counts.set(field, decodeHistogram(value).totalCount);
    } catch {
      throw new UsageError(`${source}: not a valid mcpload report (${field}: not an encoded HdrHistogram)`);
    }
  }
  checkTimes(report, source);
  checkHistogramCounts(report, counts, source);
  return report;
}

/** The earliest start a report may claim: well before mcpload existed, well after the epoch's zero. */
const EARLIEST_MS = Date.parse('2020-01-01T00:00:00Z');
/** Reports of one merge span this much wall-clock time at most (their timelines are laid on one clock). */
const MAX_SPAN_MS = 7 * 24 * 3600 * 1000;

function checkTimes(r: RunReport, source: string): void {
  const started = Date.parse(r.startedAt);
  const ended = Date.parse(r.endedAt);
  const bad = (why: string) => new UsageError(`${source}: not a valid mcpload report (${why})`);
  if (started < EARLIEST_MS || ended > Date.now() + 24 * 3600 * 1000) throw bad(`startedAt ${r.startedAt} / endedAt ${r.endedAt}: not the time of a run`);
  if (ended < started) throw bad(`endedAt ${r.endedAt} is before startedAt ${r.startedAt}`);
  if (ended - started > MAX_SPAN_MS) throw bad(`a run of more than 7 days (${r.startedAt} to ${r.endedAt})`);
  const lastSecond = Math.ceil((ended - started) / 1000) + 1;
  const late = r.timeline.find((p) => p.second > lastSecond);
  if (late) throw bad(`timeline second ${late.second} is after the run's end (${lastSecond} s)`);
}

/** Every latency histogram holds one sample per response: a histogram that contradicts the counts is refused. */
function checkHistogramCounts(r: RunReport, counts: ReadonlyMap<string, number>, source: string): void {
  const responses = answeredOf;
  const expect: [string, number][] = [
    ['histograms.latency', sum(Object.values(r.methods).map(responses))],
    ['histograms.latencyRaw', sum(Object.values(r.methods).map(responses))],
  ];
  for (const [name, m] of Object.entries(r.methods))
    expect.push([`histograms.methods.${name}.latency`, responses(m)], [`histograms.methods.${name}.latencyRaw`, responses(m)]);
  for (const [name, t] of Object.entries(r.targets ?? {}))
    expect.push([`histograms.targets.${name}.latency`, responses(t)], [`histograms.targets.${name}.latencyRaw`, responses(t)]);
  for (const [name, t] of Object.entries(r.steps ?? {}))
    expect.push([`histograms.steps.${name}.latency`, responses(t)], [`histograms.steps.${name}.latencyRaw`, responses(t)]);
  for (const [field, want] of expect) {
    const got = counts.get(field) ?? 0;
    if (got !== want) throw new UsageError(`${source}: not a valid mcpload report (${field} holds ${got} samples, but the counts say ${want} responses)`);
  }
}

/** The runs a report adds up: its own id, or the ids a merged report lists (none for reports of earlier builds). */
function runIdsOf(r: RunReport): string[] {
  return r.merged?.runIds ?? (r.runId ? [r.runId] : []);
}

/** Read and validate a report file; every problem is one line naming the file. */
export function loadReport(path: string): RunReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a report file' : describe(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not an mcpload report (not JSON: ${describe(err).replace(/\s*\n\s*/g, ' ')})`);
  }
  return validateReport(raw, path);
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const distinct = (xs: readonly string[]) => [...new Set(xs)];

function mergeEncoded(encoded: readonly string[]): Histogram {
  const h = newHistogram();
  for (const e of encoded) addEncoded(h, e);
  return h;
}

/**
 * Counters added up by name: the `declared` ones first (a family of counters.ts, in its order), then any
 * other number the records carry (a counter of a newer mcpload, a message kind), so none is dropped; a
 * counter missing from a record counts 0 there.
 */
function addCounts(declared: readonly string[], records: readonly object[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of declared) out[k] = 0;
  for (const r of records) for (const [k, n] of Object.entries(r)) if (typeof n === 'number') out[k] = (out[k] ?? 0) + n;
  return out;
}

function mergeMethods(reports: readonly RunReport[]): { methods: Record<string, MethodReport>; hists: RunReport['histograms']['methods'] } {
  const methods: Record<string, MethodReport> = {};
  const hists: RunReport['histograms']['methods'] = {};
  for (const name of distinct(reports.flatMap((r) => Object.keys(r.methods)))) {
    const parts = reports.filter((r) => r.methods[name]);
    const counts = addCounts(
      OUTCOME_NAMES,
      parts.map((r) => r.methods[name]),
    ) as unknown as MethodReport;
    const latency = mergeEncoded(parts.map((r) => r.histograms.methods[name]?.latency ?? ''));
    const latencyRaw = mergeEncoded(parts.map((r) => r.histograms.methods[name]?.latencyRaw ?? ''));
    methods[name] = { ...counts, latency: { corrected: summarize(latency), raw: summarize(latencyRaw) } };
    hists[name] = { latency: encodeHistogram(latency), latencyRaw: encodeHistogram(latencyRaw) };
  }
  return { methods, hists };
}

type Hists = NonNullable<RunReport['histograms']['targets']>;

/** Targets added up like methods, capped again (see the module comment); absent when no replica has any. */
function mergeTargets(reports: readonly RunReport[]): { targets?: Record<string, TargetReport>; hists?: Hists } {
  if (!reports.some((r) => r.targets)) return {};
  const cap = new TargetCap();
  const parts = new Map<string, { method: string; target: string; counts: object[]; latency: string[]; latencyRaw: string[] }>();
  for (const r of reports) {
    for (const [key, t] of Object.entries(r.targets ?? {})) {
      const to = cap.of(t.method, t.target);
      let p = parts.get(to.key);
      if (!p) parts.set(to.key, (p = { method: to.method, target: to.target, counts: [], latency: [], latencyRaw: [] }));
      p.counts.push(t);
      p.latency.push(r.histograms.targets?.[key]?.latency ?? '');
      p.latencyRaw.push(r.histograms.targets?.[key]?.latencyRaw ?? '');
    }
  }
  const targets: Record<string, TargetReport> = {};
  const hists: Hists = {};
  for (const [key, p] of parts) {
    const counts = addCounts(OUTCOME_NAMES, p.counts);
    const latency = mergeEncoded(p.latency);
    const latencyRaw = mergeEncoded(p.latencyRaw);
    targets[key] = {
      method: p.method,
      target: p.target,
      ...(counts as unknown as MethodReport),
      latency: { corrected: summarize(latency), raw: summarize(latencyRaw) },
    };
    hists[key] = { latency: encodeHistogram(latency), latencyRaw: encodeHistogram(latencyRaw) };
  }
  return { targets, hists };
}

/** Error reasons added up and cut again to each method's most frequent; absent when no replica has any. */
function mergeErrorDetails(reports: readonly RunReport[]): { errorDetails?: RunReport['errorDetails'] } {
  if (!reports.some((r) => r.errorDetails)) return {};
  const tally = new DetailTally(Infinity);
  for (const r of reports) tally.addAll(r.errorDetails ?? []);
  return { errorDetails: tally.top() };
}

/** Timelines aligned on the wall clock: see the module comment. */
function mergeTimelines(reports: readonly RunReport[], startMs: number): TimelinePoint[] {
  const out: TimelinePoint[] = [];
  for (const r of reports) {
    const offset = Math.max(0, Math.round((Date.parse(r.startedAt) - startMs) / 1000));
    for (const p of r.timeline) {
      const second = p.second + offset;
      while (out.length <= second) out.push(emptyPoint(out.length));
      const q = out[second];
      q.sent += p.sent;
      q.ok += p.ok;
      q.failed += p.failed;
      q.sessionsOpen += p.sessionsOpen;
      q.p50 = Math.max(q.p50, p.p50);
      q.p99 = Math.max(q.p99, p.p99);
      q.dropped! += p.dropped ?? 0;
      q.wanted! += p.wanted ?? 0;
      q.targetRate! += p.targetRate ?? 0;
      q.cpuSeconds! += p.cpuSeconds ?? 0;
      q.loopUtilization = Math.max(q.loopUtilization!, p.loopUtilization ?? 0);
      q.loopLagMs = Math.max(q.loopLagMs!, p.loopLagMs ?? 0);
    }
  }
  return out;
}

/** The latest end of sending, in seconds on the merged timeline's clock (absent when a replica does not say). */
function mergeSendingSeconds(reports: readonly RunReport[], startMs: number): { sendingSeconds?: number } {
  if (!reports.every((r) => r.sendingSeconds !== undefined)) return {};
  return { sendingSeconds: Math.max(...reports.map((r) => Math.max(0, Math.round((Date.parse(r.startedAt) - startMs) / 1000)) + r.sendingSeconds!)) };
}

/** Stages of the same lengths in every replica: their clients add up (see the module comment). */
function mergeStages(reports: readonly RunReport[]): Pick<RunReport['config'], 'stages'> {
  const first = reports[0].config.stages;
  if (!first?.length) return {};
  const same = reports.every(
    (r) => r.config.stages?.length === first.length && r.config.stages.every((st, i) => st.durationSeconds === first[i].durationSeconds),
  );
  if (!same) return {};
  return {
    stages: first.map((st, i) => {
      const rates = distinct(reports.map((r) => String(r.config.stages![i].rate)));
      return {
        durationSeconds: st.durationSeconds,
        clients: sum(reports.map((r) => r.config.stages![i].clients)),
        ...(rates.length === 1 && st.rate !== undefined ? { rate: st.rate } : {}),
      };
    }),
  };
}

/**
 * How a replica row names its replica: a shard by its share (so `mcpload watch` and `mcpload merge` of the
 * shards' files agree), a watched replica by its URL, a file by its base name.
 */
function replicaSource(r: RunReport, source: string | undefined, i: number): string {
  if (r.shard) return `shard ${r.shard.index}/${r.shard.count}`;
  if (source === undefined) return `report ${i + 1}`;
  return /^https?:\/\//.test(source) ? source : basename(source);
}

/** One row per replica: the rows a merged input already holds, or the report's own headline figures. */
function replicaRows(reports: readonly RunReport[], sources: readonly string[] | undefined): ReplicaSummary[] {
  return reports.flatMap((r, i): ReplicaSummary[] => {
    if (r.merged?.byReplica?.length) return r.merged.byReplica;
    const l = r.model === 'closed' ? r.latency.raw : r.latency.corrected;
    return [
      {
        source: replicaSource(r, sources?.[i], i),
        ...(r.runId ? { runId: r.runId } : {}),
        profile: r.profile,
        startedAt: r.startedAt,
        durationSeconds: r.durationSeconds,
        clients: r.config.clients,
        sent: r.requests.sent,
        ok: r.requests.ok,
        failed: r.requests.failed,
        dropped: r.requests.dropped,
        requestsPerSecond: r.throughput.requestsPerSecond,
        targetRequestsPerSecond: r.throughput.targetRequestsPerSecond,
        p50: l.p50,
        p99: l.p99,
        ...(r.generator ? { limitedSeconds: r.generator.limitedSeconds, maxLoopUtilization: r.generator.maxLoopUtilization } : {}),
      },
    ];
  });
}

/**
 * Merge replica reports into one (see the module comment for what adds up and how). Validates each
 * report first; `sources` names them in messages (file paths), else "report 1", "report 2", ...
 */
export function mergeReports(reports: readonly unknown[], sources?: readonly string[]): RunReport {
  if (reports.length === 0) throw new UsageError('merge: give at least one report file (mcpload merge A.json B.json ...)');
  const rs = reports.map((r, i) => validateReport(r, sources?.[i] ?? `report ${i + 1}`));
  const seen = new Map<string, number>();
  rs.forEach((r, i) => {
    for (const id of runIdsOf(r)) {
      const first = seen.get(id);
      if (first !== undefined) {
        const name = (k: number) => sources?.[k] ?? `report ${k + 1}`;
        throw new UsageError(`merge: ${name(i)} and ${name(first)} hold the same run (runId ${id}): merging it twice would count it twice`);
      }
      seen.set(id, i);
    }
  });
  const spanMs = Math.max(...rs.map((r) => Date.parse(r.endedAt))) - Math.min(...rs.map((r) => Date.parse(r.startedAt)));
  if (spanMs > MAX_SPAN_MS) throw new UsageError('merge: the reports span more than 7 days: merge replicas of one run (they ran at the same time)');
  const latency = mergeEncoded(rs.map((r) => r.histograms.latency));
  const latencyRaw = mergeEncoded(rs.map((r) => r.histograms.latencyRaw));
  const handshake = mergeEncoded(rs.map((r) => r.histograms.handshake));
  const { methods, hists } = mergeMethods(rs);
  const targets = mergeTargets(rs);
  const flows = mergeFlows(rs);
  const streams = mergeStreams(rs);
  const startMs = Math.min(...rs.map((r) => Date.parse(r.startedAt)));
  const endMs = Math.max(...rs.map((r) => Date.parse(r.endedAt)));
  const total = (pick: (r: RunReport) => number) => sum(rs.map(pick));
  const clients = total((r) => r.config.clients);
  const weighted = (pick: (r: RunReport) => number) => (clients > 0 ? total((r) => pick(r) * r.config.clients) / clients : pick(rs[0]));
  const ok = total((r) => r.requests.ok);
  const failed = total((r) => r.requests.failed);
  const rps = total((r) => r.throughput.requestsPerSecond);
  const target = total((r) => r.throughput.targetRequestsPerSecond);
  const interrupted = distinct(rs.flatMap((r) => (r.interrupted ? [r.interrupted] : [])));
  return {
    reportVersion: REPORT_VERSION,
    tool: rs[0].tool,
    profile: distinct(rs.map((r) => r.profile)).join('+'),
    // Closed only if every replica was: a mixed merge keeps the open model's figures.
    ...(rs.some((r) => r.model) ? { model: rs.every((r) => r.model === 'closed') ? ('closed' as const) : ('open' as const) } : {}),
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    durationSeconds: Math.max(...rs.map((r) => r.durationSeconds)),
    ...mergeSendingSeconds(rs, startMs),
    ...(interrupted.length ? { interrupted: interrupted.join('+') } : {}),
    ...mergeWarmup(rs),
    merged: {
      replicas: rs.reduce((n, r) => n + (r.merged?.replicas ?? 1), 0),
      ...(seen.size ? { runIds: [...seen.keys()] } : {}),
      byReplica: replicaRows(rs, sources),
      ...mergeShards(rs),
    },
    config: {
      clients,
      ratePerClient: weighted((r) => r.config.ratePerClient),
      messageSize: Math.round(weighted((r) => r.config.messageSize)),
      urls: distinct(rs.flatMap((r) => r.config.urls)),
      workers: total((r) => r.config.workers),
      ...sameInEvery(rs, 'v8PoolSize'),
      ...sameInEvery(rs, 'othersNice'),
      protocolVersion: distinct(rs.map((r) => r.config.protocolVersion)).join('+'),
      connectRate: total((r) => r.config.connectRate),
      // Spun only if every replica did: a mixed merge's latencies are not all on-time sends.
      ...(rs.every((r) => r.config.spin) ? { spin: true as const } : {}),
      ...mergeStages(rs),
      ...(rs.some((r) => r.config.arrivalRate !== undefined) ? { arrivalRate: total((r) => r.config.arrivalRate ?? 0) } : {}),
    },
    requests: {
      sent: total((r) => r.requests.sent),
      ok,
      failed,
      dropped: total((r) => r.requests.dropped),
      queued: total((r) => r.requests.queued ?? 0),
      successRate: ok + failed > 0 ? ok / (ok + failed) : 0,
    },
    latency: { unit: 'us', corrected: summarize(latency), raw: summarize(latencyRaw) },
    throughput: {
      requestsPerSecond: rps,
      targetRequestsPerSecond: target,
      achievedRatio: target > 0 ? rps / target : 0,
      bytesSentPerSecond: total((r) => r.throughput.bytesSentPerSecond),
      bytesReceivedPerSecond: total((r) => r.throughput.bytesReceivedPerSecond),
    },
    sessions: {
      wanted: total((r) => r.sessions.wanted),
      peak: total((r) => r.sessions.peak),
      established: total((r) => r.sessions.established),
      reconnects: total((r) => r.sessions.reconnects),
      ...(rs.some((r) => r.sessions.lost !== undefined) ? { lost: total((r) => r.sessions.lost ?? 0) } : {}),
      ...(rs.some((r) => r.sessions.subprotocols)
        ? {
            subprotocols: addCounts(
              [],
              rs.map((r) => r.sessions.subprotocols ?? {}),
            ),
          }
        : {}),
      handshake: summarize(handshake),
    },
    errors: addCounts(
      ERROR_TYPES,
      rs.map((r) => r.errors),
    ),
    // Free-form maps in the schema (no kind required): the kinds the replicas carry, in their order.
    messages: {
      sent: addCounts(
        [],
        rs.map((r) => r.messages.sent),
      ),
      received: addCounts(
        [],
        rs.map((r) => r.messages.received),
      ),
    },
    ...(streams.streams ? { streams: streams.streams } : {}),
    methods,
    ...(targets.targets ? { targets: targets.targets } : {}),
    ...flows.part,
    ...mergeErrorDetails(rs),
    timeline: mergeTimelines(rs, startMs),
    ...(rs.some((r) => r.lostEngines?.length) ? { lostEngines: rs.flatMap((r) => r.lostEngines ?? []) } : {}),
    ...mergeGenerators(rs),
    histograms: {
      latency: encodeHistogram(latency),
      latencyRaw: encodeHistogram(latencyRaw),
      handshake: encodeHistogram(handshake),
      methods: hists,
      ...(targets.hists ? { targets: targets.hists } : {}),
      ...flows.hists,
      ...(streams.histograms && Object.keys(streams.histograms).length ? { streams: streams.histograms } : {}),
    },
  };
}

/** --warmup: the replicas' warm-up counts added up, the longest warm-up's seconds; absent when none had one. */
function mergeWarmup(rs: RunReport[]): Pick<RunReport, 'warmup'> {
  const ws = rs.flatMap((r) => (r.warmup ? [r.warmup] : []));
  if (ws.length === 0) return {};
  const sum = (pick: (w: NonNullable<RunReport['warmup']>) => number) => ws.reduce((n, w) => n + pick(w), 0);
  return {
    warmup: {
      seconds: Math.max(...ws.map((w) => w.seconds)),
      sent: sum((w) => w.sent),
      ok: sum((w) => w.ok),
      failed: sum((w) => w.failed),
      dropped: sum((w) => w.dropped),
    },
  };
}

/** The shards a merge adds up, by index (a merged report's own list included); absent when none ran with --shard. */
function mergeShards(rs: RunReport[]): { shards?: ShardReport[]; vanished?: VanishedReplica[] } {
  const shards = rs.flatMap((r) => r.merged?.shards ?? (r.shard ? [r.shard] : [])).sort((a, b) => a.index - b.index);
  const vanished = rs.flatMap((r) => r.merged?.vanished ?? []);
  return { ...(shards.length ? { shards } : {}), ...(vanished.length ? { vanished } : {}) };
}

/** Generator figures add up (CPU, GC, limited seconds per replica) or take the worst (loop busy, lag, GC per second). */
function mergeGenerators(rs: RunReport[]): { generator?: GeneratorReport } {
  const gs = rs.flatMap((r) => (r.generator ? [r.generator] : []));
  if (gs.length === 0) return {};
  const sent = sum(rs.map((r) => r.requests.sent));
  const cpuSeconds = sum(gs.map((g) => g.cpuSeconds));
  const limitedSeconds = sum(gs.map((g) => g.limitedSeconds));
  const warning = generatorWarning(limitedSeconds, sum(rs.map((r) => r.durationSeconds)));
  return {
    generator: {
      limitedSeconds,
      cpuSeconds,
      engineCpuSeconds: gs.flatMap((g) => g.engineCpuSeconds),
      cpuPerRequestUs: sent > 0 ? (cpuSeconds / sent) * 1e6 : 0,
      maxLoopUtilization: Math.max(...gs.map((g) => g.maxLoopUtilization)),
      maxLoopLagMs: Math.max(...gs.map((g) => g.maxLoopLagMs)),
      // GC seconds add up and the worst second is the worst of the worst: both exact, when every replica measured them.
      ...(gs.every((g) => g.gcSeconds !== undefined && g.maxGcMsPerSecond !== undefined)
        ? { gcSeconds: sum(gs.map((g) => g.gcSeconds!)), maxGcMsPerSecond: Math.max(...gs.map((g) => g.maxGcMsPerSecond!)) }
        : {}),
      ...(warning ? { warning } : {}),
    },
  };
}

/** Load and merge report files: what `mcpload merge A.json B.json ...` does before rendering. */
export function mergeReportFiles(paths: readonly string[]): RunReport {
  if (paths.length === 0) throw new UsageError('merge: give at least one report file (mcpload merge A.json B.json ...)');
  return mergeReports(paths.map(loadReport), paths);
}

/** A config figure kept when every replica recorded the same one (v8PoolSize, othersNice). */
function sameInEvery<K extends 'v8PoolSize' | 'othersNice'>(rs: RunReport[], key: K): Pick<RunReport['config'], K> {
  const values = distinct(rs.map((r) => String(r.config[key])));
  return (values.length === 1 && rs[0].config[key] !== undefined ? { [key]: rs[0].config[key] } : {}) as Pick<RunReport['config'], K>;
}
