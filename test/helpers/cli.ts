/** Run the built CLI (dist/bin.js) as a user would, with a time bound. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // A clean environment: no MCPLOAD_* or legacy variables leak in from the caller. The metrics
    // endpoint is off unless a test asks for it, so runs never fight over the default port 9464.
    const metricsOff = ['MCPLOAD_METRICS_PORT', 'METRICS_PORT', 'METRICS_ENABLED'].some((k) => opts.env?.[k] !== undefined) ? {} : { MCPLOAD_METRICS_PORT: '0' };
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...metricsOff, ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (child.pid) opts.onSpawn?.(child.pid);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
