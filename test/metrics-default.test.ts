/**
 * The metrics endpoint nobody asked for: on loopback by default (a laptop opens no port to the network),
 * and when the default port is taken (another run, anything) it takes a free one and says so, so two
 * local runs at once both work without flags. A port that was asked for must still be free (exit 2:
 * metrics.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

/** The CLI with no metrics variable at all. */
const runBare = (args: string[]) => runCli(args, { defaultMetrics: true, timeoutMs: 60_000 });

describe('the default metrics endpoint', () => {
  it('two local runs at once both work without flags: loopback, and a free port when 9464 is taken', async () => {
    const args = ['--clients', '2', '--rate', '5', '--duration', '3s', '--workers', '1', '--quiet'];
    const runs = await Promise.all([runBare(args), runBare(args)]);
    const ports: number[] = [];
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      const m = /^mcpload: metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics(.*)$/m.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const port = Number(m![1]);
      ports.push(port);
      // 9464, or another port and a line saying why.
      if (port !== 9464) expect(m![2]).toBe(' (port 9464 is in use, so it took a free one; --metrics-port P asks for a port)');
    }
    expect(ports[0]).not.toBe(ports[1]);
    // Both ran at once, so at least one of them found 9464 taken (by the other, or by anything else).
    expect(ports.filter((p) => p !== 9464).length).toBeGreaterThanOrEqual(1);
  });
});
