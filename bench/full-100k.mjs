#!/usr/bin/env node
/**
 * The seed's full 100K test as one plan (plans/full-100k.yaml) at full size on this machine, bounded in
 * time: pre-flight, the ~100-request light baseline, 100,000 sessions held with the built-in target (8
 * processes) restarted 3 minutes in, one report. 100K sessions need the README's "Many sessions" flags:
 * engines in --processes child processes and several loopback source addresses.
 * Prints the verdict table's figures per phase, the failover window, and the wall time.
 *
 *   npm run build && flock /tmp/mcpload-bench.lock node bench/full-100k.mjs [--scale 1] [--time-scale 1]
 *                    [--processes 6] [--addresses 4] [--limit 900]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mcploadNodeFlags } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    'time-scale': { type: 'string', default: '1' },
    processes: { type: 'string', default: '6' },
    addresses: { type: 'string', default: '4' },
    limit: { type: 'string', default: '900' },
  },
});
const tmp = mkdtempSync(join(tmpdir(), 'mcpload-full-100k-'));
const reportPath = join(tmp, 'report.json');
const last = 2 + Number(a.addresses) - 1;
const args = [
  ...mcploadNodeFlags(),
  join(ROOT, 'dist/bin.js'),
  'plan',
  join(ROOT, 'plans/full-100k.yaml'),
  '--scale',
  a.scale,
  '--time-scale',
  a['time-scale'],
  '--processes',
  a.processes,
  '--workers',
  '1',
  '--local-address',
  `127.0.0.2-127.0.0.${last}`,
  '--progress-interval',
  '15s',
  '--report',
  reportPath,
];
console.log(`full-100k: node ${args.map((x) => x.replace(ROOT + '/', '')).join(' ')}`);
const t0 = Date.now();
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
console.log(`full-100k: start ${new Date(t0).toISOString()}, load average ${load()}`);
// The load average every 30 s: the figures below are only as good as the machine was quiet.
const loads = [];
const sampler = setInterval(() => loads.push(loadavg()[0]), 30_000);
const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
let stdout = '';
child.stdout.on('data', (d) => (stdout += d));
// Bounded: SIGTERM (the plan drains and reports) at the limit, SIGKILL 60 s later.
const term = setTimeout(
  () => {
    console.error(`full-100k: ${a.limit}s limit reached, stopping the plan (SIGTERM)`);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
  },
  Number(a.limit) * 1000,
);
const code = await new Promise((resolve) => child.on('close', resolve));
clearTimeout(term);
clearInterval(sampler);
const wall = (Date.now() - t0) / 1000;
const verdict = stdout.slice(stdout.lastIndexOf('VERDICT'));
console.log(verdict.trimEnd());
try {
  const r = JSON.parse(readFileSync(reportPath, 'utf8'));
  const ms = (us) => `${(us / 1000).toFixed(2)} ms`;
  for (const p of r.plan.phases) {
    const q = p.report;
    console.log(
      `${p.name}: sessions peak ${q.sessions.peak}/${q.sessions.wanted}, sent ${q.requests.sent}, success ${(q.requests.successRate * 100).toFixed(2)}%, ` +
        `p50 ${ms(q.latency.corrected.p50)} p95 ${ms(q.latency.corrected.p95)} p99 ${ms(q.latency.corrected.p99)}, handshake p99 ${ms(q.sessions.handshake.p99)}` +
        (q.failover ? `, failover ${JSON.stringify(q.failover)}` : ''),
    );
    // The ramp: the first second the open sessions reached 99 % of the most the phase held, and how fast they came.
    const tl = q.timeline ?? [];
    const top = Math.max(0, ...tl.map((t) => t.sessionsOpen));
    const at = tl.find((t) => t.sessionsOpen >= 0.99 * top);
    if (at && top > 1000)
      console.log(`${p.name}: ramp to ${top} open sessions by second ${at.second} (${Math.round(top / Math.max(1, at.second))} sessions/s)`);
    if (q.generator)
      console.log(
        `${p.name}: generator ${JSON.stringify({ limitedSeconds: q.generator.limitedSeconds, maxLoopUtilization: q.generator.maxLoopUtilization, warning: q.generator.warning })}`,
      );
  }
  console.log(
    `total: success ${(r.requests.successRate * 100).toFixed(2)}%, p50 ${ms(r.latency.corrected.p50)} p95 ${ms(r.latency.corrected.p95)} p99 ${ms(r.latency.corrected.p99)}`,
  );
} catch (err) {
  console.log(`full-100k: no report (${err.message})`);
}
console.log(
  `full-100k: exit ${code}, wall ${wall.toFixed(0)} s, load average now ${load()}, 1-min load every 30 s: ${loads.map((x) => x.toFixed(1)).join(' ')}`,
);
rmSync(tmp, { recursive: true, force: true });
process.exit(code ?? 1);
