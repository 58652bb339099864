/**
 * The programmatic API: `start(opts)` begins a run and returns a handle with events and a result;
 * `run(opts)` is the same, awaited. The CLI is a thin layer over this.
 */
import { profileRequests } from './shared/flow.js';
import { EventEmitter } from 'node:events';
import type { RunOptions } from './config/types.js';
import { writeOutputWithFallback, type OutputResult } from './config/outputs.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_METRICS_HOST } from './config/defaults.js';
import { EXIT, StartError, UsageError, describe } from './shared/errors.js';
import type { EngineSnapshot } from './shared/messages.js';
import type { Aggregate } from './main/aggregate.js';
import { Coordinator } from './main/coordinator.js';
import { v8PoolSize } from './main/engines.js';
import { MetricsServer, type SnapshotAnswer } from './main/metrics.js';
import { ResultsStream } from './main/results-stream.js';
import { buildReport, liveFigures } from './report/build.js';
import type { RunReport } from './report/types.js';
import { renderHtml } from './report/html.js';
import { evaluateThresholds, finalFailure, requestBound } from './report/thresholds.js';
import { startTarget, type RunningTarget } from './reference-server/server.js';
import { DISCOVERY_TIMEOUT_MS, discoverMix } from './discover/run.js';
import { withParamHeaders } from './discover/param-headers.js';
import { distinctTargets } from './shared/targets.js';

/** V8's pool of this process, which its engines share or their child processes inherit: fixed at start, read once. */
const V8_POOL_SIZE = v8PoolSize();

export type { RunOptions } from './config/types.js';
export type { RunReport } from './report/types.js';
export { resolveRunOptions } from './config/options.js';
export { MetricsServer, RunMetrics, type MetricsSource } from './main/metrics.js';
export { startTarget } from './reference-server/server.js';

/** The signals that stop a run gracefully (drain, report): SIGHUP is a dropped SSH session. */
export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

export interface RunResult {
  report: RunReport;
  /** 0 ok; 1 a threshold failed; 2 an output could not be written; 3 no session could be established; 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM. */
  exitCode: number;
  /** What became of --report, --html and --out (a failed write names its path, and the JSON's fallback file). */
  outputs: OutputResult[];
}

export interface RunEvents {
  /** The built-in target was started (no --url given). */
  target: [url: string];
  /** The metrics endpoint is listening (before the engines start); `busyPort`: the default port was in use, so it took a free one. */
  metrics: [url: string, busyPort?: number];
  /** What is about to run: the options (after discovery), the URLs, the engines. Before any session starts. */
  plan: [plan: RunPlan];
  /** The engines were told to start measuring at `startAtMs` (ms since epoch): they send from then, or from `--warmup` before it. */
  started: [startAtMs: number, engines: number];
  snapshot: [snapshot: EngineSnapshot, aggregate: Aggregate];
  /** Interval `interval` (a second) is in from every engine: the live view's tick (Coordinator's `interval`). */
  interval: [interval: number, aggregate: Aggregate];
  note: [message: string];
}

/** The run as it is about to start. */
export interface RunPlan {
  opts: RunOptions;
  urls: string[];
  /** The built-in target runs in this process (no --url). */
  builtinTarget: boolean;
  engines: number;
  processes: number;
}

export class Run extends EventEmitter<RunEvents> {
  readonly result: Promise<RunResult>;
  private coordinator: Coordinator | undefined;
  /** The target URLs the engines were given (the built-in target's, without --url). */
  private urls: string[] = [];
  /** The final report, once built: what /snapshot answers from then on. */
  private finalReport: RunReport | undefined;
  /** --linger ends at the first read of the final snapshot, or at a stop. */
  private endLinger: (() => void) | undefined;
  private finalRead = false;
  private interrupted: string | undefined;
  private stopRequested: number | undefined;

  constructor(private opts: RunOptions) {
    super();
    this.result = this.execute();
    // Errors surface through `result`; keep Node from reporting an unhandled rejection meanwhile.
    this.result.catch(() => {});
  }

  /** The run's merged view so far; undefined before the engines start. */
  get aggregate(): Aggregate | undefined {
    return this.coordinator?.aggregate;
  }

  /**
   * Stop early: stop sending, drain in-flight requests for at most `drainMs` (default: the run's
   * --drain-timeout), then report.
   * `signal` marks the report as interrupted and picks the exit code. Safe to call again (a second
   * call with a shorter drain cuts the drain short).
   */
  stop(signal?: StopSignal, drainMs = this.opts.drainMs ?? DEFAULT_DRAIN_TIMEOUT_MS): void {
    // A stop while the run lingers (a second signal) ends the linger; the first one lets a watch read the final snapshot.
    if (this.finalReport) this.endLinger?.();
    if (signal && !this.interrupted) this.interrupted = signal;
    this.stopRequested = Math.min(this.stopRequested ?? Infinity, drainMs);
    this.coordinator?.stop(drainMs);
  }

  private async execute(): Promise<RunResult> {
    const opts = this.opts;
    let target: RunningTarget | undefined;
    let urls = opts.urls;
    const stream = this.openStream();
    const metrics = opts.metricsPort ? await this.startMetrics(opts.metricsPort) : undefined;
    try {
      if (urls.length === 0) {
        target = await startTarget({ host: '127.0.0.1', port: 0 });
        urls = [opts.transport === 'http' ? target.httpUrl : target.url];
        this.emit('target', urls[0]);
      }
      // Mix entries with `discover` become ordinary entries here, once, before the engines start.
      const profile = await discoverMix(
        opts.profile,
        {
          url: urls[0],
          headers: opts.headers,
          tls: opts.tls,
          frameTerminator: opts.frameTerminator,
          protocolVersion: opts.protocolVersion,
          builtinTarget: target !== undefined,
        },
        (m) => this.emit('note', m),
      ).then((p) =>
        // 2026-07-28 over HTTP: the x-mcp-header parameters of the tools called, mirrored as Mcp-Param-* headers.
        withParamHeaders(
          p,
          { url: urls[0], headers: opts.headers, tls: opts.tls, protocolVersion: opts.protocolVersion, timeoutMs: Math.min(DISCOVERY_TIMEOUT_MS, p.timeoutMs) },
          (m) => this.emit('note', m),
        ),
      );
      if (profile !== opts.profile) this.opts = { ...opts, profile };
      this.urls = urls;
      const coordinator = new Coordinator(this.opts, urls);
      this.coordinator = coordinator;
      if (stream) coordinator.aggregate.onSecond = (p) => stream.write(p, coordinator.aggregate.startedAtMs);
      coordinator.on('snapshot', (s, agg) => this.emit('snapshot', s, agg));
      coordinator.on('interval', (k, agg) => this.emit('interval', k, agg));
      coordinator.on('started', (at, engines) => this.emit('started', at, engines));
      coordinator.on('note', (m) => this.emit('note', m));
      if (opts.abortOnFail && opts.thresholds?.length) this.watchThresholds(coordinator);
      if (this.stopRequested !== undefined) coordinator.stop(this.stopRequested);
      this.emit('plan', { opts: this.opts, urls, builtinTarget: target !== undefined, engines: coordinator.engineCount, processes: coordinator.processCount });
      const agg = await coordinator.run();
      const report = buildReport(agg, this.opts, urls, {
        endedAtMs: Date.now(),
        workers: coordinator.engineCount,
        v8PoolSize: V8_POOL_SIZE,
        othersNice: coordinator.othersNice,
        interrupted: this.interrupted,
        startSkewMs: coordinator.startSkewMs,
      });
      if (opts.thresholds?.length) report.thresholds = evaluateThresholds(opts.thresholds, report);
      // Every second has closed with the run (the drain's included): the files are complete.
      const outputs: OutputResult[] = stream?.close() ?? [];
      if (opts.reportPath) outputs.push(writeOutputWithFallback('report', opts.reportPath, JSON.stringify(report, null, 2) + '\n', agg.startedAtMs));
      if (opts.htmlPath) outputs.push(writeOutputWithFallback('html', opts.htmlPath, renderHtml(report), agg.startedAtMs));
      this.finalReport = report;
      if (metrics) await this.linger();
      const exitCode = this.exitCode(report);
      // A report that could not be written where asked is not a green run.
      return { report, exitCode: exitCode === EXIT.ok && outputs.some((o) => o.error) ? EXIT.badInput : exitCode, outputs };
    } finally {
      stream?.close();
      await target?.close();
      await metrics?.close();
    }
  }

  /** --out: the files, opened (and emptied) before anything runs. */
  private openStream(): ResultsStream | undefined {
    const streams = this.opts.streams ?? [];
    if (streams.length === 0) return undefined;
    try {
      return new ResultsStream(streams);
    } catch (err) {
      throw new UsageError(`--out: cannot write ${(err as NodeJS.ErrnoException).path ?? 'a file'} (${describe(err)})`);
    }
  }

  /** --abort-on-fail: at most once a second, stop the run when a threshold can no longer pass. */
  private watchThresholds(coordinator: Coordinator): void {
    const opts = this.opts;
    const bound = requestBound(opts);
    let checkedAt = 0;
    let aborted = false;
    coordinator.on('snapshot', (_s, agg) => {
      if (aborted || Date.now() - checkedAt < 1000) return;
      checkedAt = Date.now();
      const partial = liveFigures(agg, opts, checkedAt);
      const failed = opts.thresholds!.find((t) => finalFailure(t, partial, bound));
      if (!failed) return;
      aborted = true;
      this.emit('note', `threshold ${failed.expr} has failed for good: stopping the run (--abort-on-fail)`);
      this.stop();
    });
  }

  /** --linger: keep /snapshot up until a watch has read the final one (or the time is up, or a signal came). */
  private async linger(): Promise<void> {
    const ms = this.opts.lingerMs ?? 0;
    if (ms <= 0 || this.finalRead) return;
    this.emit('note', `run finished: /snapshot stays up until a watch reads the final one, at most ${Math.round(ms / 1000)} s (--linger)`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.endLinger = () => (clearTimeout(timer), resolve());
    });
  }

  /**
   * `GET /snapshot`: the run so far in the report's format (counters and encoded histograms, nothing
   * secret: URLs lose their credentials, headers are never in a report), with `snapshot.finished`.
   * Before the engines start (--start-at ahead), 503 with the shard and the instant.
   */
  private snapshotAnswer(): SnapshotAnswer {
    const final = this.finalReport;
    if (final) {
      this.finalRead = true;
      // Answered first, then the linger ends (on the next turn, so this answer is written before the endpoint closes).
      setImmediate(() => this.endLinger?.());
      return { status: 200, body: JSON.stringify({ ...final, snapshot: { finished: true } }) };
    }
    const c = this.coordinator;
    if (!c?.started) {
      const waiting = { snapshot: { finished: false }, state: 'waiting', ...(this.opts.shard ? { shard: this.opts.shard } : {}) };
      const startAt = this.opts.startAtMs !== undefined ? { startAt: new Date(this.opts.startAtMs).toISOString() } : {};
      return { status: 503, body: JSON.stringify({ ...waiting, ...startAt }) };
    }
    return { status: 200, body: JSON.stringify({ ...this.liveReport(), snapshot: { finished: false } }) };
  }

  /** The run so far in the report's format (what /snapshot answers while it runs); undefined before the engines start. */
  liveReport(): RunReport | undefined {
    const c = this.coordinator;
    if (!c?.started) return undefined;
    // In the START_LEAD_MS before the start the run has not begun yet: it ends, so far, where it starts.
    const endedAtMs = Math.max(Date.now(), c.aggregate.startedAtMs);
    return buildReport(c.aggregate, this.opts, this.urls, {
      endedAtMs,
      workers: c.engineCount,
      v8PoolSize: V8_POOL_SIZE,
      othersNice: c.othersNice,
      startSkewMs: c.startSkewMs,
    });
  }

  /** Up before the engines start and until the report is written, so the drain can be scraped. */
  private async startMetrics(port: number): Promise<MetricsServer> {
    const { profile } = this.opts;
    const methodsOf = () => [...new Set(profileRequests(this.opts.profile).map((e) => e.method))];
    const targetsOf = () => distinctTargets(profileRequests(this.opts.profile));
    const server = await MetricsServer.start({
      host: this.opts.metricsHost ?? DEFAULT_METRICS_HOST,
      port,
      orFreePort: this.opts.metricsPortFallback === true,
      source: {
        clientType: profile.name,
        // Read at scrape time: discovery may change the mix after the endpoint is up (a fallback to tools/list).
        get methods() {
          return methodsOf();
        },
        get targets() {
          return targetsOf();
        },
        aggregate: () => this.coordinator?.aggregate,
      },
      snapshot: () => this.snapshotAnswer(),
    });
    this.emit('metrics', server.url, server.busyPort);
    return server;
  }

  private exitCode(report: RunReport): number {
    if (this.interrupted === 'SIGHUP') return EXIT.sighup;
    if (this.interrupted === 'SIGINT') return EXIT.sigint;
    if (this.interrupted === 'SIGTERM') return EXIT.sigterm;
    if (report.sessions.established === 0 && report.sessions.wanted > 0) return EXIT.cannotStart;
    if (report.thresholds?.some((t) => !t.passed)) return EXIT.thresholdFailed;
    if (report.lostEngines?.length) return EXIT.engineLost;
    return EXIT.ok;
  }
}

export function start(opts: RunOptions): Run {
  return new Run(opts);
}

export async function run(opts: RunOptions): Promise<RunResult> {
  return start(opts).result;
}

export { StartError };
