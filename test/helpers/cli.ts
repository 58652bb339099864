/** Run the built CLI (dist/bin.js) as a user would, with a time bound. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  onSpawn?: (pid: number) => void;
  /** Called with all of stderr so far each time more arrives (to wait for a line instead of sleeping). */
  onStderr?: (stderr: string) => void;
}

export interface CliOptions extends Omit<ProcessOptions, 'cwd'> {
  /** Leave the metrics endpoint at its default (runCli turns it off unless `env` names a metrics variable). */
  defaultMetrics?: boolean;
}

/** A child process to its end, with its output and a time bound, without blocking the test worker (as spawnSync would). */
export function runProcess(file: string, args: string[], opts: ProcessOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr);
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  // A clean environment: no MCPLOAD_* or legacy variables leak in from the caller. The metrics
  // endpoint is off unless a test asks for it, so runs never fight over the default port 9464.
  const metricsOff =
    opts.defaultMetrics || ['MCPLOAD_METRICS_PORT', 'METRICS_PORT', 'METRICS_ENABLED'].some((k) => opts.env?.[k] !== undefined)
      ? {}
      : { MCPLOAD_METRICS_PORT: '0' };
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...metricsOff, ...opts.env };
  return runProcess(process.execPath, [BIN, ...args], { ...opts, env });
}

/**
 * The CLI's main() in this process, as bin.js runs it, with stdout and stderr captured and the same
 * clean environment as runCli (MCPLOAD_* and the legacy variables only from `env`). For input that
 * never reaches a run: one call at a time (it swaps process-wide streams and variables).
 */
export async function runMain(args: string[], opts: { env?: Record<string, string> } = {}): Promise<CliResult> {
  const { main } = await import('../../src/cli.js');
  const { RUN_OPTIONS, legacyEnvNames } = await import('../../src/config/option-table.js');
  const legacy = new Set(legacyEnvNames(RUN_OPTIONS));
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('MCPLOAD_') || legacy.has(k)) delete process.env[k];
  Object.assign(process.env, { MCPLOAD_METRICS_PORT: '0' }, opts.env);
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => ((out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()), true)) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    // bin.js: main's code, or one line and exit 1 if it threw.
    const code = await main(args).catch((err: unknown) => {
      out.stderr += `mcpload: ${err instanceof Error ? err.message : String(err)}\n`;
      return 1;
    });
    return { code, ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
