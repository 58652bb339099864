/**
 * V8's background pool: the bin's first line starts Node with a pool of 2 (src/bin.ts says why), and a
 * report records the size the engines ran with. The built bin is run as an installed command runs it
 * (executed itself, so the kernel reads its first line), and as `node dist/bin.js`.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BIN, runCli, runProcess } from './helpers/cli.js';
import { v8PoolSize } from '../src/main/engines.js';

/** A short run against the built-in target; its report's config.v8PoolSize. */
async function poolOf(run: (args: string[]) => Promise<{ code: number | null; stderr: string }>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mcpload-pool-'));
  try {
    const report = join(dir, 'r.json');
    const r = await run(['--clients', '2', '--rate', '20', '--duration', '1s', '--quiet', '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(readFileSync(report, 'utf8')).config.v8PoolSize;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the V8 pool size', () => {
  it("is 2 when the bin runs as a command (its first line), and Node's 4 under plain `node dist/bin.js`", async () => {
    // The node that runs these tests first on PATH, for the bin's `env -S node`.
    const env = { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '', MCPLOAD_METRICS_PORT: '0' };
    expect(await poolOf((args) => runProcess(BIN, args, { env }))).toBe(2);
    expect(await poolOf((args) => runCli(args))).toBe(4);
    expect(await poolOf((args) => runCli(args, { env: { NODE_OPTIONS: '--v8-pool-size=3' } }))).toBe(3);
  });

  it('is read as Node reads it: NODE_OPTIONS first, then the command line, the last one winning; 0 is the cores less one', () => {
    expect(v8PoolSize([], '', 2)).toBe(4);
    expect(v8PoolSize(['--v8-pool-size=2'], '', 2)).toBe(2);
    expect(v8PoolSize(['--v8-pool-size', '1'], '--v8-pool-size=3', 2)).toBe(1);
    expect(v8PoolSize([], '--max-semi-space-size=1  --v8_pool_size=3', 2)).toBe(3);
    expect(v8PoolSize(['--v8-pool-size=0'], '', 8)).toBe(7);
    expect(v8PoolSize(['--v8-pool-size=0'], '', 1)).toBe(1);
  });
});
