/** The real CLI binary: the README's main job, report files, subcommands and the exit codes of SPEC §1. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../src/reference-server/server.js';
import { runCli, runMain } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-cli-'));
let target: RunningTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

describe('mcpload run', () => {
  it('runs against the built-in target when no URL is given, prints the report and writes the JSON', async () => {
    const report = join(dir, 'builtin.json');
    const r = await runCli(['--profile', 'normal', '--clients', '10', '--duration', '2s', '--report', report, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/started the built-in target at ws:\/\/127\.0\.0\.1:\d+\/mcp\/ws/);
    for (const section of ['REQUEST METRICS', 'LATENCY METRICS', 'THROUGHPUT', 'SESSIONS', 'ERROR BREAKDOWN']) expect(r.stdout).toContain(section);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.reportVersion).toBe(1);
    expect(json.profile).toBe('normal');
    expect(json.sessions.established).toBe(10);
    expect(json.requests.sent).toBeGreaterThan(0);
    expect(json.requests.ok).toBe(json.requests.sent);
    expect(Object.values(json.errors).every((n) => n === 0)).toBe(true);
    expect(typeof json.histograms.latency).toBe('string');
    expect(json.latency.corrected.p50).toBeGreaterThanOrEqual(json.latency.raw.p50);
  });

  it('honours MCPLOAD_* and the old simulator variables, and the command line wins', async () => {
    target = await startTarget({ port: 0 });
    const port = new URL(target.url).port;
    const report = join(dir, 'legacy.json');
    const r = await runCli(['--report', report, '--quiet', '--rate', '20'], {
      env: { CLIENT_TYPE: 'low-load', TARGET_SERVERS: `127.0.0.1:${port}`, CLIENT_COUNT: '3', MESSAGE_RATE: '999', DURATION_SECONDS: '1' },
    });
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.profile).toBe('low-load');
    expect(json.config.clients).toBe(3);
    expect(json.config.ratePerClient).toBe(20);
    expect(json.config.urls).toEqual([`ws://127.0.0.1:${port}/mcp/ws`]);
    expect(target.stats().sessionsTotal).toBe(3);
  });

  it('reads 1/0, yes/no, on/off as booleans, from the environment and as --flag=value', async () => {
    // yargs alone reads MCPLOAD_QUIET=1 and --spin=yes as false, silently.
    target = await startTarget({ port: 0 });
    const run = async (args: string[], env: Record<string, string>) => {
      const report = join(dir, `booleans-${env.MCPLOAD_QUIET}.json`);
      const r = await runCli(
        ['--url', target!.url, '--clients', '2', '--rate', '5', '--duration', '2s', '--progress-interval', '1s', '--report', report, ...args],
        { env },
      );
      expect(r.code, r.stderr).toBe(0);
      return { stderr: r.stderr, config: JSON.parse(readFileSync(report, 'utf8')).config };
    };
    const [on, off] = await Promise.all([run(['--spin=yes'], { MCPLOAD_QUIET: '1' }), run([], { MCPLOAD_QUIET: 'off', MCPLOAD_SPIN: '0' })]);
    expect(on.stderr).not.toMatch(/sessions \d+\/\d+ \| sent/);
    expect(on.config.spin).toBe(true);
    expect(off.stderr).toMatch(/sessions \d+\/\d+ \| sent/);
    expect(off.config.spin).toBeUndefined();
  });

  it('exits 3 when no session can be established', async () => {
    const closed = await startTarget({ port: 0 });
    const url = closed.url;
    await closed.close();
    const r = await runCli(['--url', url, '--clients', '2', '--duration', '1s', '--quiet', '--log-level', 'silent']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/connect\s+[1-9]/);
  });

  it('SIGTERM stops the run, still prints the report and exits 143', async () => {
    let pid = 0;
    let underWay!: () => void;
    const targetLine = new Promise<void>((resolve) => (underWay = resolve));
    const running = runCli(['--clients', '5', '--duration', '60s', '--quiet'], {
      onSpawn: (p) => (pid = p),
      onStderr: (stderr) => /started the built-in target at /.test(stderr) && underWay(),
    });
    // Wait until the run is under way (the target line comes first, after the signal handlers are set), then signal it.
    await targetLine;
    process.kill(pid, 'SIGTERM');
    const r = await running;
    expect(r.code).toBe(143);
    expect(r.stdout).toContain('interrupted by SIGTERM');
    expect(r.stdout).toContain('REQUEST METRICS');
  });
});

describe('thresholds, HTML and merge through the CLI', () => {
  it('exits 1 when a threshold fails, shows each result, and writes the HTML page', async () => {
    const html = join(dir, 'gate.html');
    const report = join(dir, 'gate.json');
    const r = await runCli([
      '--clients',
      '3',
      '--duration',
      '1s',
      '--quiet',
      '--report',
      report,
      '--html',
      html,
      '--threshold',
      'p99<1us',
      '--threshold',
      'errors<1%',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/THRESHOLDS[\s\S]*✗ p99<1us[\s\S]*✓ errors<1%/);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.thresholds.map((t: { passed: boolean }) => t.passed)).toEqual([false, true]);
  });

  it('exits 0 when every threshold holds', async () => {
    const r = await runCli(['--clients', '3', '--duration', '1s', '--quiet', '--threshold', 'success>=99%', '--threshold', 'sessions>=100%']);
    expect(r.code).toBe(0);
  });

  it('merge adds replica reports and gates on the merged numbers', async () => {
    const parts = [join(dir, 'm1.json'), join(dir, 'm2.json')];
    // Two replicas, side by side as they would run.
    const replicas = await Promise.all(parts.map((p) => runCli(['--clients', '2', '--duration', '1s', '--quiet', '--report', p])));
    for (const r of replicas) expect(r.code, r.stderr).toBe(0);
    const merged = join(dir, 'merged.json');
    const r = await runCli(['merge', ...parts, '--report', merged, '--threshold', 'success>=99%']);
    expect(r.code).toBe(0);
    const [a, b, m] = [...parts, merged].map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(m.requests.sent).toBe(a.requests.sent + b.requests.sent);
    expect(m.merged).toMatchObject({ replicas: 2, runIds: [a.runId, b.runId] });
    expect(m.merged.byReplica.map((x: { source: string }) => x.source)).toEqual(['m1.json', 'm2.json']);
    expect(a.runId).not.toBe(b.runId);
    const bad = await runCli(['merge', parts[0], 'package.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

/**
 * Through the real binary: one case for each way an error reaches stderr (yargs' strict parsing, its
 * multi-line choices message, an mcpload error). The rest through the same main() in this process.
 */
const VIA_BINARY = new Set(['unknown option', 'bad frame terminator', 'unknown profile']);

describe('bad input: one line, exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown profile', ['--profile', 'hihg-load'], /no such profile "hihg-load"/],
    ['negative clients', ['--clients', '-5'], /--clients: must be a whole number/],
    ['zero rate', ['--rate', '0'], /--rate: .* above 0/],
    ['bad duration', ['--duration', 'soon'], /--duration: "soon" is not a duration/],
    ['bad URL scheme', ['--url', 'gopher://127.0.0.1:1/mcp'], /use ws:\/\/ or wss:\/\/\) or Streamable HTTP \(use http:\/\/ or https:\/\/\)/],
    ['not a URL', ['--url', 'nope'], /"nope" is not a URL/],
    ['bad local address', ['--local-address', '300.1.1.1'], /not an IP address/],
    ['bad header', ['--header', 'no colon here'], /--header: .* is not a header/],
    ['unknown option', ['--clinets', '5'], /Unknown argument: clinets/],
    ['bad frame terminator', ['--frame-terminator', 'crlf'], /Invalid values/],
    ['bad protocol version', ['--protocol-version', 'latest'], /--protocol-version/],
    ['missing profile file', ['--profile', './nope.yaml'], /cannot read profile file/],
    ['bad threshold', ['--threshold', 'p99<fast'], /--threshold/],
    ['abort-on-fail without thresholds', ['--abort-on-fail'], /--abort-on-fail: give at least one --threshold/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      // A bounded run in case the input were (wrongly) accepted.
      const bounded = args.includes('--duration') ? args : [...args, '--duration', '1s'];
      const r = VIA_BINARY.has(name) ? await runCli(bounded) : await runMain(bounded);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});

describe('subcommands', () => {
  it('profiles lists the five built-ins', async () => {
    const r = await runCli(['profiles']);
    expect(r.code).toBe(0);
    for (const name of ['high-load', 'normal', 'low-load', 'slow-client', 'message-bomber']) expect(r.stdout).toContain(name);
  });

  it('validate accepts a built-in file and rejects a broken one with exit 2', async () => {
    const ok = await runCli(['validate', 'profiles/normal.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok');
    const bad = await runCli(['validate', 'package.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
