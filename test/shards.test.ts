/**
 * Distributed runs with real processes: shards of one profile against `mcpload serve`, and
 * `mcpload watch` over their /snapshot endpoints (issue 18).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type Serve } from './helpers/serve.js';
import { runCli } from './helpers/cli.js';
import { testOutputDir } from './helpers/reports.js';
import { readReport, startShard, startWatch, targetStats, untilSnapshot } from './helpers/shards.js';

const serves: Serve[] = [];
afterEach(async () => {
  await Promise.all(serves.splice(0).map((s) => s.stop()));
});

async function serve(args: string[] = []): Promise<Serve> {
  const s = await startServe(args, 60_000);
  serves.push(s);
  return s;
}

/** Everyone starts a few seconds from now: time for three processes to come up on a busy machine. */
const soon = () => String(Date.now() + 8000);

describe('shards and watch', () => {
  it('three shards of a 300-client profile: the target sees the profile once, and the watch report equals mcpload merge of the shard reports', async () => {
    const target = await serve();
    const dir = testOutputDir('shards');
    const startAt = soon();
    const shards = await Promise.all(
      [1, 2, 3].map((i) =>
        startShard([
          ...['--url', target.wsUrl, '--profile', 'low-load', '--clients', '300', '--rate', '0.2', '--duration', '15s'],
          ...['--shard', `${i}/3`, '--start-at', startAt, '--report', `${dir}/shard${i}.json`],
        ]),
      ),
    );
    const urls = await Promise.all(shards.map((s) => s.snapshotUrl));
    const watched = startWatch(['--from', urls[0], '--from', `${urls[1]},${urls[2]}`, '--report', `${dir}/watch.json`, '--threshold', 'errors<1%']);
    const runs = await Promise.all(shards.map((s) => s.done));
    const watch = await watched;
    runs.forEach((r) => expect(r.code, r.stderr).toBe(0));
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stderr).toMatch(/shard 3\/3\) finished/);

    const reports = [1, 2, 3].map((i) => readReport(`${dir}/shard${i}.json`));
    // 300 over 3: 100 each, the rate per client unchanged, the one start instant recorded with each shard's skew.
    expect(reports.map((r) => r.config.clients)).toEqual([100, 100, 100]);
    for (const [i, r] of reports.entries()) {
      expect(r.shard).toMatchObject({ index: i + 1, count: 3, startAt: new Date(Number(startAt)).toISOString() });
      expect(r.shard!.startSkewMs).toBeGreaterThanOrEqual(0);
    }
    const stats = await targetStats(target.wsUrl);
    const merged = readReport(`${dir}/watch.json`);
    // The target saw the profile's sessions once each (no more, no less), and exactly the requests the shards sent.
    // (On a machine loaded far past its cores a handshake can take longer than the run: established then falls short of 300.)
    expect(stats.sessionsTotal).toBe(300);
    expect(merged.sessions.wanted).toBe(300);
    expect(merged.sessions.established).toBe(reports.reduce((n, r) => n + r.sessions.established, 0));
    expect(stats.byMethod.initialize).toBeGreaterThanOrEqual(merged.sessions.established);
    expect(stats.requests - stats.byMethod.initialize).toBe(merged.requests.sent);
    expect(merged.throughput.targetRequestsPerSecond).toBeCloseTo(60, 9);
    expect(merged.merged?.shards?.map((s) => s.index)).toEqual([1, 2, 3]);

    const m = await runCli(['merge', ...[1, 2, 3].map((i) => `${dir}/shard${i}.json`), '--report', `${dir}/merge.json`, '--threshold', 'errors<1%']);
    expect(m.code, m.stderr).toBe(0);
    // Field for field, percentile for percentile.
    expect(merged).toEqual(readReport(`${dir}/merge.json`));
  }, 240_000);

  it('a cluster threshold fails when one shard alone is slow, though each of the others passes its own', async () => {
    const fast = await serve();
    const slow = await serve(['--delay', '1500ms']);
    const dir = testOutputDir('shards-slow');
    const startAt = soon();
    const threshold = 'raw.p99<1s';
    const shards = await Promise.all(
      [1, 2, 3].map((i) =>
        startShard([
          ...['--url', i === 3 ? slow.wsUrl : fast.wsUrl, '--profile', 'low-load', '--clients', '30', '--rate', '2', '--duration', '6s'],
          ...['--shard', `${i}/3`, '--start-at', startAt, '--threshold', threshold, '--report', `${dir}/shard${i}.json`],
        ]),
      ),
    );
    const urls = await Promise.all(shards.map((s) => s.snapshotUrl));
    const watch = await startWatch(['--from', urls.join(','), '--threshold', threshold, '--report', `${dir}/watch.json`]);
    const runs = await Promise.all(shards.map((s) => s.done));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 1]);
    expect(watch.code, watch.stderr).toBe(1);
    expect(watch.stdout).toMatch(/✗ raw\.p99<1s/);
    const merged = readReport(`${dir}/watch.json`);
    expect(merged.thresholds?.[0]).toMatchObject({ expr: threshold, passed: false });
    expect(merged.merged?.replicas).toBe(3);
  }, 240_000);

  it('a shard killed mid-run is reported by the watch, and the verdict fails', async () => {
    const target = await serve();
    const dir = testOutputDir('shards-killed');
    const startAt = soon();
    const shards = await Promise.all(
      [1, 2, 3].map((i) =>
        startShard([
          ...['--url', target.wsUrl, '--profile', 'low-load', '--clients', '30', '--rate', '2', '--duration', '8s'],
          ...['--shard', `${i}/3`, '--start-at', startAt, '--report', `${dir}/shard${i}.json`],
        ]),
      ),
    );
    const urls = await Promise.all(shards.map((s) => s.snapshotUrl));
    let seen!: () => void;
    const watchSawIt = new Promise<void>((resolve) => (seen = resolve));
    const watched = startWatch(['--from', urls.join(','), '--lost-after', '2s', '--report', `${dir}/watch.json`], (stderr) => {
      if (/shard 2\/3\) appeared/.test(stderr)) seen();
    });
    // Killed once the watch knows it and it has sent requests: mid-run.
    await watchSawIt;
    await untilSnapshot(urls[1], (b) => (b.requests?.sent ?? 0) > 0);
    // The watch polls once a second: let it read a snapshot with requests in it before the shard dies.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    process.kill(shards[1].pid, 'SIGKILL');
    const watch = await watched;
    const runs = await Promise.all(shards.map((s) => s.done));
    expect(runs.map((r) => r.code)).toEqual([0, null, 0]);
    expect(watch.code, watch.stderr).toBe(4);
    expect(watch.stderr).toMatch(/shard 2\/3\) VANISHED before its run finished/);
    const merged = readReport(`${dir}/watch.json`);
    expect(merged.merged?.vanished).toEqual([expect.objectContaining({ source: urls[1], shard: { index: 2, count: 3 } })]);
    // Its figures up to its last snapshot are in: the cluster sent more than the two others alone.
    const others = [1, 3].map((i) => readReport(`${dir}/shard${i}.json`).requests.sent);
    expect(merged.requests.sent).toBeGreaterThan(others[0] + others[1]);
  }, 240_000);
});
