/**
 * A real Prometheus for tests (the Debian `prometheus` binary, on loopback, its own temporary
 * storage), plus small readers for the text exposition and free loopback ports. Everything is
 * bounded in time: waits give up with a clear error instead of hanging.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One line of the text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

/** The samples of `name` whose labels include `labels`. */
export function samples(all: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with these labels (throws if there is not exactly one). */
export function value(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples(all, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0].value;
}

/** A loopback port free right now (the OS picks it; we release it for the caller). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Poll `check` until it returns a value (not undefined), at most `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
}

/** The prometheus binary, or a failure that says how to get it (CI installs it; the test must not skip). */
export function prometheusBinary(): string {
  const bin = process.env.PROMETHEUS_BIN ?? 'prometheus';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`"${bin}" not found or not working: install Prometheus (Debian: apt-get install prometheus, as .ci/run does) or set PROMETHEUS_BIN`);
  }
  return bin;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  /** An instant query; `time` in seconds since the epoch. Returns the result vector. */
  query(expr: string, time: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** GET an API path (e.g. /api/v1/rules); returns `data`, throws unless status is success. */
  get(path: string): Promise<any>;
  /** SIGTERM by PID, SIGKILL after 5 s; removes the storage. Idempotent. */
  stop(): Promise<void>;
}

/** Prometheus scraping `targets` as one job, every `scrapeIntervalS`. */
export async function startPrometheus(opts: { port: number; targets: string[]; scrapeIntervalS: number }): Promise<RunningPrometheus> {
  const s = `${opts.scrapeIntervalS}s`;
  const config = [
    'global:',
    `  scrape_interval: ${s}`,
    `  scrape_timeout: ${s}`,
    `  evaluation_interval: ${s}`,
    'scrape_configs:',
    '  - job_name: mcpload',
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  return startPrometheusWithConfig(config, opts.port);
}

/** Prometheus on 127.0.0.1:`port` with this configuration file text, in its own temporary storage. */
export async function startPrometheusWithConfig(configText: string, port: number): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'mcpload-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, configText);
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        const killer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  const get = async (path: string) => {
    const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; error?: string; data: any };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  try {
    await waitFor('Prometheus to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid: child.pid as number,
    stop,
    get,
    query: async (expr, time) => (await get(`/api/v1/query?${new URLSearchParams({ query: expr, time: String(time) }).toString()}`)).result,
  };
}
