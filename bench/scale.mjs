#!/usr/bin/env node
/**
 * 100,000 concurrent MCP sessions from one machine, in one bounded run:
 *   1. `mcpload serve --processes T` (each target process has its own open-files limit);
 *   2. a bare `ws` client ramp (bench/bare-ramp.mjs) to the same target: the yardstick;
 *   3. mcpload ramps to --sessions initialized sessions (low-load profile at a low --rate, spread
 *      over --processes engine processes and --local-address source addresses), holds them --hold s,
 *      then stops by SIGTERM and writes its report.
 * Prints: sessions held and failed, ramp rate (mcpload and bare), generator and target RSS per session
 * (slope between two points of the ramp, and total / sessions), engines' event-loop lag and utilization.
 *
 *   npm run build && node bench/scale.mjs [--sessions 100000] [--hold 60] [--processes 6] [--target-processes 8]
 *                                         [--addresses 4] [--rate 0.05] [--bare 15000]
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitFor, freePort, onCleanup } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100000' },
    hold: { type: 'string', default: '60' },
    processes: { type: 'string', default: '6' },
    'target-processes': { type: 'string', default: '8' },
    addresses: { type: 'string', default: '4' },
    rate: { type: 'string', default: '0.05' },
    bare: { type: 'string', default: '15000' },
    'ramp-timeout': { type: 'string', default: '180' },
  },
});
const SESSIONS = Number(a.sessions);
const HOLD_S = Number(a.hold);
const tmp = mkdtempSync(join(tmpdir(), 'mcpload-scale-'));
const started = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (kb) => kb / 1024;

function cleanup() {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
// lib.mjs ends the script on SIGINT/SIGTERM (130/143) and at exit; this script's own children go with it.
onCleanup(cleanup);
// The whole run is bounded: whatever happens, nothing outlives this.
const guard = setTimeout(
  () => {
    console.error('scale: time limit reached, stopping everything');
    cleanup();
    process.exit(1);
  },
  (Number(a['ramp-timeout']) * 2 + HOLD_S + 120) * 1000,
);
guard.unref();

function run(argv, opts = {}) {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  started.add(child);
  child.out = '';
  child.err = '';
  child.stdout.on('data', (d) => (child.out += d));
  child.stderr.on('data', (d) => (child.err += d));
  return child;
}

/** A process and its descendants (engine hosts, target workers). */
function tree(pid) {
  let kids = [];
  try {
    kids = execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {}
  return [pid, ...kids.flatMap(tree)];
}

function rssKb(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]);
    } catch {}
  }
  return sum;
}

async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (name) => {
    let v = 0;
    for (const line of text.split('\n')) if (line.startsWith(name + '{') || line.startsWith(name + ' ')) v = Math.max(v, Number(line.split(' ').pop()));
    return v;
  };
  return {
    open: get('mcp_client_sessions_open'),
    connecting: get('mcp_client_sessions_connecting'),
    lagMs: get('mcp_client_engine_event_loop_lag_seconds') * 1000,
    elu: get('mcp_client_engine_event_loop_utilization'),
  };
}

async function main() {
  console.log(
    `scale: ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0].model}, node ${process.version}, open files ${execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()}`,
  );
  const target = run(['dist/bin.js', 'serve', '--port', '0', '--processes', a['target-processes']]);
  const url = (await waitFor(target, /listening on (ws:\/\/\S+?)[, ]/, 30_000))[1];
  console.log(`target: ${url} (${a['target-processes']} processes)`);

  // The yardstick: a bare ws client ramp on the same target, then closed.
  const bare = run(['bench/bare-ramp.mjs', '--url', url, '--count', a.bare, '--concurrency', '1000']);
  const bareLine = JSON.parse((await waitFor(bare, /^(\{.*\})$/m, Number(a['ramp-timeout']) * 1000))[1]);
  bare.kill('SIGTERM');
  await new Promise((r) => bare.once('exit', r));
  const bareKeys = Object.keys(bareLine.rssAt)
    .map(Number)
    .sort((x, y) => x - y);
  const bareSlope = bareKeys.length >= 2 ? ((bareLine.rssAt[bareKeys.at(-1)] - bareLine.rssAt[bareKeys[0]]) * 1048576) / (bareKeys.at(-1) - bareKeys[0]) : NaN;
  console.log(
    `bare ws ramp: ${bareLine.opened} opened, ${bareLine.failed} failed, ${bareLine.rate.toFixed(0)}/s, RSS slope ${(bareSlope / 1024).toFixed(2)} KiB/connection`,
  );
  await sleep(3000); // let the target settle the closed connections

  const metricsPort = await freePort();
  const report = join(tmp, 'scale.json');
  const last = 1 + Number(a.addresses);
  const argv = [
    'dist/bin.js',
    '--url',
    url,
    '--profile',
    'low-load',
    '--clients',
    a.sessions,
    '--rate',
    a.rate,
    '--duration',
    '0',
    '--processes',
    a.processes,
    '--workers',
    '1',
    '--local-address',
    `127.0.0.2-127.0.0.${last}`,
    '--metrics-host',
    '127.0.0.1',
    '--metrics-port',
    String(metricsPort),
    '--report',
    report,
    '--quiet',
    '--log-level',
    'error',
  ];
  console.log(`mcpload: node ${argv.join(' ')}`);
  const gen = run(argv);
  await waitFor(gen, /metrics on/, 30_000);
  const targetPids = () => tree(target.pid);
  const genPids = () => tree(gen.pid);
  const t0 = Date.now();
  const baseGen = rssKb(genPids());
  const baseTarget = rssKb(targetPids());
  const marks = [];
  let peak = { open: 0 };
  let rampSeconds = NaN;
  const firstMark = Math.round(SESSIONS / 10);
  while (Date.now() - t0 < Number(a['ramp-timeout']) * 1000) {
    await sleep(500);
    const m = await scrape(metricsPort).catch(() => undefined);
    if (!m) continue;
    if (m.open > peak.open) peak = m;
    if (marks.length === 0 && m.open >= firstMark) marks.push({ open: m.open, gen: rssKb(genPids()), target: rssKb(targetPids()), t: Date.now() });
    if (m.open >= SESSIONS) {
      rampSeconds = (Date.now() - t0) / 1000;
      break;
    }
  }
  const atFull = await scrape(metricsPort);
  marks.push({ open: atFull.open, gen: rssKb(genPids()), target: rssKb(targetPids()), t: Date.now() });
  console.log(`ramp: ${atFull.open} open after ${((Date.now() - t0) / 1000).toFixed(1)} s${Number.isNaN(rampSeconds) ? ' (not all: ramp timeout)' : ''}`);

  // Hold: sample lag and sessions every 2 s.
  const holdSamples = [];
  const holdStart = Date.now();
  while (Date.now() - holdStart < HOLD_S * 1000) {
    await sleep(2000);
    holdSamples.push(await scrape(metricsPort));
  }
  const endGen = rssKb(genPids());
  const endTarget = rssKb(targetPids());
  gen.kill('SIGTERM');
  await new Promise((r) => gen.once('exit', r));
  const r = JSON.parse(readFileSync(report, 'utf8'));
  target.kill('SIGTERM');
  await new Promise((res) => target.once('exit', res));

  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
  const [m1, m2] = [marks[0], marks.at(-1)];
  const slope = (k) => (m2 && m1 && m2.open > m1.open ? ((m2[k] - m1[k]) * 1024) / (m2.open - m1.open) : NaN);
  const minOpen = Math.min(...holdSamples.map((s) => s.open));
  const rampRate = r.sessions.established > 0 ? atFull.open / ((marks.at(-1).t - t0) / 1000) : 0;
  console.log('');
  console.log(`sessions held:        ${minOpen.toLocaleString('en-US')} of ${SESSIONS.toLocaleString('en-US')} (lowest open count over the ${HOLD_S} s hold)`);
  console.log(
    `sessions failed:      connect ${r.errors.connect}, handshake ${r.errors.handshake}, closed ${r.errors.closed}; established ${r.sessions.established}, reconnects ${r.sessions.reconnects}`,
  );
  console.log(
    `ramp rate:            mcpload ${rampRate.toFixed(0)} sessions/s (to ${atFull.open} initialized), bare ws ${bareLine.rate.toFixed(0)} connections/s: ratio ${(rampRate / bareLine.rate).toFixed(2)}`,
  );
  console.log(
    `generator RSS:        ${mib(endGen).toFixed(0)} MiB total (${((endGen * 1024) / SESSIONS / 1024).toFixed(2)} KiB/session incl. the process baseline ${mib(baseGen).toFixed(0)} MiB); slope ${(slope('gen') / 1024).toFixed(2)} KiB per added session (${m1?.open} → ${m2?.open}); bare ws slope ${(bareSlope / 1024).toFixed(2)} KiB`,
  );
  console.log(
    `target RSS:           ${mib(endTarget).toFixed(0)} MiB total (${((endTarget * 1024) / SESSIONS / 1024).toFixed(2)} KiB/session incl. baseline ${mib(baseTarget).toFixed(0)} MiB); slope ${(slope('target') / 1024).toFixed(2)} KiB per added session`,
  );
  console.log(
    `engine loop lag:      median ${median(holdSamples.map((s) => s.lagMs)).toFixed(1)} ms, max ${Math.max(...holdSamples.map((s) => s.lagMs)).toFixed(1)} ms (worst engine per second, over the hold); during the ramp peak ${peak.lagMs?.toFixed(1)} ms`,
  );
  console.log(`engine utilization:   median ${median(holdSamples.map((s) => s.elu)).toFixed(2)} over the hold`);
  console.log(
    `requests during run:  sent ${r.requests.sent}, ok ${r.requests.ok}, failed ${r.requests.failed}, corrected p99 ${(r.latency.corrected.p99 / 1000).toFixed(1)} ms`,
  );
  cleanup();
}

main().catch((err) => {
  console.error(`scale: ${err.message}`);
  cleanup();
  process.exit(1);
});
