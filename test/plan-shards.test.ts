/**
 * A plan run by three shard processes (`mcpload --plan FILE --shard i/3`) against `mcpload serve`, and
 * `mcpload watch` over their /snapshot endpoints: each shard runs every phase's share; the watch shows the
 * phase under way and at the end judges each phase's thresholds on the phase merged across the shards
 * (exact histograms). Per phase, the counts across the shards are what the server saw (its /stats/seconds).
 * The thresholds are chosen so that one shard's verdict and the cluster's differ: `sessions>=6` fails on
 * each shard (2 sessions) and holds across the cluster (6); `sessions<10` holds on each (4) and fails
 * across the cluster (12), which fails the watch and names the phase.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { StatsSecond } from '../src/reference-server/stats-seconds.js';
import type { RunReport } from '../src/report/types.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { freePort } from './helpers/prometheus.js';
import { startServe, type Serve } from './helpers/serve.js';
import { startWatch } from './helpers/shards.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-plan-shards-'));
let serve: Serve;
beforeAll(async () => {
  serve = await startServe();
});
afterAll(async () => {
  await serve?.stop();
});

const inline = (method: string, params?: object) => ({ clients: 1, rate: 4, timeout: '5s', mix: [{ method, ...(params ? { params } : {}) }] });

describe('a plan in three shards, watched', () => {
  it("per-phase counts across the shards equal the server's; a phase failing across the cluster fails the watch by name", { timeout: 120_000 }, async () => {
    const file = join(dir, 'sharded.yaml');
    writeFileSync(
      file,
      stringify({
        name: 'sharded',
        url: serve.wsUrl,
        thresholds: ['success>=99%'],
        phases: [
          { name: 'warm', profile: inline('tools/call', { name: 'echo', arguments: { text: 'w' } }), clients: 6, duration: '3s', thresholds: ['sessions>=6'] },
          { name: 'burst', pause: '2s', profile: inline('ping'), clients: 12, duration: '3s', thresholds: ['sessions<10', 'success>=99%'] },
        ],
      }),
    );
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const startAt = String(Date.now() + 5000);
    const shards: Promise<CliResult>[] = ports.map((port, i) =>
      runCli(
        [
          '--plan',
          file,
          '--shard',
          `${i + 1}/3`,
          '--start-at',
          startAt,
          '--metrics-port',
          String(port),
          '--quiet',
          '--workers',
          '1',
          '--report',
          join(dir, `shard${i + 1}.json`),
        ],
        {
          timeoutMs: 90_000,
        },
      ),
    );
    const watchReport = join(dir, 'watch.json');
    const watch = await startWatch([
      '--from',
      ports.map((p) => `127.0.0.1:${p}`).join(','),
      '--wait',
      '30s',
      '--report',
      watchReport,
      '--html',
      join(dir, 'watch.html'),
    ]);
    const results = await Promise.all(shards);

    // Each shard judged its own share: warm's sessions>=6 fails on 2 sessions (exit 1), burst's sessions<10 holds on 4.
    for (const [i, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`shard ${i + 1}/3: every phase runs its share`);
      const own = JSON.parse(readFileSync(join(dir, `shard${i + 1}.json`), 'utf8')) as RunReport;
      expect(own.shard).toMatchObject({ index: i + 1, count: 3 });
      const verdicts = Object.fromEntries(own.plan!.phases.map((p) => [p.name, p.report.thresholds!.map((t) => `${t.expr}:${t.passed}`)]));
      expect(verdicts).toEqual({ warm: ['sessions>=6:false'], burst: ['sessions<10:true', 'success>=99%:true'] });
    }

    // The watch: the phase under way in its progress lines, a verdict per phase on the merge, exit 1 naming burst.
    expect(watch.code, watch.stderr).toBe(1);
    expect(watch.stderr).toMatch(/\| phase warm \|/);
    expect(watch.stderr).toMatch(/\| phase burst \|/);
    expect(watch.stderr).toMatch(/watch: plan FAILED: phase burst \(sessions<10\)/);
    expect(watch.stdout).toMatch(/VERDICT\n/);
    expect(watch.stdout).toMatch(/\n {2}warm +\+\S+ .* pass\n/);
    expect(watch.stdout).toMatch(/\n {2}burst +\+\S+ .* FAIL \(sessions<10\)\n/);

    // The HTML page is the plan's: a verdict row per phase.
    const html = readFileSync(join(dir, 'watch.html'), 'utf8');
    expect(html).toMatch(/<td>warm<\/td>/);
    expect(html).toMatch(/FAIL \(sessions&lt;10\)|FAIL \(sessions<10\)/);
    const merged = JSON.parse(readFileSync(watchReport, 'utf8')) as RunReport;
    const phases = Object.fromEntries(merged.plan!.phases.map((p) => [p.name, p]));
    expect(Object.keys(phases)).toEqual(['warm', 'burst']);
    expect(phases.warm.passed).toBe(true);
    expect(phases.burst.passed).toBe(false);
    expect(phases.warm.report.sessions.peak).toBe(6);
    expect(phases.burst.report.sessions.peak).toBe(12);
    expect(phases.burst.report.merged!.shards!.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(merged.plan!.passed).toBe(false);
    expect(merged.thresholds!.map((t) => `${t.expr}:${t.passed}`)).toEqual(['success>=99%:true']);

    // What the server saw: every phase's method, across the shards, is what the merged phase sent.
    const seconds = ((await (await fetch(serve.wsUrl.replace(/^ws/, 'http').replace(/\/mcp\/ws$/, '/stats/seconds'))).json()) as { seconds: StatsSecond[] })
      .seconds;
    const seen = (method: string) => seconds.reduce((n, s) => n + (s.byMethod[method] ?? 0), 0);
    for (const [name, method] of [
      ['warm', 'tools/call'],
      ['burst', 'ping'],
    ] as const) {
      const r = phases[name].report;
      expect(r.methods[method].sent, name).toBeGreaterThan(0);
      expect(seen(method), `${name}: ${method} the server saw`).toBe(r.methods[method].sent);
      // And the merged phase is the shards' phases added up.
      const own = results.map((_, i) =>
        (JSON.parse(readFileSync(join(dir, `shard${i + 1}.json`), 'utf8')) as RunReport).plan!.phases.find((p) => p.name === name)!,
      );
      expect(r.requests.sent).toBe(own.reduce((n, p) => n + p.report.requests.sent, 0));
    }
  });
});
