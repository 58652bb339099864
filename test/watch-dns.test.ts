/**
 * `mcpload watch --dns`: a real DNS server (dnsmasq, on loopback) answers one name with the
 * addresses of three shards, as Swarm's tasks.<service> and a Kubernetes headless Service do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type Serve } from './helpers/serve.js';
import { freePort } from './helpers/prometheus.js';
import { testOutputDir } from './helpers/reports.js';
import { readReport, startShard, startWatch } from './helpers/shards.js';

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p));
const NAME = 'shards.mcpload.test';
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

let dnsmasq: ChildProcess | undefined;
let target: Serve | undefined;
afterEach(async () => {
  if (dnsmasq?.exitCode === null) process.kill(dnsmasq.pid!, 'SIGTERM');
  dnsmasq = undefined;
  await target?.stop();
});

/** dnsmasq on 127.0.0.1:port answering NAME with ADDRESSES and nothing else (no upstream, no /etc/hosts). */
async function startDnsmasq(port: number): Promise<void> {
  if (!DNSMASQ) throw new Error('dnsmasq is not installed: apt-get install -y --no-install-recommends dnsmasq (.ci/run does)');
  dnsmasq = spawn(
    DNSMASQ,
    [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      // As root it would switch to user dnsmasq; as anyone else it stays who it is.
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      '--pid-file=',
      '--log-facility=-',
      ...ADDRESSES.map((a) => `--host-record=${NAME},${a}`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = await resolver.resolve4(NAME).catch(() => []);
    if (found.length === ADDRESSES.length) return;
    if (dnsmasq.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq did not answer ${NAME} on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('watch --dns', () => {
  it('finds every A record of a name and merges the shards behind them', async () => {
    const dnsPort = await freePort();
    await startDnsmasq(dnsPort);
    target = await startServe([], 60_000);
    const dir = testOutputDir('watch-dns');
    const metricsPort = await freePort();
    const startAt = String(Date.now() + 8000);
    const watched = startWatch(['--dns', `${NAME}:${metricsPort}`, '--dns-server', `127.0.0.1:${dnsPort}`, '--report', `${dir}/watch.json`]);
    const shards = await Promise.all(
      ADDRESSES.map((host, i) =>
        startShard(
          [
            ...['--url', target!.wsUrl, '--profile', 'low-load', '--clients', '9', '--rate', '2', '--duration', '4s'],
            ...['--shard', `${i + 1}/3`, '--start-at', startAt, '--report', `${dir}/shard${i + 1}.json`],
          ],
          host,
          metricsPort,
        ),
      ),
    );
    const runs = await Promise.all(shards.map((s) => s.done));
    const watch = await watched;
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stderr).toContain(`via 127.0.0.1:${dnsPort}`);
    for (const [i, a] of ADDRESSES.entries()) expect(watch.stderr).toContain(`replica http://${a}:${metricsPort}/snapshot (shard ${i + 1}/3) appeared`);
    const merged = readReport(`${dir}/watch.json`);
    const parts = [1, 2, 3].map((i) => readReport(`${dir}/shard${i}.json`));
    expect(merged.merged?.shards?.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(merged.requests.sent).toBe(parts.reduce((n, p) => n + p.requests.sent, 0));
    expect(merged.sessions.wanted).toBe(9);
  }, 120_000);
});
