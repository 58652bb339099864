/**
 * The stack rehearsed on loopback with real processes, as far as it goes without Docker: three
 * mcpload replicas configured by the stack's own environment (two replicas of `normal`, one of
 * `high-load`, at small rates) against one reference target, scraped by a real Prometheus running
 * the stack's prometheus.yml and alerts.yml (static targets in place of Swarm's DNS, 1 s intervals).
 * Every dashboard query returns data, summed over replicas (no per-instance series); every rule
 * evaluates without error and every recording rule returns data; the image's healthcheck script
 * answers as Docker would read it; and SIGTERM (docker stack rm) ends each replica with 143 and a
 * report well inside the stack's stop grace period, which `mcpload merge` combines.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import {
  FILES,
  dashboardQueries,
  durationMs,
  grafanaToPromql,
  readYaml,
  rehearsalPrometheusConfig,
  ruleQueries,
  spawnMcpload,
  startPrometheusWith,
  type Doc,
  type Replica,
} from './helpers/deploy.js';
import { freePort, prometheusBinary, waitFor } from './helpers/prometheus.js';

/**
 * Small enough for a 2-core machine running the target, three replicas and Prometheus at once. Two
 * profiles (two deployments of the stack's `load` service, MCPLOAD_PROFILE set apart), so the
 * dashboard's per-profile sums are seen to add up.
 */
const REPLICAS = [
  { service: 'load', profile: 'normal', clients: 3, rate: 30 },
  { service: 'load', profile: 'normal', clients: 3, rate: 30 },
  { service: 'load', profile: 'high-load', clients: 2, rate: 50 },
];
/** Data a 10 s rate window (the dashboard's $__rate_interval here) is full of. */
const STEADY_S = 12;
/** Swarm's SIGKILL comes after stop_grace_period (30 s); a replica must be gone well before. */
const STOP_WITHIN_MS = 10_000;

const stack = readYaml(FILES.stack);
const dir = mkdtempSync(join(tmpdir(), 'mcpload-rehearsal-'));
let target: RunningTarget | undefined;
let prom: Awaited<ReturnType<typeof startPrometheusWith>> | undefined;
const replicas: Replica[] = [];

beforeAll(() => {
  prometheusBinary(); // fails (never skips) without Prometheus, saying how to install it
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop(2000)));
  await prom?.stop();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A service's environment from the stack, as `docker stack deploy` with the deployer's `vars` would
 * set it (${VAR:-default}, ${VAR:?why}) and Swarm's templates filled in as for task `slot`.
 */
function stackEnv(service: string, slot: number, vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(stack.services[service].environment)) {
    env[k] = String(v)
      .replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_, name: string, dflt: string | undefined) => {
        const value = vars[name] ?? dflt;
        if (value === undefined) throw new Error(`the stack needs ${name}`);
        return value;
      })
      .replace('{{.Service.Name}}', `mcpload_${service}`)
      .replace('{{.Task.Slot}}', String(slot))
      .replace('{{.Task.ID}}', `task${slot}`);
  }
  return env;
}

/** The image's healthcheck script; asynchronous, as the target it may probe runs in this process. */
function healthcheck(args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FILES.healthcheck, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore', timeout: 10_000 });
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

it('the stack rehearsed on loopback: dashboard queries return data, rules evaluate, replicas stop cleanly', { timeout: 100_000 }, async () => {
  target = await startTarget({ port: 0 });
  const ports = await Promise.all(REPLICAS.map(() => freePort()));
  const promPort = await freePort();
  const config = rehearsalPrometheusConfig({
    promAddress: `127.0.0.1:${promPort}`,
    targets: REPLICAS.map((r, i) => ({ address: `127.0.0.1:${ports[i]}`, service: r.service })),
    intervalS: 1,
  });
  prom = await startPrometheusWith(config, promPort);

  const reports = REPLICAS.map((_, i) => join(dir, `replica-${i}.json`));
  REPLICAS.forEach((r, i) => {
    // The stack's environment, with what differs on loopback on the command line (which wins). Not
    // sharded here (each replica runs its whole command-line load, until stopped): shards, the common
    // start and the watch are rehearsed in containers by deploy/rehearse.sh.
    const { MCPLOAD_SHARD, MCPLOAD_SHARDS, MCPLOAD_START_AT, MCPLOAD_LINGER, ...env } = stackEnv(r.service, i + 1, {
      MCPLOAD_PROFILE: r.profile,
      MCPLOAD_START_AT: new Date().toISOString(),
      MCPLOAD_DURATION: '0',
    });
    expect([MCPLOAD_SHARD, MCPLOAD_SHARDS, MCPLOAD_START_AT, MCPLOAD_LINGER].every(Boolean), 'the stack shards its load').toBe(true);
    expect(env.MCPLOAD_PROFILE).toBe(r.profile);
    replicas.push(
      spawnMcpload(
        [
          '--url',
          target!.url,
          '--clients',
          String(r.clients),
          '--rate',
          String(r.rate),
          '--workers',
          '1',
          '--metrics-host',
          '127.0.0.1',
          '--metrics-port',
          String(ports[i]),
          '--report',
          reports[i],
          '--quiet',
        ],
        { ...env, MCPLOAD_REPORT: reports[i] },
      ),
    );
  });

  // Every replica scraped with sessions open, then a rate window's worth of steady data.
  await waitFor(
    'Prometheus to scrape every replica with its sessions open',
    async () => {
      const r = await prom!.query('sum(mcp_client_sessions_open) == sum(mcp_client_sessions_wanted) and count(up{job="mcpload"} == 1) == 3', Date.now() / 1000);
      return r.length === 1 && Number(r[0].value[1]) === REPLICAS.reduce((s, x) => s + x.clients, 0) ? true : undefined;
    },
    45_000, // replicas take seconds to start their engines on a busy machine
  );
  await new Promise((r) => setTimeout(r, STEADY_S * 1000));
  const now = Date.now() / 1000;

  // The image's HEALTHCHECK, as Docker runs it in each container.
  expect(await healthcheck([], { MCPLOAD_METRICS_PORT: String(ports[0]) }), 'replica /healthz').toBe(0);
  expect(await healthcheck([`http://127.0.0.1:${target.port}/mcp/ws`, '426'], {}), 'target endpoint').toBe(0);
  expect(await healthcheck([], { METRICS_ENABLED: 'false' }), 'metrics turned off').toBe(0);
  expect(await healthcheck([], { MCPLOAD_METRICS_PORT: String(await freePort()) }), 'nothing listening').toBe(1);

  // Every dashboard query: data, finite, summed over replicas.
  const dashboard = JSON.parse(readFileSync(FILES.dashboard, 'utf8'));
  for (const q of dashboardQueries(dashboard)) {
    const result = await prom.query(grafanaToPromql(q.expr), now);
    expect(result.length, `${q.where}: ${q.expr} returned nothing`).toBeGreaterThan(0);
    for (const s of result) {
      expect(Number.isFinite(Number(s.value[1])), `${q.where}: ${JSON.stringify(s)}`).toBe(true);
      expect(s.metric.instance, `${q.where}: per-replica series ${JSON.stringify(s.metric)}`).toBeUndefined();
    }
    if (/by \(client_type\b/.test(q.expr)) expect(result.map((s) => s.metric.client_type).sort(), q.where).toEqual(['high-load', 'normal']);
  }
  // Sums over the two replicas of `normal`: gauges are exact.
  const targetRate = await prom.query('sum by (client_type) (mcp_client_target_requests_per_second)', now);
  expect(Object.fromEntries(targetRate.map((s) => [s.metric.client_type, Number(s.value[1])]))).toEqual({ normal: 2 * 3 * 30, 'high-load': 2 * 50 });

  // Every rule: loaded from the stack's file, evaluated without error; recording rules return data.
  const groups = (await prom.get('/api/v1/rules')).groups as Doc[];
  const loaded = groups.flatMap((g) => g.rules);
  const rules = ruleQueries(readYaml(FILES.alerts));
  expect(loaded.map((r: Doc) => r.name).sort()).toEqual(rules.map((r) => r.record ?? r.alert).sort());
  for (const r of loaded) {
    expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
    expect(r.lastEvaluation, r.name).not.toMatch(/^0001-/);
  }
  for (const r of rules) {
    const result = await prom.query(r.expr, now); // an alert expression: evaluates (empty = not firing)
    if (r.record) {
      const recorded = await prom.query(r.record, now);
      expect(recorded.length, `${r.record} recorded nothing`).toBeGreaterThan(0);
      expect(recorded.map((s) => s.metric.client_type).sort(), r.record).toEqual(['high-load', 'normal']);
      expect(result.length, r.where).toBe(2);
    }
  }
  // A healthy run on loopback breaches nothing (an alert still pending would be listed too).
  const alerts = (await prom.get('/api/v1/alerts')).alerts as Doc[];
  expect(alerts, JSON.stringify(alerts)).toEqual([]);

  // docker stack rm: SIGTERM to every task; each drains, writes its report and exits 143.
  const grace = durationMs(stack.services.load.stop_grace_period);
  expect(grace).toBeGreaterThan(STOP_WITHIN_MS);
  const stopped = await Promise.all(replicas.map((r) => r.stop(STOP_WITHIN_MS)));
  stopped.forEach((s, i) => {
    expect(s.code, `replica ${i}: ${s.signal} ${s.stderr}`).toBe(143);
    expect(existsSync(reports[i]), `replica ${i} report`).toBe(true);
  });
  // Reading results as the README says: merge the replicas' reports.
  const merged = spawnSync(process.execPath, [FILES.bin, 'merge', ...reports, '--report', join(dir, 'merged.json')], { encoding: 'utf8', timeout: 20_000 });
  expect(merged.status, merged.stderr).toBe(0);
  const report = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8'));
  expect(report.requests.sent).toBeGreaterThan(0);
  expect(report.requests.failed).toBe(0);
});
