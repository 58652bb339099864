/**
 * The live view as a person sees it: mcpload in a real pseudo-terminal (tmux, 80 columns) through a run
 * whose target fails some requests (so a warning is logged mid-run), and the same run piped.
 * On the terminal: every screen (scrollback included) holds at most one status line, no row is a wrapped
 * piece of one, and the warning sits above it. Piped: one plain line per interval, on the run's clock.
 * Before: a ~100-character line wrapped at 80 columns and its fragments piled up, warnings were printed
 * into it, and lines came at 1 s then 7 s for --progress-interval 5s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { BIN, runCli } from './helpers/cli.js';
import { until } from './helpers/engine-run.js';

const WIDTH = 80;
/** A private tmux server: nothing of anyone else's tmux is touched. */
const SOCKET = `mcpload-live-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

let target: RunningTarget;
beforeAll(async () => {
  if (spawnSync('tmux', ['-V']).status !== 0)
    throw new Error('tmux is missing: apt-get install -y tmux (the live-view test drives mcpload in a real pseudo-terminal)');
  // Half the requests answer with a JSON-RPC error: the reason is logged as a warning while the line is up.
  target = await startTarget({ port: 0, errorRate: 0.5 });
});
afterAll(async () => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  await target?.close();
});

const STATUS = /^(running|stopping|done) /;
const ARGS = (duration: string) => ['--url', target.url, '--clients', '4', '--rate', '5', '--duration', duration, '--workers', '2', '--metrics-port', '0'];

describe('the live view', () => {
  it('on an 80-column terminal: one status line at a time, never wrapped, the warning above it', async () => {
    const command = [process.execPath, BIN, ...ARGS('4s'), '--progress-interval', '1s'].map((a) => `'${a}'`).join(' ');
    // The shell writes mcpload's exit code to a file: tmux 3.3a can report the pane dead without ever filling in its status.
    const codeFile = join(mkdtempSync(join(tmpdir(), 'mcpload-live-')), 'code');
    tmux('new-session', '-d', '-s', 'run', '-x', String(WIDTH), '-y', '50', '-e', 'MCPLOAD_METRICS_PORT=0', `${command} > /dev/null; echo $? > '${codeFile}'`);
    tmux('set-option', '-t', 'run', 'remain-on-exit', 'on');
    const screens = new Set<string>();
    const capture = () => screens.add(tmux('capture-pane', '-p', '-S', '-', '-t', 'run'));
    await until(() => {
      capture();
      return existsSync(codeFile) && readFileSync(codeFile, 'utf8').trim() !== '';
    }, 50_000);
    capture();
    const final = [...screens].at(-1)!;
    expect(readFileSync(codeFile, 'utf8').trim(), final).toBe('0');
    let sawWarningAbove = false;
    for (const screen of screens) {
      const rows = screen.split('\n');
      const status = rows.map((r, i) => [r, i] as const).filter(([r]) => STATUS.test(r));
      expect(status.length, screen).toBeLessThanOrEqual(1);
      // A wrapped status line would fill its row to the last column and leave its rest on the next row.
      for (const [row, i] of status) {
        expect(row.length, screen).toBeLessThan(WIDTH);
        // (tmux's own "Pane is dead" notice may follow the last frame once mcpload has exited.)
        expect(rows[i + 1] ?? '', screen).toMatch(/^(|Pane is dead.*)$/);
        // Every warning above the line; one logged while the run was under way (after the engines started) counts.
        const warnings = rows.flatMap((r, j) => (/WARN/.test(r) ? [j] : []));
        for (const w of warnings) expect(w, screen).toBeLessThan(i);
        const started = rows.findIndex((r) => /engines started/.test(r));
        if (started >= 0 && warnings.some((w) => w > started)) sawWarningAbove = true;
      }
      // No piece of a status line anywhere else (the old redraw left "sessions 4/4", "req/s" fragments behind).
      expect(
        rows.filter((r) => /sessions \d+\/\d+|\d req\/s {2}|^\s*err \d/.test(r) && !STATUS.test(r)),
        screen,
      ).toEqual([]);
    }
    expect(sawWarningAbove, final).toBe(true);
    if (process.env.SHOW_SCREEN) console.log(final);
    expect(final).toMatch(/^done \[=+\] 4s\/4s {2}sessions 4\/4 .*err [1-9]/m);
  });

  it('piped: one plain line per interval, at the interval boundaries of the run', async () => {
    const r = await runCli([...ARGS('7s'), '--progress-interval', '2s']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const plain = lines.filter((l) => /^\[\s*\d+s\/7s/.test(l));
    const seconds = plain.map((l) => Number(/^\[\s*(\d+)s/.exec(l)![1]));
    // 2, 4, 6: on the run's clock, not 1 s after the first snapshot arrived.
    expect(seconds, r.stderr).toEqual([2, 4, 6]);
    // Every engine's sessions in every line (both engines' share of 4), every kind of error counted.
    for (const l of plain) expect(l).toMatch(/sessions 4\/4 \| sent [\d,]+ \| ok [\d,]+ \| err [1-9][\d,]* \(rpc [\d,]+\)/);
    // The plan comes first, before any line of the run.
    expect(lines.findIndex((l) => l.startsWith('mcpload: plan: '))).toBeLessThan(lines.indexOf(plain[0]));
    // Logs piped are JSON with the level's name.
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: unknown });
    expect(json.length).toBeGreaterThan(0);
    expect(json.every((j) => typeof j.level === 'string')).toBe(true);
    expect(json.map((j) => j.level)).toContain('warn');
  });
});
