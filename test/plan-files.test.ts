/**
 * The plans shipped in plans/ run (scaled down: --scale for sessions, --time-scale for time) with exit 0
 * against the built-in target, with no setup; plan files are checked like profiles (one line, exit 2); a
 * target that does not answer the pre-flight handshake stops the plan before its first phase (exit 3).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseThreshold } from '../src/config/thresholds.js';
import { planCommand } from '../src/plan/command.js';
import { plansDir } from '../src/plan/file.js';
import type { RunReport } from '../src/report/types.js';
import { runMain } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-plan-files-'));

/** Each shipped plan, scaled so that CI runs it in seconds. */
const SCALED: Record<string, { scale: number; timeScale: number }> = {
  'baseline.yaml': { scale: 0.2, timeScale: 0.02 },
  'connection-flood.yaml': { scale: 0.02, timeScale: 0.02 },
  'message-bombing.yaml': { scale: 0.05, timeScale: 0.005 },
  'full-100k.yaml': { scale: 0.0005, timeScale: 0.05 },
};

async function plan(file: string, args: Parameters<typeof planCommand>[1]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await planCommand(
    file,
    { quiet: true, ...args },
    (t) => out.push(t),
    (l) => err.push(l),
  );
  return { code, out: out.join(''), err: err.join('\n') };
}

describe('the shipped plans', () => {
  for (const [name, scaled] of Object.entries(SCALED)) {
    it(`${name} runs scaled down (--scale ${scaled.scale} --time-scale ${scaled.timeScale}) with exit 0`, { timeout: 120_000 }, async () => {
      const reportPath = join(dir, `${name}.json`);
      const { code, out, err } = await plan(join(plansDir(), name), { ...scaled, report: reportPath });
      expect(code, `${out}\n${err}`).toBe(0);
      expect(out).toContain('plan passed');
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
      expect(report.plan!.passed).toBe(true);
      expect(report.plan!.preflight).toBeDefined();
      if (name === 'full-100k.yaml') {
        const hold = report.plan!.phases.find((p) => p.name === 'hold-100k')!;
        expect(hold.report.failover?.recoverySeconds).not.toBeNull();
        expect(report.thresholds?.map((t) => t.expr)).toEqual(['success>=95%']);
      }
    });
  }

  it('validate knows plans', async () => {
    for (const name of Object.keys(SCALED)) {
      const r = await runMain(['validate', join(plansDir(), name)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/: ok \(plan /);
    }
  });
});

describe('bad plans: one line, exit 2', () => {
  const cases: [string, object, RegExp][] = [
    ['unknown field', { name: 'x', phases: [{ name: 'a', clinets: 3 }] }, /phases\[0\]: unknown field "clinets" \(did you mean "clients"\?\)/],
    ['no phases', { name: 'x', phases: [] }, /phases/],
    ['a name twice', { name: 'x', phases: [{ name: 'a' }, { name: 'a' }] }, /phases\[1\] \(a\): the name is used twice/],
    [
      'pause and startTime',
      { name: 'x', phases: [{ name: 'a' }, { name: 'b', pause: '1s', startTime: '1s' }] },
      /phases\[1\] \(b\): pause and startTime: give one/,
    ],
    ['a failover threshold without expect', { name: 'x', phases: [{ name: 'a', thresholds: ['recovery<30s'] }] }, /add expect: reconnects/],
    ['a bad profile', { name: 'x', phases: [{ name: 'a', profile: 'nope' }] }, /phases\[0\] \(a\): no such profile "nope"/],
    ['a bad override', { name: 'x', phases: [{ name: 'a', rate: 5, model: 'closed' }] }, /phases\[0\] \(a\): --rate: a closed model has no rate/],
    ['a bad plan threshold', { name: 'x', thresholds: ['p99<fast'], phases: [{ name: 'a' }] }, /x\.yaml: thresholds: --threshold "p99<fast"/],
    [
      'restartTarget with a url',
      { name: 'x', url: 'ws://127.0.0.1:9/mcp/ws', phases: [{ name: 'a', expect: 'reconnects', restartTarget: '1s' }] },
      /restarts the built-in target only/,
    ],
  ];
  for (const [what, body, message] of cases) {
    it(what, async () => {
      const file = join(dir, 'x.yaml');
      writeFileSync(file, stringify(body));
      const r = await runMain(['plan', file]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('the failover grammar: recovery takes a duration, reconnects and closed a count', () => {
    expect(parseThreshold('recovery<30s')).toMatchObject({ name: 'recovery', metric: { kind: 'failover', of: 'recovery' }, value: 30e6 });
    expect(parseThreshold('reconnects>=1')).toMatchObject({ metric: { kind: 'failover', of: 'reconnects' }, value: 1 });
    expect(() => parseThreshold('recovery<30')).toThrow(/not a duration/);
    expect(() => parseThreshold('closed<lots')).toThrow(/not a count/);
  });
});

describe('pre-flight', () => {
  it('a target that does not answer the handshake stops the plan before its first phase: one line, exit 3', { timeout: 30_000 }, async () => {
    // An HTTP server that answers every POST with 404: no MCP here.
    const server = createServer((_req, res) => res.writeHead(404).end('not here\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const file = join(dir, 'pre.yaml');
      writeFileSync(file, stringify({ name: 'pre', url: `http://127.0.0.1:${port}/mcp`, phases: [{ name: 'a', duration: '2s' }] }));
      const r = await runMain(['plan', file, '--quiet']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/pre-flight: no MCP handshake with http:\/\/127\.0\.0\.1:\d+\/mcp \(.+\); the plan did not start/);
      expect(r.stderr).not.toMatch(/phase a started/);
    } finally {
      server.close();
    }
  });
});
