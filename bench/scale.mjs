#!/usr/bin/env node
/**
 * 100,000 concurrent MCP sessions from one machine, in one bounded run, and what an idle session
 * costs in RSS against a bare `ws` client doing the same work in the same run:
 *   1. `mcpload serve --processes T` (each target process has its own open-files limit);
 *   2. the old yardstick (kept for continuity with earlier RESULTS.md sections): bench/bare-ramp.mjs,
 *      one process, upgrade only, --bare connections, its RSS slope read mid-ramp;
 *   3. the yardstick made the same work as mcpload: --processes processes of bench/bare-ramp.mjs
 *      --handshake (initialize, its answer, notifications/initialized), --sessions in all, split over
 *      --addresses source addresses, 1000 connecting at once in all; each pauses at a tenth of its
 *      share; memory is read at the pause and at the end, each after --settle s with no traffic;
 *   4. mcpload ramps the low-load profile, idle (0.0001 req/s per session), through the same two
 *      points (a stage holds a tenth of --sessions, then all), memory read at each after --settle s
 *      idle; then the rate goes to --rate (low-load, ~5,000 req/s over 100K) for the --hold s in which
 *      loop lag and utilization are sampled; then SIGTERM and its report.
 * RSS per added session is (RSS at all − RSS at a tenth) / (sessions added), the process trees summed;
 * beside it, where the growth sits: /proc/PID/smaps by mapping (files; glibc's [heap]; glibc's thread
 * arenas, the anonymous mappings on a 64 MiB boundary; other anonymous memory, where V8's pages are),
 * and V8's own statistics per isolate (bench/heap-stats.cjs, preloaded into every process and thread of
 * both clients): physical pages, heapTotal (committed), heapUsed, external/arrayBuffers.
 *
 * Until 2026-12-03 this script compared mcpload's slope at --rate 0.05 (5,000 req/s at 100K: not idle),
 * read mid-ramp (at 10 % and the moment 100 % was reached, garbage of the last handshakes uncollected),
 * against the bare client of step 2 (one process, 15,000 connections, no handshake, also mid-ramp).
 * Those figures are still printed, as "old method", beside the idle same-work ones.
 *
 *   npm run build && node bench/scale.mjs [--sessions 100000] [--hold 60] [--processes 6] [--target-processes 8]
 *                                         [--addresses 4] [--rate 0.05] [--bare 15000] [--settle 15]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitFor, freePort, onCleanup, spawnCaptured, sleep, mcploadNodeFlags } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOOK = join(dirname(fileURLToPath(import.meta.url)), 'heap-stats.cjs');
const { values: a } = parseArgs({
  options: {
    sessions: { type: 'string', default: '100000' },
    hold: { type: 'string', default: '60' },
    processes: { type: 'string', default: '6' },
    'target-processes': { type: 'string', default: '8' },
    addresses: { type: 'string', default: '4' },
    rate: { type: 'string', default: '0.05' },
    bare: { type: 'string', default: '15000' },
    settle: { type: 'string', default: '15' },
    'ramp-timeout': { type: 'string', default: '180' },
  },
});
const SESSIONS = Number(a.sessions);
const HOLD_S = Number(a.hold);
const P = Number(a.processes);
const A = Number(a.addresses);
const SETTLE_MS = Number(a.settle) * 1000;
const IDLE_RATE = 0.0001;
const FIRST = Math.round(SESSIONS / 10);
const RAMP_MS = Number(a['ramp-timeout']) * 1000;
const tmp = mkdtempSync(join(tmpdir(), 'mcpload-scale-'));
const heapDir = join(tmp, 'heap');
mkdirSync(heapDir);
const env = { ...process.env, BENCH_HEAP_DIR: heapDir };
const mib = (kb) => kb / 1024;
const kib = (b) => (b / 1024).toFixed(2);

const started = new Set();
function run(argv, opts = {}) {
  const child = spawnCaptured(argv, opts);
  started.add(child);
  return child;
}
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
  RAMP_MS * 4 + HOLD_S * 1000 + SETTLE_MS * 6 + 180_000,
);
guard.unref();

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

const ARENA_ALIGN = 64n * 1024n * 1024n;
/**
 * RSS of `pids` by mapping class, in bytes: file-backed, glibc's main [heap], glibc thread arenas (anonymous,
 * starting on a 64 MiB boundary: HEAP_MAX_SIZE), other anonymous (V8's pages, thread stacks, large mallocs).
 */
function smapsClasses(pids) {
  const out = { rss: 0, file: 0, brk: 0, arena: 0, anon: 0 };
  for (const pid of pids) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    } catch {
      continue;
    }
    let cls = 'anon';
    for (const line of text.split('\n')) {
      const h = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (h) {
        const path = h[2];
        if (path === '[heap]') cls = 'brk';
        else if (path.startsWith('/')) cls = 'file';
        else if (path.startsWith('[')) cls = 'anon';
        else cls = BigInt('0x' + h[1]) % ARENA_ALIGN === 0n ? 'arena' : 'anon';
        continue;
      }
      if (line.startsWith('Rss:')) {
        const kb = Number(line.split(/\s+/)[1]) * 1024;
        out[cls] += kb;
        out.rss += kb;
      }
    }
  }
  return out;
}

/** V8's statistics of every isolate in `pids`, summed (bench/heap-stats.cjs files, at most ~1 s old). */
function v8Stats(pids) {
  const want = new Set(pids.map(String));
  const out = { isolates: 0, physical: 0, total: 0, used: 0, external: 0, arrayBuffers: 0, malloced: 0, spaces: {} };
  for (const f of readdirSync(heapDir)) {
    if (!f.endsWith('.json') || !want.has(f.split('-')[0])) continue;
    try {
      const s = JSON.parse(readFileSync(join(heapDir, f), 'utf8'));
      out.isolates++;
      for (const k of ['physical', 'total', 'used', 'external', 'arrayBuffers', 'malloced']) out[k] += s[k];
      for (const [name, x] of Object.entries(s.spaces ?? {})) {
        const o = (out.spaces[name] ??= { size: 0, used: 0, physical: 0 });
        for (const k of ['size', 'used', 'physical']) o[k] += x[k];
      }
    } catch {}
  }
  return out;
}

function mark(open, pids, extra = {}) {
  return { open, t: Date.now(), ...smapsClasses(pids), v8: v8Stats(pids), ...extra };
}

/** Per added session between two marks, in bytes, by class. */
function perSession(m1, m2) {
  const n = m2.open - m1.open;
  const d = (k) => (m2[k] - m1[k]) / n;
  const v = (k) => (m2.v8[k] - m1.v8[k]) / n;
  return {
    n,
    rss: d('rss'),
    file: d('file'),
    brk: d('brk'),
    arena: d('arena'),
    anon: d('anon'),
    v8physical: v('physical'),
    v8total: v('total'),
    v8used: v('used'),
    external: v('external'),
    native: d('rss') - d('file') - v('physical'),
    spaces: Object.keys(m2.v8.spaces)
      .map((name) => {
        const [x, y] = [m1.v8.spaces[name] ?? { size: 0, used: 0 }, m2.v8.spaces[name]];
        return `${name.replace(/_space$/, '')} ${Math.round((y.size - x.size) / n)}/${Math.round((y.used - x.used) / n)}`;
      })
      .join(', '),
  };
}

async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (name, sum = false) => {
    let v = 0;
    for (const line of text.split('\n'))
      if (line.startsWith(name + '{') || line.startsWith(name + ' ')) v = sum ? v + Number(line.split(' ').pop()) : Math.max(v, Number(line.split(' ').pop()));
    return v;
  };
  return {
    open: get('mcp_client_sessions_open'),
    lagMs: get('mcp_client_engine_event_loop_lag_seconds') * 1000,
    elu: get('mcp_client_engine_event_loop_utilization'),
  };
}

/** The old yardstick: one process, upgrade only, RSS read mid-ramp by the client itself. */
async function oldBare(url) {
  const bare = run(['bench/bare-ramp.mjs', '--url', url, '--count', a.bare, '--concurrency', '1000']);
  const line = JSON.parse((await waitFor(bare, /^(\{"opened".*\})$/m, RAMP_MS))[1]);
  bare.kill('SIGTERM');
  await new Promise((r) => bare.once('exit', r));
  const keys = Object.keys(line.rssAt)
    .map(Number)
    .sort((x, y) => x - y);
  const slope = keys.length >= 2 ? ((line.rssAt[keys.at(-1)] - line.rssAt[keys[0]]) * 1048576) / (keys.at(-1) - keys[0]) : NaN;
  return { ...line, slope };
}

/** The same work as mcpload: P processes, A addresses (127.0.1.x, so no port of mcpload's is left in TIME_WAIT), handshake. */
async function sameBare(url) {
  const per = Math.ceil(SESSIONS / P);
  const perAddress = Math.ceil(P / A);
  const kids = [];
  for (let i = 0; i < P; i++) {
    const n = Math.min(per, SESSIONS - per * i);
    const from = 10_000 + Math.floor(i / A) * per;
    const ports = perAddress * per <= 55_000 ? ['--local-ports', `${from}-${from + n - 1}`] : [];
    const argv = ['--require', HOOK, 'bench/bare-ramp.mjs', '--url', url, '--count', String(n), '--concurrency', String(Math.ceil(1000 / P))];
    argv.push('--handshake', '--local-address', `127.0.1.${2 + (i % A)}`, '--pause-at', String(Math.round(n / 10)), ...ports);
    kids.push(run(argv, { env }));
  }
  const pids = () => kids.map((k) => k.pid);
  const t0 = Date.now();
  const firstLines = await Promise.all(kids.map(async (k) => JSON.parse((await waitFor(k, /^(\{"paused".*\})$/m, RAMP_MS))[1])));
  const atFirst = firstLines.reduce((s, l) => s + l.opened, 0);
  const rampFirst = mark(atFirst, pids());
  await sleep(SETTLE_MS);
  const idle1 = mark(atFirst, pids());
  const t1 = Date.now();
  for (const k of kids) k.stdin.write('go\n');
  const lines = await Promise.all(kids.map(async (k) => JSON.parse((await waitFor(k, /^(\{"opened".*\})$/m, RAMP_MS))[1])));
  const opened = lines.reduce((s, l) => s + l.opened, 0);
  const failed = lines.reduce((s, l) => s + l.failed, 0);
  const rampAll = mark(opened, pids());
  const rate = (opened - atFirst) / ((Date.now() - t1) / 1000);
  await sleep(SETTLE_MS);
  const idle2 = mark(opened, pids());
  for (const k of kids) k.kill('SIGTERM');
  await Promise.all(kids.map((k) => (k.exitCode === null ? new Promise((r) => k.once('exit', r)) : undefined)));
  return { opened, failed, rate, firstRate: atFirst / ((rampFirst.t - t0) / 1000), rampFirst, rampAll, idle1, idle2 };
}

function breakdownRow(label, s) {
  const f = (x) => Math.round(x).toLocaleString('en-US').padStart(6);
  return `  ${label.padEnd(30)} ${f(s.rss)} B RSS = file ${f(s.file)} + [heap] ${f(s.brk)} + arenas ${f(s.arena)} + other anon ${f(s.anon)}; V8 physical ${f(s.v8physical)}, committed ${f(s.v8total)}, used ${f(s.v8used)}, external ${f(s.external)}; RSS − file − V8 physical ${f(s.native)}\n  ${''.padEnd(30)} V8 by space, committed/used B: ${s.spaces}`;
}

async function main() {
  console.log(
    `scale: ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0].model}, node ${process.version}, open files ${execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const target = run(['dist/bin.js', 'serve', '--port', '0', '--processes', a['target-processes']]);
  const url = (await waitFor(target, /listening on (ws:\/\/\S+?)[, ]/, 30_000))[1];
  console.log(`target: ${url} (${a['target-processes']} processes)`);

  const old = await oldBare(url);
  console.log(
    `old yardstick (1 process, upgrade only, mid-ramp): ${old.opened} opened, ${old.failed} failed, ${old.rate.toFixed(0)}/s, RSS slope ${kib(old.slope)} KiB/connection`,
  );
  await sleep(3000); // let the target settle the closed connections

  const bare = await sameBare(url);
  const bareIdle = perSession(bare.idle1, bare.idle2);
  console.log(
    `same-work bare (${P} processes, ${A} addresses, handshake): ${bare.opened} opened, ${bare.failed} failed, ${bare.rate.toFixed(0)}/s from ${bare.idle1.open} to all; idle RSS ${mib(bare.idle1.rss / 1024).toFixed(0)} → ${mib(bare.idle2.rss / 1024).toFixed(0)} MiB`,
  );
  await sleep(3000);

  // mcpload, idle through the two points, then --rate for the hold.
  const rampEst = Math.ceil((SESSIONS / Math.max(200, bare.rate)) * 1.5 * 1000);
  const d1 = Math.ceil((rampEst / 10 + SETTLE_MS + 8000) / 1000);
  const d3 = Math.ceil((rampEst + SETTLE_MS + 8000) / 1000);
  const profileFile = join(tmp, 'scale-profile.json');
  const lowLoad = readFileSync(join(ROOT, 'profiles/low-load.yaml'), 'utf8');
  const stages = [
    { duration: `${d1}s`, clients: FIRST, rate: IDLE_RATE },
    { duration: '1s', clients: SESSIONS, rate: IDLE_RATE },
    { duration: `${d3}s`, clients: SESSIONS, rate: IDLE_RATE },
    { duration: '1s', clients: SESSIONS, rate: Number(a.rate) },
  ];
  const yaml =
    lowLoad
      .replace(/^name: .*$/m, 'name: scale')
      .replace(/^clients: .*$/m, `clients: ${FIRST}`)
      .replace(/^rate: .*$/m, `rate: ${IDLE_RATE}`) +
    `stages:\n${stages.map((s) => `  - { duration: ${s.duration}, clients: ${s.clients}, rate: ${s.rate} }`).join('\n')}\n`;
  writeFileSync(profileFile.replace(/json$/, 'yaml'), yaml);
  const metricsPort = await freePort();
  const report = join(tmp, 'scale.json');
  const argv = [
    ...mcploadNodeFlags(),
    'dist/bin.js',
    '--url',
    url,
    '--profile',
    profileFile.replace(/json$/, 'yaml'),
    '--duration',
    '0',
    '--processes',
    a.processes,
    '--workers',
    '1',
  ];
  argv.push('--local-address', `127.0.0.2-127.0.0.${1 + A}`, '--metrics-host', '127.0.0.1', '--metrics-port', String(metricsPort));
  argv.push('--report', report, '--quiet', '--log-level', 'error');
  console.log(`mcpload: node ${argv.join(' ')}`);
  console.log(`  profile: low-load at ${IDLE_RATE} req/s per session; stages ${stages.map((s) => `${s.duration} → ${s.clients} at ${s.rate}`).join(', ')}`);
  const gen = run(['--require', HOOK, ...argv], { env });
  await waitFor(gen, /metrics on/, 30_000);
  const genPids = () => tree(gen.pid);
  const targetPids = () => tree(target.pid);
  const t0 = Date.now();
  const stageEnd1 = t0 + d1 * 1000;
  const stageEnd3 = stageEnd1 + 1000 + d3 * 1000;
  const poll = async (want, deadline) => {
    while (Date.now() < deadline) {
      const m = await scrape(metricsPort).catch(() => undefined);
      if (m && m.open >= want) return m;
      await sleep(250);
    }
    return scrape(metricsPort);
  };
  const idleMark = async (reached, stageEnd, label) => {
    const at = Math.min(reached.t + SETTLE_MS, stageEnd - 3000);
    if (at < reached.t + SETTLE_MS) console.log(`  warning: ${label} settled only ${((at - reached.t) / 1000).toFixed(1)} s (stage ends)`);
    await sleep(Math.max(0, at - Date.now()));
    const m = await scrape(metricsPort);
    return mark(m.open, genPids(), { target: rssKb(targetPids()) });
  };
  let m = await poll(FIRST, stageEnd1 - 3000);
  const ramp1 = mark(m.open, genPids(), { target: rssKb(targetPids()) });
  const firstRate = m.open / ((ramp1.t - t0) / 1000);
  const idle1 = await idleMark(ramp1, stageEnd1, 'the first point');
  await sleep(Math.max(0, stageEnd1 - Date.now()));
  const tRamp = Date.now();
  m = await poll(SESSIONS, tRamp + RAMP_MS);
  const ramp2 = mark(m.open, genPids(), { target: rssKb(targetPids()) });
  const rampRate = (m.open - idle1.open) / ((ramp2.t - tRamp) / 1000);
  console.log(`ramp: ${m.open} open after ${((ramp2.t - t0) / 1000).toFixed(1)} s${m.open < SESSIONS ? ' (not all: ramp timeout)' : ''}`);
  const idle2 = await idleMark(ramp2, stageEnd3, 'the second point');
  const genIdle = perSession(idle1, idle2);
  const genOld = perSession(ramp1, ramp2);

  // Hold at --rate: sample lag and sessions every 2 s.
  await sleep(Math.max(0, stageEnd3 + 3000 - Date.now()));
  const holdSamples = [];
  const holdStart = Date.now();
  while (Date.now() - holdStart < HOLD_S * 1000) {
    await sleep(2000);
    holdSamples.push(await scrape(metricsPort));
  }
  const endGen = rssKb(genPids());
  gen.kill('SIGTERM');
  await new Promise((r) => gen.once('exit', r));
  const r = JSON.parse(readFileSync(report, 'utf8'));
  target.kill('SIGTERM');
  await new Promise((res) => target.once('exit', res));

  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
  const minOpen = Math.min(...holdSamples.map((s) => s.open));
  const targetSlope = ((idle2.target - idle1.target) * 1024) / (idle2.open - idle1.open);
  console.log('');
  console.log(
    `sessions held:        ${minOpen.toLocaleString('en-US')} of ${SESSIONS.toLocaleString('en-US')} (lowest open count over the ${HOLD_S} s hold at --rate ${a.rate})`,
  );
  console.log(
    `sessions failed:      connect ${r.errors.connect}, handshake ${r.errors.handshake}, closed ${r.errors.closed}; established ${r.sessions.established}, reconnects ${r.sessions.reconnects}`,
  );
  console.log(
    `ramp rate:            mcpload ${rampRate.toFixed(0)} sessions/s (${idle1.open} → ${ramp2.open}), same-work bare ${bare.rate.toFixed(0)}/s: ratio ${(rampRate / bare.rate).toFixed(2)}; to the first point ${firstRate.toFixed(0)} vs ${bare.firstRate.toFixed(0)}/s (start-up included); old yardstick ${old.rate.toFixed(0)}/s`,
  );
  console.log(
    `RSS per added idle session (${idle1.open} → ${idle2.open}, each point after ${a.settle} s idle): mcpload ${kib(genIdle.rss)} KiB, same-work bare ws ${kib(bareIdle.rss)} KiB: ratio ${(genIdle.rss / bareIdle.rss).toFixed(2)}`,
  );
  console.log(
    `  old method:          mcpload ${kib(genOld.rss)} KiB mid-ramp (${ramp1.open} → ${ramp2.open}; idle ramp now, was at --rate), old yardstick ${kib(old.slope)} KiB (1 process, upgrade only, ${a.bare})`,
  );
  console.log('where it sits, per added session:');
  console.log(breakdownRow('mcpload, idle', genIdle));
  console.log(breakdownRow('same-work bare, idle', bareIdle));
  console.log(breakdownRow('mcpload, mid-ramp', genOld));
  console.log(breakdownRow('same-work bare, mid-ramp', perSession(bare.rampFirst, bare.rampAll)));
  console.log(
    `generator RSS:        ${mib(endGen).toFixed(0)} MiB total after the hold (${((endGen * 1024) / SESSIONS / 1024).toFixed(2)} KiB/session incl. the process baselines); V8 isolates ${idle2.v8.isolates}, committed ${mib(idle2.v8.total / 1024).toFixed(0)} MiB, used ${mib(idle2.v8.used / 1024).toFixed(0)} MiB at the second point`,
  );
  console.log(`target RSS:           slope ${kib(targetSlope)} KiB per added session (idle points)`);
  console.log(
    `engine loop lag:      median ${median(holdSamples.map((s) => s.lagMs)).toFixed(1)} ms, max ${Math.max(...holdSamples.map((s) => s.lagMs)).toFixed(1)} ms (worst engine per second, over the hold)`,
  );
  console.log(`engine utilization:   median ${median(holdSamples.map((s) => s.elu)).toFixed(2)} over the hold`);
  console.log(
    `requests during run:  sent ${r.requests.sent}, ok ${r.requests.ok}, failed ${r.requests.failed}, corrected p99 ${(r.latency.corrected.p99 / 1000).toFixed(1)} ms`,
  );
  console.log(
    `load average after:   ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  cleanup();
}

main().catch((err) => {
  console.error(`scale: ${err.stack ?? err.message}`);
  cleanup();
  process.exit(1);
});
