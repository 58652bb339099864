/**
 * A dead target must not look healthy: the progress line's `err` counts the failed connections,
 * each failed attempt is one warning (the same one again is collapsed into a count), and exit 3
 * ends with one line saying why. Before: `err 0` while connect errors piled up, two near-identical
 * warnings per attempt, and exit 3 with no reason.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

/** A port nobody listens on: bound once to learn a free one, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a dead target', () => {
  it('shows its errors in the progress line, collapses repeated warnings, and says why it exits 3', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/mcp/ws`;
    const r = await runCli(['--url', url, '--profile', 'low-load', '--clients', '3', '--duration', '3s', '--progress-interval', '1s']);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    const progress = lines.filter((l) => /^\[\s*\d+s\/3s\s+\d+%\] sessions/.test(l));
    expect(progress.length).toBeGreaterThan(0);
    const errs = progress.map((l) => Number(/\| err ([\d,]+)[ |]/.exec(l)?.[1]?.replace(/,/g, '')));
    expect(Math.max(...errs), progress.join('\n')).toBeGreaterThan(0);
    const last = lines[lines.length - 1];
    expect(last).toMatch(
      new RegExp(
        `^mcpload: no session could be established \\((\\d+) connect errors; last: .*ECONNREFUSED.*\\); check that an MCP server answers at ${url.replace(/[/.]/g, '\\$&')}$`,
      ),
    );
    const attempts = Number(/\((\d+) connect errors/.exec(last)![1]);
    // Every attempt failed, yet the log holds at most two lines per message per interval, not one or two per attempt.
    const warnings = lines.filter((l) => l.includes('ECONNREFUSED') && l !== last);
    expect(attempts).toBeGreaterThan(6);
    expect(warnings.length).toBeLessThan(attempts);
    expect(warnings.every((l) => l.includes('connect failed'))).toBe(true); // one line per attempt, not "connection error" and "connect failed"
    expect(warnings.some((l) => /\(\d+ more times? in the last \ds\)/.test(l))).toBe(true);
  });
});
