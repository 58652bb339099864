/**
 * Runs a plan: the pre-flight handshake, then every phase as an ordinary run (index.ts `start`) in this
 * process tree, in sequence or side by side, each phase's report kept whole; the plan's report is their
 * exact merge (plan/total.ts) with the phases inside it.
 */
import { EventEmitter } from 'node:events';
import { start, type Run, type StopSignal } from '../index.js';
import { writeOutputWithFallback, type OutputResult } from '../config/outputs.js';
import { discover } from '../discover/catalog.js';
import type { Aggregate } from '../main/aggregate.js';
import { evaluateThresholds } from '../report/thresholds.js';
import type { PhaseReport, PlanReport, RunReport } from '../report/types.js';
import { EXIT, StartError, describe } from '../shared/errors.js';
import { FailoverWatch } from './failover.js';
import type { Plan, PlanPhase } from './file.js';
import { PlanTarget } from './target.js';
import { planTotal } from './total.js';
import { renderPlanHtml } from '../report/plan-html.js';

export interface PlanRunOptions {
  reportPath?: string;
  htmlPath?: string;
  /** How long the pre-flight handshake may take. */
  preflightTimeoutMs?: number;
  /** --start-at: the first phase starts at this instant (ms since the epoch), after the pre-flight. */
  startAtMs?: number;
}

/** One answer of the plan's `GET /snapshot` (main/metrics.ts SnapshotAnswer). */
export interface PlanSnapshotAnswer {
  status: number;
  body: string;
}

export interface PlanResult {
  report: RunReport;
  exitCode: number;
  outputs: OutputResult[];
}

export interface PlanEvents {
  target: [url: string];
  preflight: [line: string];
  phaseStart: [phase: PlanPhase];
  phaseEnd: [phase: PhaseReport];
  snapshot: [phase: string, aggregate: Aggregate];
  note: [message: string];
}

/** One phase's run as it goes. */
interface Running {
  phase: PlanPhase;
  run?: Run;
  startedAtMs?: number;
  report?: PhaseReport;
  exitCode?: number;
  watch?: FailoverWatch;
}

export class PlanRun extends EventEmitter<PlanEvents> {
  readonly result: Promise<PlanResult>;
  private readonly running: Running[];
  private interrupted: StopSignal | undefined;
  private wake: (() => void)[] = [];
  private target: PlanTarget | undefined;
  private planStartMs = 0;
  private preflightReport: PlanReport['preflight'];
  /** The plan's report once built: what /snapshot answers from then on. */
  private finalReport: RunReport | undefined;
  private finalRead = false;
  private onFinalRead: (() => void) | undefined;

  constructor(
    readonly plan: Plan,
    private readonly opts: PlanRunOptions = {},
  ) {
    super();
    this.running = plan.phases.map((phase) => ({ phase }));
    this.result = this.execute();
    this.result.catch(() => {});
  }

  /** The running phases' live views, for /metrics (phase label). */
  aggregates(): { phase: string; clientType: string; aggregate: Aggregate | undefined }[] {
    return this.running.map((r) => ({ phase: r.phase.name, clientType: r.phase.opts.profile.name, aggregate: r.run?.aggregate }));
  }

  /** Stop the running phases (drain, report) and start no more. Safe to call again. */
  stop(signal?: StopSignal, drainMs?: number): void {
    this.interrupted ??= signal ?? 'SIGTERM';
    for (const r of this.running) r.run?.stop(signal, drainMs);
    for (const w of this.wake.splice(0)) w();
  }

  private async execute(): Promise<PlanResult> {
    const plan = this.plan;
    const planStartMs = Date.now();
    this.planStartMs = planStartMs;
    try {
      if (plan.phases.some((p) => p.opts.urls.length === 0)) {
        this.target = await PlanTarget.start(plan.targetProcesses);
        this.emit('target', this.target.wsUrl);
      }
      const phases = plan.phases.map((p) => (p.opts.urls.length > 0 ? p : { ...p, opts: { ...p.opts, urls: [this.urlFor(p)] } }));
      this.running.forEach((r, i) => (r.phase = phases[i]));
      let preflight: PlanReport['preflight'];
      if (plan.preflight) preflight = await this.preflight(phases[0]);
      this.preflightReport = preflight;
      if (this.opts.startAtMs !== undefined) await this.sleep(this.opts.startAtMs - Date.now());
      const started: Promise<void>[] = [];
      const ended: Promise<void>[] = [];
      this.running.forEach((r, i) => {
        const { phase } = r;
        let markStarted!: () => void;
        started.push(new Promise<void>((resolve) => (markStarted = resolve)));
        const after = i === 0 ? Promise.resolve() : phase.startTimeMs !== undefined ? started[i - 1] : Promise.all(ended.slice(0, i)).then(() => undefined);
        const wait = phase.startTimeMs ?? phase.pauseMs;
        ended.push(
          after
            .then(() => this.sleep(wait))
            .then(() => (this.interrupted ? undefined : this.runPhase(r, planStartMs, markStarted)))
            .catch((err: unknown) => {
              // A phase that cannot run stops the plan: the others drain and the error is the plan's.
              this.stop();
              throw err;
            })
            .finally(() => markStarted()),
        );
      });
      const settled = await Promise.allSettled(ended);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) throw failure.reason;
      const done = this.running.filter((r): r is Running & { report: PhaseReport } => r.report !== undefined);
      if (done.length === 0) throw new StartError('the plan was stopped before its first phase started');
      const total = this.assemble(
        done.map((r) => r.report),
        [],
        done.length === this.running.length,
      );
      if (this.interrupted) total.interrupted = this.interrupted;
      this.finalReport = total;
      const outputs: OutputResult[] = [];
      if (this.opts.reportPath) outputs.push(writeOutputWithFallback('report', this.opts.reportPath, JSON.stringify(total, null, 2) + '\n', planStartMs));
      if (this.opts.htmlPath) outputs.push(writeOutputWithFallback('html', this.opts.htmlPath, renderPlanHtml(total), planStartMs));
      const exitCode = this.exitCode(
        total,
        done.map((r) => r.exitCode ?? EXIT.ok),
      );
      return { report: total, exitCode: exitCode === EXIT.ok && outputs.some((o) => o.error) ? EXIT.badInput : exitCode, outputs };
    } finally {
      await this.target?.close();
    }
  }

  /** The plan's report of these phases: their exact merge, the plan's thresholds on it, the phases inside. */
  private assemble(phases: PhaseReport[], running: string[], complete: boolean): RunReport {
    const plan = this.plan;
    const total = planTotal(phases);
    if (plan.thresholds.length) total.thresholds = evaluateThresholds(plan.thresholds, total);
    const passed = complete && phases.every((p) => p.passed) && !total.thresholds?.some((t) => !t.passed);
    const pre = this.preflightReport;
    total.plan = { name: plan.name, ...(pre ? { preflight: pre } : {}), phases, passed, ...(running.length ? { running } : {}) };
    // A shard's plan says which share it ran, as a shard's run does (the watch and merge name it by that).
    const shard = phases.find((p) => p.report.shard)?.report.shard;
    if (shard) total.shard = shard;
    return total;
  }

  /**
   * The plan so far, in the report's format: the phases that ended, and each running phase's figures
   * so far with its thresholds on them (`plan.running` names those); undefined before a phase started.
   */
  liveReport(): RunReport | undefined {
    if (this.finalReport) return this.finalReport;
    const phases: PhaseReport[] = [];
    const running: string[] = [];
    for (const r of this.running) {
      if (r.report) {
        phases.push(r.report);
        continue;
      }
      const live = r.run?.liveReport();
      const agg = r.run?.aggregate;
      if (!live || !agg || r.startedAtMs === undefined) continue;
      const report = JSON.parse(JSON.stringify(live)) as RunReport;
      if (r.watch) report.failover = r.watch.result(agg);
      if (r.phase.thresholds.length) report.thresholds = evaluateThresholds(r.phase.thresholds, report);
      const startSecond = Math.round((r.startedAtMs - this.planStartMs) / 100) / 10;
      phases.push({ name: r.phase.name, startSecond, report, passed: !report.thresholds?.some((t) => !t.passed) });
      running.push(r.phase.name);
    }
    return phases.length ? this.assemble(phases, running, false) : undefined;
  }

  /**
   * `GET /snapshot` of a plan (for mcpload watch): the plan so far with snapshot.finished; 503 with
   * the shard while no phase has started (the pre-flight, --start-at ahead).
   */
  snapshotAnswer(): PlanSnapshotAnswer {
    const report = this.liveReport();
    if (!report) {
      const shard = this.plan.shard ? { shard: this.plan.shard } : {};
      const startAt = this.opts.startAtMs !== undefined ? { startAt: new Date(this.opts.startAtMs).toISOString() } : {};
      return { status: 503, body: JSON.stringify({ snapshot: { finished: false }, state: 'waiting', ...shard, ...startAt }) };
    }
    const finished = report === this.finalReport;
    if (finished) {
      this.finalRead = true;
      // Answered first, then the linger ends (on the next turn, so this answer is written before the endpoint closes).
      setImmediate(() => this.onFinalRead?.());
    }
    return { status: 200, body: JSON.stringify({ ...report, snapshot: { finished } }) };
  }

  /** --linger: resolves once a watch has read the final snapshot, or after `ms`, or at a stop. */
  async linger(ms: number): Promise<void> {
    if (ms <= 0 || this.finalRead) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const stop = () => done();
      this.wake.push(stop);
      this.onFinalRead = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private urlFor(p: PlanPhase): string {
    return p.opts.transport === 'http' ? this.target!.httpUrl : this.target!.wsUrl;
  }

  /** An MCP handshake with the first phase's target; a clear line and exit 3 when it fails. */
  private async preflight(first: PlanPhase): Promise<NonNullable<PlanReport['preflight']>> {
    const o = first.opts;
    const url = o.urls[0];
    const t0 = performance.now();
    try {
      const conn = await discover({
        url,
        headers: o.headers,
        tls: o.tls,
        frameTerminator: o.frameTerminator,
        protocolVersion: o.protocolVersion,
        timeoutMs: this.opts.preflightTimeoutMs ?? 5000,
      });
      await conn.peer.close().catch(() => {});
      const ms = Math.round((performance.now() - t0) * 10) / 10;
      const server = `${conn.catalog.server.name}${conn.catalog.server.version ? ' ' + conn.catalog.server.version : ''}`;
      this.emit('preflight', `pre-flight: ${url} answered the MCP handshake in ${ms} ms (${server}, protocol ${conn.catalog.protocolVersion})`);
      return { url, server, protocolVersion: conn.catalog.protocolVersion, ms };
    } catch (err) {
      throw new StartError(
        `pre-flight: no MCP handshake with ${url} (${describe(err).replace(/^cannot reach an MCP server at \S+: /, '')}); the plan did not start`,
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.interrupted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake.push(done);
    });
  }

  private async runPhase(r: Running, planStartMs: number, onStart: () => void): Promise<void> {
    const { phase } = r;
    r.startedAtMs = Date.now();
    const run = start(phase.opts);
    r.run = run;
    onStart();
    this.emit('phaseStart', phase);
    run.on('note', (m) => this.emit('note', `${phase.name}: ${m}`));
    const watch = phase.expectReconnects ? new FailoverWatch(r.startedAtMs + phase.opts.durationMs) : undefined;
    r.watch = watch;
    run.on('snapshot', (_s, agg) => {
      watch?.observe(agg, Date.now());
      this.emit('snapshot', phase.name, agg);
    });
    let restarting: Promise<void> | undefined;
    const restart =
      phase.restartTargetMs !== undefined
        ? setTimeout(() => {
            this.emit('note', `${phase.name}: restarting the built-in target (failover window)`);
            restarting = this.target!.restart().catch((err: unknown) => {
              this.emit('note', `${phase.name}: the target did not come back: ${describe(err)}`);
            });
          }, phase.restartTargetMs)
        : undefined;
    const result = await run.result;
    clearTimeout(restart);
    await restarting;
    // As written to a file (NaN -> null): the merge reads phases as it reads report files.
    const report = JSON.parse(JSON.stringify(result.report)) as RunReport;
    const agg = run.aggregate;
    if (watch && agg) report.failover = watch.result(agg);
    if (phase.thresholds.length) report.thresholds = evaluateThresholds(phase.thresholds, report);
    const passed = result.exitCode === EXIT.ok && !report.thresholds?.some((t) => !t.passed);
    r.exitCode = result.exitCode;
    r.report = { name: phase.name, startSecond: Math.round((r.startedAtMs - planStartMs) / 100) / 10, report, passed };
    this.emit('phaseEnd', r.report);
  }

  private exitCode(total: RunReport, phaseCodes: number[]): number {
    if (this.interrupted === 'SIGHUP') return EXIT.sighup;
    if (this.interrupted === 'SIGINT') return EXIT.sigint;
    if (this.interrupted === 'SIGTERM') return EXIT.sigterm;
    if (phaseCodes.includes(EXIT.cannotStart)) return EXIT.cannotStart;
    const failedThreshold = total.plan!.phases.some((p) => p.report.thresholds?.some((t) => !t.passed)) || total.thresholds?.some((t) => !t.passed);
    if (failedThreshold) return EXIT.thresholdFailed;
    if (phaseCodes.includes(EXIT.engineLost)) return EXIT.engineLost;
    return EXIT.ok;
  }
}

export function startPlan(plan: Plan, opts?: PlanRunOptions): PlanRun {
  return new PlanRun(plan, opts);
}
