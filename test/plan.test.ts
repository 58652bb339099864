/**
 * `mcpload plan` (issue 21) against the reference target: a three-phase plan (one phase, then two side by
 * side) whose per-phase counts are what the target saw in each phase's window (GET /stats/seconds), whose
 * total is the exact merge of the phases, and whose failing phase fails the plan by name; a failover phase
 * with the target process killed and restarted on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { planCommand } from '../src/plan/command.js';
import { loadPlan } from '../src/plan/file.js';
import { startPlan } from '../src/plan/runner.js';
import { mergeReports } from '../src/report/merge.js';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import type { StatsSecond } from '../src/reference-server/stats-seconds.js';
import type { RunReport } from '../src/report/types.js';
import { BIN, runCli } from './helpers/cli.js';
import { freePort } from './helpers/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-plan-'));
const targets: RunningTarget[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

function writePlan(name: string, plan: object): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(plan));
  return path;
}

const inline = (method: string, params?: object) => ({ clients: 2, rate: 10, timeout: '5s', mix: [{ method, ...(params ? { params } : {}) }] });

describe('a three-phase plan: a, then b and c side by side', () => {
  it('per-phase counts match the target per window, the total is the exact merge, a failing phase fails the plan by name', { timeout: 120_000 }, async () => {
    const target = await startTarget({ port: 0 });
    targets.push(target);
    const file = writePlan('three', {
      name: 'three',
      url: target.url,
      phases: [
        { name: 'a', profile: inline('tools/call', { name: 'echo', arguments: { text: 'a' } }), duration: '2s', thresholds: ['success>=99%'] },
        { name: 'b', pause: '2s', profile: inline('resources/read', { uri: 'mcpload://resources/1' }), duration: '2s' },
        // p99 under a microsecond cannot hold: this phase fails, and with it the plan.
        { name: 'c', startTime: '0s', profile: inline('ping'), duration: '2s', thresholds: ['p99<1us'] },
      ],
    });
    const out: string[] = [];
    const err: string[] = [];
    const reportPath = join(dir, 'three.json');
    const code = await planCommand(
      file,
      { report: reportPath, quiet: true },
      (t) => out.push(t),
      (l) => err.push(l),
    );
    const text = out.join('');
    expect(code, err.join('\n')).toBe(1);
    expect(text).toMatch(/plan FAILED: phase c \(p99<1us\)/);
    expect(text).toContain('=== PHASE a');
    expect(text).toMatch(/VERDICT\n/);

    const total = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
    const phases = Object.fromEntries(total.plan!.phases.map((p) => [p.name, p]));
    expect(Object.keys(phases)).toEqual(['a', 'b', 'c']);
    expect(phases.a.passed).toBe(true);
    expect(phases.b.passed).toBe(true);
    expect(phases.c.passed).toBe(false);
    // b and c started together, after a had ended.
    expect(Math.abs(phases.b.startSecond - phases.c.startSecond)).toBeLessThan(1);
    expect(Date.parse(phases.b.report.startedAt)).toBeGreaterThan(Date.parse(phases.a.report.endedAt));

    // What the target saw, second by second: each method belongs to one phase, and falls in its window.
    const seconds = ((await (await fetch(target.url.replace(/^ws/, 'http').replace(/\/mcp\/ws$/, '/stats/seconds'))).json()) as { seconds: StatsSecond[] })
      .seconds;
    const own: Record<string, string> = { a: 'tools/call', b: 'resources/read', c: 'ping' };
    for (const [name, method] of Object.entries(own)) {
      const r = phases[name].report;
      const from = Math.floor(Date.parse(r.startedAt) / 1000) - 1;
      const to = Math.ceil(Date.parse(r.endedAt) / 1000) + 1;
      const inWindow = seconds.filter((s) => s.at >= from && s.at <= to).reduce((n, s) => n + (s.byMethod[method] ?? 0), 0);
      const anywhere = seconds.reduce((n, s) => n + (s.byMethod[method] ?? 0), 0);
      expect(r.methods[method].sent).toBeGreaterThan(0);
      expect(r.requests.ok + r.requests.failed).toBe(r.requests.sent);
      expect(inWindow, `${name}: ${method} in its window`).toBe(r.methods[method].sent);
      expect(anywhere, `${name}: ${method} only in its window`).toBe(inWindow);
      expect(Object.keys(r.methods)).toEqual([method]);
    }
    // a's window holds none of b's or c's requests.
    const aTo = Math.floor(Date.parse(phases.b.report.startedAt) / 1000) - 1;
    expect(seconds.filter((s) => s.at <= aTo).reduce((n, s) => n + (s.byMethod['resources/read'] ?? 0) + (s.byMethod.ping ?? 0), 0)).toBe(0);
    // The pre-flight's handshake (and its lists) came before the first phase.
    const aFrom = Math.floor(Date.parse(phases.a.report.startedAt) / 1000);
    expect(seconds.filter((s) => s.at <= aFrom).reduce((n, s) => n + (s.byMethod.initialize ?? 0), 0)).toBeGreaterThanOrEqual(1);
    expect(total.plan!.preflight?.url).toBe(target.url);

    // The total is the exact merge of the phases: counters add up, percentiles from the summed histograms.
    const merged = mergeReports(total.plan!.phases.map((p) => p.report));
    expect(total.requests).toEqual(merged.requests);
    expect(total.latency).toEqual(merged.latency);
    expect(total.histograms.latency).toBe(merged.histograms.latency);
    expect(total.methods).toEqual(merged.methods);
    expect(total.requests.sent).toBe(Object.values(phases).reduce((n, p) => n + p.report.requests.sent, 0));
  });
});

describe('/metrics of a plan', () => {
  it('every series carries a phase label, each family is exposed once', { timeout: 60_000 }, async () => {
    const target = await startTarget({ port: 0 });
    targets.push(target);
    const port = await freePort();
    const file = writePlan('metrics', {
      name: 'metrics',
      url: target.url,
      preflight: false,
      phases: [
        { name: 'left', profile: inline('ping'), duration: '3s' },
        { name: 'right', startTime: '0s', profile: inline('tools/list'), duration: '3s' },
      ],
    });
    let scraped = '';
    const lines: string[] = [];
    let finished = false;
    const done = planCommand(
      file,
      { quiet: true, metricsPort: port, metricsHost: '127.0.0.1' },
      () => {},
      (l) => lines.push(l),
    ).finally(() => (finished = true));
    // Scrape while the phases run, until both phases' requests are in one scrape.
    while (!finished && !/mcp_client_requests_total\{[^}]*method="tools\/list"[^}]*phase="right"[^}]*status="ok"[^}]*\} [1-9]/.test(scraped)) {
      scraped = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => scraped);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(await done, lines.join('\n')).toBe(0);
    expect(scraped).toMatch(/mcp_client_requests_total\{[^}]*method="ping"[^}]*phase="left"/);
    expect(scraped).toMatch(/mcp_client_requests_total\{[^}]*method="tools\/list"[^}]*phase="right"/);
    expect(scraped.match(/^# TYPE mcp_client_requests_total /gm)).toHaveLength(1);
    expect(scraped.match(/^# TYPE process_cpu_seconds_total /gm)).toHaveLength(1);
  });
});

/** `mcpload serve` as its own process on `port`, resolved once it listens. */
function serve(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (stderr.includes('listening on')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

describe('a failover phase', () => {
  it(
    'the target killed and restarted mid-phase: closes, reconnects and recovery are reported, recovery thresholds pass and fail',
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      let server = await serve(port);
      const file = writePlan('failover', {
        name: 'failover',
        url: `ws://127.0.0.1:${port}/mcp/ws`,
        phases: [
          {
            name: 'restart',
            profile: { ...inline('ping'), clients: 4, reconnect: { initialDelay: '50ms', maxDelay: '500ms' } },
            duration: '14s',
            expect: 'reconnects',
            thresholds: ['recovery<30s', 'recovery<1ms', 'reconnects>=1'],
          },
        ],
      });
      const run = startPlan(loadPlan(file));
      let killed = false;
      run.on('snapshot', (_phase, agg) => {
        if (killed || agg.gauges().sessionsOpen < 4) return;
        killed = true;
        server.kill('SIGKILL');
        server.once('exit', () => {
          setTimeout(() => {
            void serve(port).then((s) => (server = s));
          }, 1000);
        });
      });
      const { report, exitCode } = await run.result;
      expect(killed).toBe(true);
      const phase = report.plan!.phases[0];
      const f = phase.report.failover!;
      expect(f.firstCloseSecond).not.toBeNull();
      expect(f.closedSessions).toBeGreaterThan(0);
      expect(f.reconnects).toBeGreaterThanOrEqual(4);
      expect(f.recoverySeconds).not.toBeNull();
      // Down for a second at least (the restart waits that long), back within the phase.
      expect(f.recoverySeconds!).toBeGreaterThan(0.5);
      const verdicts = Object.fromEntries(phase.report.thresholds!.map((t) => [t.expr, t.passed]));
      expect(verdicts).toEqual({ 'recovery<30s': true, 'recovery<1ms': false, 'reconnects>=1': true });
      expect(exitCode).toBe(1);
      expect(phase.passed).toBe(false);
    },
  );
});

describe('a failover during a ramp', () => {
  it('sessions the restart closed reconnect before the sessions still queued for their first connect', { timeout: 60_000 }, async () => {
    // 300 sessions at 30 connects/s: the ramp outlasts the 8 s phase; the target restarts 3 s in (~90 open).
    const file = writePlan('ramp-failover', {
      name: 'ramp-failover',
      phases: [
        {
          name: 'ramp',
          profile: { ...inline('ping'), clients: 300, rate: 0.2, reconnect: { initialDelay: '50ms', maxDelay: '300ms' } },
          connectRate: 30,
          duration: '8s',
          expect: 'reconnects',
          restartTarget: '3s',
          thresholds: ['reconnects>=1'],
        },
      ],
    });
    const { report } = await startPlan(loadPlan(file)).result;
    const f = report.plan!.phases[0].report.failover!;
    expect(f.firstCloseSecond, JSON.stringify(f)).not.toBeNull();
    expect(f.closedSessions).toBeGreaterThan(10);
    // Behind ~150 first connects at 30/s, a closed session would not have come back within the phase.
    expect(f.reconnects, JSON.stringify(f)).toBeGreaterThanOrEqual(f.closedSessions / 2);
    expect(report.plan!.phases[0].report.thresholds!.map((t) => t.passed)).toEqual([true]);
  });
});

describe('mcpload --plan FILE', () => {
  it('is mcpload plan FILE on the run command (flag or MCPLOAD_PLAN); run options a plan does not take are one line, exit 2', { timeout: 60_000 }, async () => {
    const file = writePlan('alias', { name: 'alias', phases: [{ name: 'only', profile: inline('ping'), duration: '1s' }] });
    const viaFlag = await runCli(['--plan', file, '--quiet', '--time-scale', '1']);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect(viaFlag.stdout).toMatch(/^PLAN alias: 1 phases/);
    expect(viaFlag.stdout).toMatch(/plan passed/);
    const viaRun = await runCli(['run', `--plan=${file}`, '--quiet']);
    expect(viaRun.code, viaRun.stderr).toBe(0);
    expect(viaRun.stdout).toMatch(/=== PHASE only/);
    const viaEnv = await runCli(['--quiet'], { env: { MCPLOAD_PLAN: file } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toMatch(/^PLAN alias/);
    const bad = await runCli(['--plan', file, '--clients', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'mcpload: --plan: --clients is not for a plan (each phase sets its own load); mcpload plan --help lists what a plan takes',
    ]);
  });
});
