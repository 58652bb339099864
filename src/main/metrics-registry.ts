/**
 * The run's Prometheus metrics, in the project's own Registry. Nothing is observed on the hot path:
 * every value is read at scrape time from the latest merged Aggregate (counters, gauges, and
 * histogram buckets from the cumulative HDR histograms), so a scrape costs the same at any request
 * rate. One `scrape()` reads the Aggregate once, synchronously, so every figure of one scrape comes
 * from the same set of snapshots.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ERROR_TYPES, MESSAGES_RECEIVED, MESSAGES_SENT, OUTCOMES, STREAM_EVENTS, STREAM_LATENCIES, describeKinds, type Outcome } from '../shared/counters.js';
import type { Target } from '../shared/targets.js';
import { Aggregate, type Gauges, type MethodTotals } from './aggregate.js';
import { LATENCY_BUCKETS_MS, bucketCounts, emptyBuckets, type BucketCounts } from './metrics-buckets.js';

export interface MetricsSource {
  /** The profile's name: the `client_type` label. */
  clientType: string;
  /** The methods of the profile's mix, so their series exist (at zero) from the first scrape. */
  methods: readonly string[];
  /** The targets of the profile's mix (shared/targets.ts: capped), so their series exist from the first scrape. */
  targets?: readonly Target[];
  /** The run's merged view; undefined before the engines start. */
  aggregate(): Aggregate | undefined;
}

/** The outcomes of a request that are `status` labels, as the label spells them (counters.ts). */
const STATUSES = OUTCOMES.flatMap((o): { name: Outcome; status: string; help: string }[] =>
  o.status === null ? [] : [{ name: o.name, status: o.status, help: o.help }],
);

/** Everything one scrape reports, read from the Aggregate in one go. */
interface View {
  agg: Aggregate;
  gauges: Gauges;
  methods: { method: string; totals: MethodTotals | undefined; latency: BucketCounts; latencyRaw: BucketCounts }[];
  targets: { labels: { method: string; target: string }; totals: MethodTotals | undefined; latency: BucketCounts }[];
  /** Flow steps (flow-totals.ts), as they have been reported. */
  steps: { step: string; totals: MethodTotals; latency: BucketCounts; latencyRaw: BucketCounts }[];
  /** Progress timing of the requests that asked for it (absent: none did). */
  progress: { first: BucketCounts; gap: BucketCounts; total: BucketCounts } | undefined;
  handshake: BucketCounts;
  /** The streaming surface's latencies recorded so far (STREAM_LATENCIES). */
  streams: { kind: string; counts: BucketCounts }[];
  loopUtilization: { engine: string; value: number }[];
  loopLag: { engine: string; value: number }[];
  cpu: { engine: string; value: number }[];
  gc: { engine: string; value: number }[];
  lastScrapeSeconds: number;
}

type Emit = (labels: Record<string, string>, value: number) => void;

export class RunMetrics {
  readonly registry = new Registry();
  private readonly empty = new Aggregate(0);
  private view: View;
  private lastScrapeSeconds = 0;

  constructor(private readonly source: MetricsSource) {
    this.view = this.read();
    this.define();
    collectDefaultMetrics({ register: this.registry });
  }

  /** The text exposition, every value read now from the latest snapshot. */
  async scrape(): Promise<string> {
    const started = performance.now();
    this.view = this.read();
    const text = await this.registry.metrics();
    this.lastScrapeSeconds = (performance.now() - started) / 1000;
    return text;
  }

  private read(): View {
    const agg = this.source.aggregate() ?? this.empty;
    return {
      agg,
      gauges: agg.gauges(),
      methods: this.source.methods.map((method) => {
        const totals = agg.methods.get(method);
        return {
          method,
          totals,
          latency: totals ? bucketCounts(totals.latency, LATENCY_BUCKETS_MS) : emptyBuckets(LATENCY_BUCKETS_MS),
          latencyRaw: totals ? bucketCounts(totals.latencyRaw, LATENCY_BUCKETS_MS) : emptyBuckets(LATENCY_BUCKETS_MS),
        };
      }),
      targets: (this.source.targets ?? []).map((t) => {
        const totals = agg.targets.get(t.key);
        return {
          labels: { method: t.method, target: t.target },
          totals,
          latency: totals ? bucketCounts(totals.latency, LATENCY_BUCKETS_MS) : emptyBuckets(LATENCY_BUCKETS_MS),
        };
      }),
      steps: [...agg.flow.steps].map(([step, totals]) => ({
        step,
        totals,
        latency: bucketCounts(totals.latency, LATENCY_BUCKETS_MS),
        latencyRaw: bucketCounts(totals.latencyRaw, LATENCY_BUCKETS_MS),
      })),
      progress: agg.flow.progress && {
        first: bucketCounts(agg.flow.progress.first, LATENCY_BUCKETS_MS),
        gap: bucketCounts(agg.flow.progress.gap, LATENCY_BUCKETS_MS),
        total: bucketCounts(agg.flow.progress.total, LATENCY_BUCKETS_MS),
      },
      handshake: bucketCounts(agg.handshake, LATENCY_BUCKETS_MS),
      streams: STREAM_LATENCIES.flatMap(({ name }) => {
        const h = agg.streamLatency[name];
        return h ? [{ kind: name, counts: bucketCounts(h, LATENCY_BUCKETS_MS) }] : [];
      }),
      loopUtilization: [...agg.engines()].map((s) => ({ engine: String(s.engineId), value: s.loopUtilization })),
      loopLag: [...agg.engines()].map((s) => ({ engine: String(s.engineId), value: s.loopLagMs / 1000 })),
      cpu: agg.generator.engineCpuSeconds.flatMap((value, engine) => (value === undefined ? [] : [{ engine: String(engine), value }])),
      gc: agg.generator.engineGcSeconds.flatMap((value, engine) => (value === undefined ? [] : [{ engine: String(engine), value }])),
      lastScrapeSeconds: this.lastScrapeSeconds,
    };
  }

  private define(): void {
    const ct = { client_type: this.source.clientType };
    const view = () => this.view;
    const counter = (name: string, help: string, labelNames: string[], fill: (v: View, emit: Emit) => void) =>
      new Counter({
        name,
        help,
        labelNames: ['client_type', ...labelNames],
        registers: [this.registry],
        collect() {
          this.reset();
          fill(view(), (labels, value) => this.inc(labels, value));
        },
      });
    const gauge = (name: string, help: string, labelNames: string[], fill: (v: View, emit: Emit) => void) =>
      new Gauge({
        name,
        help,
        labelNames: ['client_type', ...labelNames],
        registers: [this.registry],
        collect() {
          this.reset();
          fill(view(), (labels, value) => this.set(labels, value));
        },
      });
    const histogram = (name: string, help: string, labelNames: string[], fill: (v: View) => { labels: Record<string, string>; counts: BucketCounts }[]) =>
      new HdrHistogramMetric(this.registry, name, help, ['client_type', ...labelNames], () => fill(this.view));

    // The old simulator's names and labels (SPEC §4), so existing dashboards keep working.
    counter(
      'mcp_client_requests_total',
      `Requests by outcome: ${describeKinds(STATUSES.map((o) => ({ name: o.status, help: o.help })))}`,
      ['method', 'status'],
      (v, emit) => {
        for (const m of v.methods) for (const o of STATUSES) emit({ ...ct, method: m.method, status: o.status }, m.totals?.[o.name] ?? 0);
      },
    );
    histogram(
      'mcp_client_request_duration_ms',
      'Request latency in ms from the intended send time (corrected for coordinated omission); responses only (ok, rpc_error and tool_error)',
      ['method'],
      (v) => v.methods.map((m) => ({ labels: { ...ct, method: m.method }, counts: m.latency })),
    );
    gauge('mcp_client_connections_active', 'Open MCP sessions (handshake done)', [], (v, emit) => emit(ct, v.gauges.sessionsOpen));
    counter('mcp_client_messages_sent_total', `JSON-RPC messages sent, by type: ${describeKinds(MESSAGES_SENT)}`, ['message_type'], (v, emit) => {
      for (const { name } of MESSAGES_SENT) emit({ ...ct, message_type: name }, v.agg.messagesSent[name]);
    });
    counter('mcp_client_messages_errors_total', `Errors by type: ${ERROR_TYPES.join(', ')}`, ['error_type'], (v, emit) => {
      ERROR_TYPES.forEach((type, i) => emit({ ...ct, error_type: type }, v.agg.errors[i]));
    });

    // Beyond the drop-in names.
    histogram('mcp_client_request_raw_duration_ms', 'Request latency in ms from the actual send time (not corrected); responses only', ['method'], (v) =>
      v.methods.map((m) => ({ labels: { ...ct, method: m.method }, counts: m.latencyRaw })),
    );
    counter('mcp_client_requests_sent_total', 'Requests sent (the profile mix; initialize is not included)', ['method'], (v, emit) => {
      for (const m of v.methods) emit({ ...ct, method: m.method }, m.totals?.sent ?? 0);
    });
    // Per tool, prompt and resource URI: their own families, so the series of the drop-in names keep one per method.
    counter(
      'mcp_client_target_requests_total',
      'Requests by target (the tool or prompt name, the resource URI; at most 100, then "(other)") and outcome, as mcp_client_requests_total',
      ['method', 'target', 'status'],
      (v, emit) => {
        for (const t of v.targets) for (const o of STATUSES) emit({ ...ct, ...t.labels, status: o.status }, t.totals?.[o.name] ?? 0);
      },
    );
    counter('mcp_client_target_requests_sent_total', 'Requests sent, by target (as mcp_client_requests_sent_total)', ['method', 'target'], (v, emit) => {
      for (const t of v.targets) emit({ ...ct, ...t.labels }, t.totals?.sent ?? 0);
    });
    histogram(
      'mcp_client_target_request_duration_ms',
      'Request latency in ms from the intended send time, by target (as mcp_client_request_duration_ms); responses only',
      ['method', 'target'],
      (v) => v.targets.map((t) => ({ labels: { ...ct, ...t.labels }, counts: t.latency })),
    );
    // Flows: per step (its name), and the progress of the requests that asked for it.
    counter(
      'mcp_client_flow_step_requests_total',
      'Flow step requests by step name and outcome (as mcp_client_requests_total)',
      ['step', 'status'],
      (v, emit) => {
        for (const st of v.steps) for (const o of STATUSES) emit({ ...ct, step: st.step, status: o.status }, st.totals[o.name]);
      },
    );
    counter('mcp_client_flow_step_requests_sent_total', 'Flow step requests sent, by step name', ['step'], (v, emit) => {
      for (const st of v.steps) emit({ ...ct, step: st.step }, st.totals.sent);
    });
    histogram(
      'mcp_client_flow_step_duration_ms',
      'Flow step latency in ms from when the flow meant to send it (a first step from its session arrival); responses only',
      ['step'],
      (v) => v.steps.map((st) => ({ labels: { ...ct, step: st.step }, counts: st.latency })),
    );
    histogram('mcp_client_flow_step_raw_duration_ms', 'Flow step latency in ms from its actual send; responses only', ['step'], (v) =>
      v.steps.map((st) => ({ labels: { ...ct, step: st.step }, counts: st.latencyRaw })),
    );
    counter('mcp_client_flows_started_total', 'Flows started (sessions that arrived, or began the flow)', [], (v, emit) =>
      emit(ct, v.agg.flow.flows?.started ?? 0),
    );
    counter('mcp_client_flows_completed_total', 'Flows run to their end', [], (v, emit) => emit(ct, v.agg.flow.flows?.completed ?? 0));
    counter('mcp_client_flows_abandoned_total', 'Arriving sessions that gave up connecting after their attempts', [], (v, emit) =>
      emit(ct, v.agg.flow.flows?.abandoned ?? 0),
    );
    for (const [key, name, help] of [
      ['first', 'mcp_client_progress_first_ms', 'Time in ms from a request that asked for progress to its first notifications/progress'],
      ['gap', 'mcp_client_progress_gap_ms', 'Time in ms between the progress notifications of one request'],
      ['total', 'mcp_client_progress_total_ms', 'Time in ms from a request that asked for progress to its answer'],
    ] as const) {
      histogram(name, help, [], (v) => (v.progress ? [{ labels: ct, counts: v.progress[key] }] : []));
    }
    gauge('mcp_client_requests_in_flight', 'Requests sent and not yet answered, timed out or failed', [], (v, emit) => emit(ct, v.gauges.inFlight));
    gauge('mcp_client_target_requests_per_second', 'Requests per second the profile asks for now (open sessions × rate per client)', [], (v, emit) =>
      emit(ct, v.gauges.targetRate),
    );
    counter('mcp_client_messages_received_total', `JSON-RPC messages received, by type: ${describeKinds(MESSAGES_RECEIVED)}`, ['message_type'], (v, emit) => {
      for (const { name } of MESSAGES_RECEIVED) emit({ ...ct, message_type: name }, v.agg.messagesReceived[name]);
    });
    counter('mcp_client_bytes_sent_total', 'Bytes of messages sent (WebSocket payloads)', [], (v, emit) => emit(ct, v.agg.bytesSent));
    counter('mcp_client_bytes_received_total', 'Bytes of messages received (WebSocket payloads)', [], (v, emit) => emit(ct, v.agg.bytesReceived));
    gauge('mcp_client_sessions_wanted', 'Sessions the profile (or its current stage) wants open', [], (v, emit) => emit(ct, v.gauges.sessionsWanted));
    gauge('mcp_client_sessions_connecting', 'Sessions connecting or in the initialize handshake', [], (v, emit) => emit(ct, v.gauges.sessionsConnecting));
    gauge('mcp_client_sessions_failed', 'Sessions that gave up after their reconnect attempts ran out (reconnect.maxAttempts)', [], (v, emit) =>
      emit(ct, v.gauges.sessionsFailed),
    );
    gauge('mcp_client_sessions_open', 'Open MCP sessions (the same as mcp_client_connections_active)', [], (v, emit) => emit(ct, v.gauges.sessionsOpen));
    counter('mcp_client_sessions_established_total', 'Sessions that completed the initialize handshake', [], (v, emit) => emit(ct, v.agg.sessionsEstablished));
    counter('mcp_client_reconnects_total', 'Connection attempts after the first one of a session', [], (v, emit) => emit(ct, v.agg.reconnects));
    counter(
      'mcp_client_engines_lost_total',
      'Engines that died before their final snapshot (a crash, a killed engine process): their requests in flight count as error_type="lost"',
      [],
      (v, emit) => emit(ct, v.agg.lostEngines.length),
    );
    counter('mcp_client_sessions_lost_total', 'Sessions that were open on engines that died', [], (v, emit) => emit(ct, v.agg.sessionsLost));
    counter('mcp_client_stream_events_total', `Streaming-surface events, by event: ${describeKinds(STREAM_EVENTS)}`, ['event'], (v, emit) => {
      for (const { name } of STREAM_EVENTS) if (v.agg.streams[name] > 0) emit({ ...ct, event: name }, v.agg.streams[name]);
    });
    histogram('mcp_client_stream_duration_ms', `Streaming-surface latencies in ms, by kind: ${describeKinds(STREAM_LATENCIES)}`, ['kind'], (v) =>
      v.streams.map((k) => ({ labels: { ...ct, kind: k.kind }, counts: k.counts })),
    );
    histogram('mcp_client_handshake_duration_ms', 'Session setup in ms: connect, WebSocket upgrade and initialize', [], (v) => [
      { labels: ct, counts: v.handshake },
    ]);
    gauge(
      'mcp_client_engine_event_loop_utilization',
      "Share of time an engine thread's event loop was busy over the last snapshot interval, 0..1 (near 1: the generator is the bottleneck)",
      ['engine'],
      (v, emit) => {
        for (const e of v.loopUtilization) emit({ ...ct, engine: e.engine }, e.value);
      },
    );
    gauge(
      'mcp_client_engine_event_loop_lag_seconds',
      "Worst lateness of an engine thread's 1 ms ticker over the last snapshot interval, seconds (its event-loop lag)",
      ['engine'],
      (v, emit) => {
        for (const e of v.loopLag) emit({ ...ct, engine: e.engine }, e.value);
      },
    );
    counter(
      'mcp_client_engine_cpu_seconds_total',
      'CPU time of each engine thread (user + system, from /proc/thread-self; absent where the OS does not tell)',
      ['engine'],
      (v, emit) => {
        for (const e of v.cpu) emit({ ...ct, engine: e.engine }, e.value);
      },
    );
    counter(
      'mcp_client_engine_gc_pause_seconds_total',
      "Time each engine thread spent in garbage-collection pauses (perf_hooks 'gc' entries); its rate beside the event-loop lag says whether the generator's own GC holds requests back",
      ['engine'],
      (v, emit) => {
        for (const e of v.gc) emit({ ...ct, engine: e.engine }, e.value);
      },
    );
    gauge(
      'mcp_client_generator_limited',
      'Whether an engine, not the target, limited the rate over its last interval: saturated event loop and late sends (1) or not (0)',
      [],
      (v, emit) => emit(ct, v.gauges.generatorLimited ? 1 : 0),
    );
    counter('mcp_client_generator_limited_seconds_total', 'Seconds in which an engine limited the rate (see mcp_client_generator_limited)', [], (v, emit) =>
      emit(ct, v.agg.generator.limitedIntervals),
    );
    gauge('mcp_client_metrics_scrape_duration_seconds', 'Time the previous /metrics scrape took to compute on the main thread', [], (v, emit) =>
      emit(ct, v.lastScrapeSeconds),
    );
  }
}

/**
 * A Prometheus histogram whose buckets, count and sum come from HDR counts at scrape time,
 * instead of prom-client observing every value.
 */
class HdrHistogramMetric extends Histogram {
  constructor(
    registry: Registry,
    private readonly metricName: string,
    private readonly metricHelp: string,
    labelNames: string[],
    private readonly series: () => { labels: Record<string, string>; counts: BucketCounts }[],
  ) {
    super({ name: metricName, help: metricHelp, labelNames, buckets: [...LATENCY_BUCKETS_MS], registers: [registry] });
  }

  override async get() {
    const name = this.metricName;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, counts } of this.series()) {
      LATENCY_BUCKETS_MS.forEach((le, i) => values.push({ labels: { ...labels, le }, value: counts.cumulative[i], metricName: `${name}_bucket` }));
      values.push({ labels: { ...labels, le: '+Inf' }, value: counts.count, metricName: `${name}_bucket` });
      values.push({ labels, value: counts.sumMs, metricName: `${name}_sum` });
      values.push({ labels, value: counts.count, metricName: `${name}_count` });
    }
    return { name, help: this.metricHelp, type: 'histogram', aggregator: 'sum', values } as unknown as Awaited<ReturnType<Histogram['get']>>;
  }

  /** The Registry prefers this to get() for the text format. */
  async getForPromString() {
    return this.get();
  }
}
