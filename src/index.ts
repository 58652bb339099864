/**
 * The programmatic API: `start(opts)` begins a run and returns a handle with events and a result;
 * `run(opts)` is the same, awaited. The CLI is a thin layer over this.
 */
import { EventEmitter } from 'node:events';
import type { RunOptions } from './config/types.js';
import { writeOutputWithFallback, type OutputResult } from './config/outputs.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_METRICS_HOST } from './config/defaults.js';
import { EXIT, StartError } from './shared/errors.js';
import type { EngineSnapshot } from './shared/messages.js';
import type { Aggregate } from './main/aggregate.js';
import { Coordinator } from './main/coordinator.js';
import { MetricsServer } from './main/metrics.js';
import { buildReport, liveFigures } from './report/build.js';
import type { RunReport } from './report/types.js';
import { renderHtml } from './report/html.js';
import { evaluateThresholds, finalFailure, requestBound } from './report/thresholds.js';
import { startTarget, type RunningTarget } from './reference-server/server.js';
import { discoverMix } from './discover/run.js';
import { distinctTargets } from './shared/targets.js';

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
  /** What became of --report and --html (a failed write names its path, and the JSON's fallback file). */
  outputs: OutputResult[];
}

export interface RunEvents {
  /** The built-in target was started (no --url given). */
  target: [url: string];
  /** The metrics endpoint is listening (before the engines start); `busyPort`: the default port was in use, so it took a free one. */
  metrics: [url: string, busyPort?: number];
  /** What is about to run: the options (after discovery), the URLs, the engines. Before any session starts. */
  plan: [plan: RunPlan];
  /** The engines were told to start sending at `startAtMs` (ms since epoch). */
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
  private interrupted: string | undefined;
  private stopRequested: number | undefined;

  constructor(private opts: RunOptions) {
    super();
    this.result = this.execute();
    // Errors surface through `result`; keep Node from reporting an unhandled rejection meanwhile.
    this.result.catch(() => {});
  }

  /**
   * Stop early: stop sending, drain in-flight requests for at most `drainMs` (default: the run's
   * --drain-timeout), then report.
   * `signal` marks the report as interrupted and picks the exit code. Safe to call again (a second
   * call with a shorter drain cuts the drain short).
   */
  stop(signal?: StopSignal, drainMs = this.opts.drainMs ?? DEFAULT_DRAIN_TIMEOUT_MS): void {
    if (signal && !this.interrupted) this.interrupted = signal;
    this.stopRequested = Math.min(this.stopRequested ?? Infinity, drainMs);
    this.coordinator?.stop(drainMs);
  }

  private async execute(): Promise<RunResult> {
    const opts = this.opts;
    let target: RunningTarget | undefined;
    let urls = opts.urls;
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
      );
      if (profile !== opts.profile) this.opts = { ...opts, profile };
      const coordinator = new Coordinator(this.opts, urls);
      this.coordinator = coordinator;
      coordinator.on('snapshot', (s, agg) => this.emit('snapshot', s, agg));
      coordinator.on('interval', (k, agg) => this.emit('interval', k, agg));
      coordinator.on('started', (at, engines) => this.emit('started', at, engines));
      coordinator.on('note', (m) => this.emit('note', m));
      if (opts.abortOnFail && opts.thresholds?.length) this.watchThresholds(coordinator);
      if (this.stopRequested !== undefined) coordinator.stop(this.stopRequested);
      this.emit('plan', { opts: this.opts, urls, builtinTarget: target !== undefined, engines: coordinator.engineCount, processes: coordinator.processCount });
      const agg = await coordinator.run();
      const report = buildReport(agg, this.opts, urls, { endedAtMs: Date.now(), workers: coordinator.engineCount, interrupted: this.interrupted });
      if (opts.thresholds?.length) report.thresholds = evaluateThresholds(opts.thresholds, report);
      const outputs: OutputResult[] = [];
      if (opts.reportPath) outputs.push(writeOutputWithFallback('report', opts.reportPath, JSON.stringify(report, null, 2) + '\n', agg.startedAtMs));
      if (opts.htmlPath) outputs.push(writeOutputWithFallback('html', opts.htmlPath, renderHtml(report), agg.startedAtMs));
      const exitCode = this.exitCode(report);
      // A report that could not be written where asked is not a green run.
      return { report, exitCode: exitCode === EXIT.ok && outputs.some((o) => o.error) ? EXIT.badInput : exitCode, outputs };
    } finally {
      await target?.close();
      await metrics?.close();
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

  /** Up before the engines start and until the report is written, so the drain can be scraped. */
  private async startMetrics(port: number): Promise<MetricsServer> {
    const { profile } = this.opts;
    const methodsOf = () => [...new Set(this.opts.profile.mix.map((e) => e.method))];
    const targetsOf = () => distinctTargets(this.opts.profile.mix);
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
