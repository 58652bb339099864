/**
 * --out json=FILE and --out csv=FILE against real runs of the built CLI: a line per second while the run
 * goes, the same seconds in both files, and counts that add up to the final report's (a SIGTERM drains
 * and closes the last seconds before the files are closed, so nothing measured is missing).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER } from '../src/main/results-stream.js';
import type { RunReport } from '../src/report/types.js';
import { runCli, runMain } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-out-'));

interface Line {
  time: string;
  second: number;
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  sessionsOpen: number;
  wanted: number;
  targetRate: number;
  p50Us: number;
  p99Us: number;
}

const lines = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
const total = (ls: Line[], k: 'sent' | 'ok' | 'failed' | 'dropped') => ls.reduce((n, l) => n + l[k], 0);

describe('--out', () => {
  it('streams a line per second while the run goes; after a SIGTERM both files add up to the report', { timeout: 60_000 }, async () => {
    const json = join(dir, 'run.ndjson');
    const csv = join(dir, 'run.csv');
    const report = join(dir, 'run.json');
    let pid = 0;
    let seenLines = 0;
    const stopped = runCli(
      [
        '--clients',
        '4',
        '--rate',
        '40',
        '--duration',
        '0',
        '--workers',
        '2',
        '--quiet',
        '--log-level',
        'silent',
        '--out',
        `json=${json}`,
        '--out',
        `csv=${csv}`,
        '--report',
        report,
      ],
      { onSpawn: (p) => (pid = p), timeoutMs: 50_000 },
    );
    // Lines appear while the run goes (not only at its end): wait for three, then stop it as an orchestrator would.
    while (seenLines < 3) {
      await new Promise((r) => setTimeout(r, 200));
      seenLines = existsSync(json) ? lines(json).length : 0;
    }
    process.kill(pid, 'SIGTERM');
    const r = await stopped;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain(`per-second JSON lines written to ${json}`);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    const ls = lines(json);
    // One line per second of the report's timeline, in order, none missing or twice.
    expect(ls.map((l) => l.second)).toEqual(rep.timeline.map((p) => p.second));
    expect(ls.length).toBeGreaterThanOrEqual(4);
    expect(Date.parse(ls[0].time)).toBe(Date.parse(rep.startedAt));
    for (const k of ['sent', 'ok', 'failed', 'dropped'] as const) expect(total(ls, k), k).toBe(rep.requests[k]);
    expect(rep.requests.sent).toBeGreaterThan(0);
    // The gauges of each second: 4 sessions wanted from the start, 4 × 40/s asked once all are open.
    expect(ls.every((l) => l.wanted === 4)).toBe(true);
    expect(ls.some((l) => l.targetRate === 160 && l.sessionsOpen === 4)).toBe(true);
    // The CSV: its fixed header, then the same seconds with the same figures.
    const rows = readFileSync(csv, 'utf8').split('\n').filter(Boolean);
    expect(rows[0] + '\n').toBe(CSV_HEADER);
    const head = rows[0].split(',');
    expect(head.slice(0, 6)).toEqual(['time', 'second', 'sent', 'ok', 'failed', 'dropped']);
    const parsed = rows.slice(1).map((row) => Object.fromEntries(row.split(',').map((v, i) => [head[i], v])));
    expect(parsed.map((p) => Number(p.second))).toEqual(ls.map((l) => l.second));
    expect(parsed.map((p) => Number(p.sent))).toEqual(ls.map((l) => l.sent));
    expect(parsed.map((p) => Number(p.p99_us))).toEqual(ls.map((l) => l.p99Us));
  });

  it('checks its paths before anything runs: FORMAT=FILE, a writable folder, no file named twice', async () => {
    const bad = async (args: string[]) => {
      const r = await runMain(['--duration', '1s', ...args]);
      expect(r.code, r.stderr).toBe(2);
      return r.stderr.trim();
    };
    expect(await bad(['--out', 'xml=a.xml'])).toBe(
      'mcpload: --out: "xml=a.xml" is not FORMAT=FILE; write json=results.ndjson (a JSON line per second) or csv=results.csv (a row per second)',
    );
    expect(await bad(['--out', 'json'])).toMatch(/--out: "json" is not FORMAT=FILE/);
    expect(await bad(['--out', `csv=${join(dir, 'missing', 'x.csv')}`])).toMatch(
      /--out csv: cannot write .*x\.csv: directory .* does not exist or is not writable/,
    );
    expect(await bad(['--out', `json=${dir}`])).toMatch(/--out json: .* is a directory; give a file name, like .*mcpload\.ndjson/);
    const same = join(dir, 'same.out');
    expect(await bad(['--out', `json=${same}`, '--out', `csv=${same}`])).toBe(`mcpload: --out json and --out csv both name ${same}: give each its own file`);
    expect(await bad(['--report', same, '--out', `json=${same}`])).toBe(`mcpload: --report and --out json both name ${same}: give each its own file`);
    expect(existsSync(same)).toBe(false);
  });
});
