/** --shard i/n splits the profile exactly (nothing lost or doubled); bad shard and watch input is one line, exit 2. */
import { describe, expect, it } from 'vitest';
import { parseShard, parseStartAt, shardProfile, shareOf } from '../src/config/shard.js';
import { applyLegacyEnv, resolveRunOptions } from '../src/config/options.js';
import { loadProfile } from '../src/config/profile.js';
import { plannedClients } from '../src/config/stages.js';
import { runMain } from './helpers/cli.js';

describe('shard split', () => {
  it('shares add up to the total for every count, the remainder one apiece to the first shards', () => {
    for (const total of [0, 1, 2, 7, 10, 299, 300, 301, 100_000])
      for (const count of [1, 2, 3, 7, 16]) {
        const shares = Array.from({ length: count }, (_, i) => shareOf(total, { index: i + 1, count }));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    expect([1, 2, 3].map((index) => shareOf(10, { index, count: 3 }))).toEqual([4, 3, 3]);
  });

  it('splits the clients and every stage, keeps rates per client and stage durations, divides arrivals and --connect-rate', () => {
    const whole = { ...loadProfile('normal'), clients: 10, stages: [{ durationMs: 5000, clients: 20, rate: 50 }], arrivalRate: 9 };
    const parts = [1, 2, 3].map((index) => shardProfile(whole, { index, count: 3 }) as typeof whole);
    expect(parts.map((p) => p.clients)).toEqual([4, 3, 3]);
    expect(parts.map((p) => p.stages[0].clients)).toEqual([7, 7, 6]);
    expect(parts.every((p) => p.stages[0].rate === 50 && p.stages[0].durationMs === 5000 && p.rate === whole.rate)).toBe(true);
    expect(parts.map((p) => p.arrivalRate)).toEqual([3, 3, 3]);
    // The ramp's ends add up exactly (in between each shard rounds its own line).
    for (const t of [0, 5000, 9000]) expect(parts.reduce((n, p) => n + plannedClients(p, t), 0)).toBe(plannedClients(whole, t));
    const opts = resolveRunOptions({ profile: 'normal', clients: 300, connectRate: 90, shard: '2/3' });
    expect(opts.profile.clients).toBe(100);
    expect(opts.connectRate).toBe(30);
    expect(opts.shard).toEqual({ index: 2, count: 3 });
    expect(opts.lingerMs).toBe(30_000);
  });

  it('reads i/n, i with --shards, and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX from 0, only with MCPLOAD_SHARDS)', () => {
    expect(parseShard('3/4', undefined)).toEqual({ index: 3, count: 4 });
    expect(parseShard('3', 4)).toEqual({ index: 3, count: 4 });
    expect(parseShard(undefined, undefined)).toBeUndefined();
    const env: NodeJS.ProcessEnv = { JOB_COMPLETION_INDEX: '0', MCPLOAD_SHARDS: '5' };
    applyLegacyEnv(env);
    expect(env.MCPLOAD_SHARD).toBe('1');
    const alone: NodeJS.ProcessEnv = { JOB_COMPLETION_INDEX: '2' };
    applyLegacyEnv(alone);
    expect(alone.MCPLOAD_SHARD).toBeUndefined();
    expect(parseStartAt('1796176000000')).toBe(1796176000000);
    expect(parseStartAt('2026-12-02T03:00:00Z')).toBe(Date.parse('2026-12-02T03:00:00Z'));
  });

  const bad: [string[], RegExp][] = [
    [['--shard', '4/3'], /^mcpload: --shard 4\/3: shards count from 1 to 3/],
    [['--shard', '0/3'], /^mcpload: --shard 0\/3: shards count from 1 to 3/],
    [['--shard', 'two'], /^mcpload: --shard: "two" is not a shard/],
    [['--shard', '2'], /^mcpload: --shard 2: how many shards\?/],
    [['--shard', '2/3', '--shards', '4'], /disagree on the count/],
    [['--shards', '3'], /^mcpload: --shards 3: give the shard's own number too/],
    [['--clients', '2', '--shard', '3/3'], /^mcpload: --shard 3\/3: the profile's 2 clients leave this shard none/],
    [['--start-at', 'tomorrow'], /^mcpload: --start-at: "tomorrow" is not an instant/],
    [['--start-at', '2099-01-01T00:00:00Z'], /more than 7 days ahead/],
    [['--linger', 'long'], /^mcpload: --linger: "long" is not a duration/],
    [['watch'], /^mcpload: watch: say where the replicas are/],
    [['watch', '--from', 'ftp://x'], /^mcpload: --from: "ftp:\/\/x" is not http/],
    [['watch', '--dns', 'a b'], /^mcpload: --dns: "a b" is not NAME\[:port\]/],
    [['watch', '--dns', 'tasks.x', '--dns-server', 'nameserver'], /^mcpload: --dns-server: "nameserver" is not an IP address/],
    [['watch', '--from', 'h:1', '--dns', 'tasks.x'], /give one way to find the replicas/],
    [['watch', '--from', 'h:1', '--threshold', 'p99<'], /^mcpload: --threshold/],
  ];
  it.each(bad)('bad input %j: one line, exit 2', async (args, line) => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(line);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
