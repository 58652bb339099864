/**
 * Output files: checked before the run (one line, exit 2, before any session), written atomically,
 * and a write that still fails loses nothing: the text report is printed, the JSON goes to a
 * fallback file whose path is printed, and the line names the path that failed. Before: the whole
 * run, then exit 2 with a line naming no path, no text report, and a truncated JSON on a full disk.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const RUN = ['--profile', 'low-load', '--clients', '2', '--duration', '1s', '--quiet'];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpload-outputs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Directories and missing folders are bad input too: test/bad-input.test.ts has those rows.
describe('outputs are checked before the run', () => {
  it.each([
    [
      'the same file for both',
      (d: string) => ['--report', join(d, 'x'), '--html', join(d, 'x')],
      /^mcpload: --report and --html both name .*x: give each its own file$/,
    ],
  ])('%s: one line, exit 2, no session', async (_what, args, line) => {
    const r = await runCli([...RUN, ...args(dir)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(line);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe(''); // no run happened
  });
});

describe('a write that fails after the run loses nothing', () => {
  it('--report /dev/full: the text report is printed, the JSON goes to a fallback file that is named', async () => {
    const r = await runCli([...RUN, '--report', '/dev/full']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('REQUEST METRICS');
    const m = /could not write the report to \/dev\/full \((.+)\); it was written to (\S+) instead/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).toMatch(/ENOSPC/);
    const fallback = JSON.parse(readFileSync(m![2], 'utf8')) as { reportVersion: number; requests: { sent: number } };
    rmSync(m![2]);
    expect(fallback.reportVersion).toBe(1);
    expect(fallback.requests.sent).toBeGreaterThan(0);
  });

  it('--html /dev/full: the failure names the path, the JSON report is still written', async () => {
    const report = join(dir, 'ok.json');
    const r = await runCli([...RUN, '--report', report, '--html', '/dev/full']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('REQUEST METRICS');
    expect(r.stderr).toMatch(/could not write the HTML report to \/dev\/full \(ENOSPC/);
    expect(r.stderr).toContain(`report written to ${report}`);
    expect(JSON.parse(readFileSync(report, 'utf8')).reportVersion).toBe(1);
  });

  it('a full file system: no truncated report is left behind', async () => {
    // A real, tiny tmpfs (root only, as in CI): the report is larger than its 4 KiB.
    const full = join(dir, 'full');
    mkdirSync(full);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', full]);
    } catch (err) {
      throw new Error(`this test mounts a small tmpfs and needs root (mount failed: ${(err as Error).message})`);
    }
    try {
      const target = join(full, 'run.json');
      const r = await runCli([...RUN, '--report', target]);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('REQUEST METRICS');
      const m = /could not write the report to (\S+) \((.+)\); it was written to (\S+) instead/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(m![1]).toBe(target);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(full)).toEqual([]); // no temporary file either
      expect(JSON.parse(readFileSync(m![3], 'utf8')).reportVersion).toBe(1);
      rmSync(m![3]);
    } finally {
      execFileSync('umount', [full]);
    }
  });
});
