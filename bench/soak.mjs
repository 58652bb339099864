#!/usr/bin/env node
/**
 * Soak: the normal profile for 10 minutes against `mcpload serve`, sampling the RSS of mcpload's
 * process tree (VmRSS of the main process, with its engine threads, plus its engine host processes
 * with --processes) every 10 s. Reports RSS after warm-up (at 60 s) and at the end, and the growth
 * between them. --kill-engine-at S kills one engine host process (SIGKILL) S seconds in: the report
 * must then show the lost engine, and nothing it had measured before its last snapshot may be missing.
 *
 *   npm run build && node bench/soak.mjs [--minutes 10] [--warmup 60] [--every 10] [--profile normal]
 *     [--processes 2 --kill-engine-at 180] [--trace-gc] [--node-flag F ...]
 *
 * --node-flag passes a node/V8 flag to mcpload (engine hosts inherit it), for A/B runs of V8 sizing.
 * Environment variables reach mcpload and its engine hosts as they are (e.g. glibc's MALLOC_* tunables).
 *
 * --smaps adds, per process and sample, its resident memory by kind of mapping (/proc/PID/smaps): glibc's main
 * arena (`[heap]`), anonymous mappings (V8's pages, the threads' malloc arenas), and file-backed mappings; the
 * result then holds each process's first and last breakdown past warm-up.
 *
 * --trace-gc runs mcpload (and so its engine hosts and engine threads) with node --trace-gc and reports, per
 * V8 isolate, the live heap after its first mark-compact past warm-up and after its last one: that tells a heap
 * that grows from RSS that only follows V8's sizing of its spaces.
 *
 * Both children (target and mcpload) are ended by PID; traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, track, startServe, stopChild, cpuSeconds, machineBusySeconds, tmpDir, mcploadNodeFlags } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '60' },
    every: { type: 'string', default: '10' },
    profile: { type: 'string', default: 'normal' },
    processes: { type: 'string', default: '1' },
    'kill-engine-at': { type: 'string' },
    'trace-gc': { type: 'boolean', default: false },
    'node-flag': { type: 'string', multiple: true, default: [] },
    smaps: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.minutes) * 60;
const WARMUP_S = Number(args.warmup);
const EVERY_S = Number(args.every);
const tmp = tmpDir('mcpload-soak-');
const reportPath = join(tmp, 'report.json');

/** The child processes of `pid`. */
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** VmRSS of `pid` and its children in MB (its engine hosts with --processes), or undefined once it is gone. */
function treeRssMb(pid) {
  const own = rssMb(pid);
  if (own === undefined) return undefined;
  return own + childrenOf(pid).reduce((sum, c) => sum + (rssMb(c) ?? 0), 0);
}

/** Resident MB of `pid` by kind of mapping: glibc's main arena, anonymous (V8 pages, thread arenas), file-backed. */
function smapsMb(pid) {
  const mb = { heap: 0, anon: 0, file: 0 };
  let kind = 'anon';
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1];
      kind = path === '[heap]' ? 'heap' : path.startsWith('/') ? 'file' : 'anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) mb[kind] += Number(rss[1]) / 1024;
  }
  return mb;
}

/** VmRSS of `pid` in MB, or undefined once the process is gone. */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const target = await startServe();
const url = target.url;
const argv = [
  ...mcploadNodeFlags(),
  'dist/bin.js',
  '--profile',
  args.profile,
  '--url',
  url,
  '--duration',
  `${SECONDS}s`,
  '--processes',
  args.processes,
  '--quiet',
  '--metrics-port',
  '0',
  '--report',
  reportPath,
];
const t0 = performance.now();
const busy0 = machineBusySeconds();
// node refuses --trace-gc in NODE_OPTIONS; as an exec argument it reaches the engine hosts too (fork inherits execArgv).
const load = track(
  spawn(process.execPath, [...(args['trace-gc'] ? ['--trace-gc'] : []), ...args['node-flag'], ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
);
let stdout = '';
let stderr = '';
load.stdout.on('data', (d) => (stdout += d));
load.stderr.on('data', (d) => (stderr += d));
const killer = setTimeout(() => load.kill('SIGKILL'), (SECONDS + 60) * 1000);

let killed;
if (args['kill-engine-at'] !== undefined) {
  setTimeout(
    () => {
      const host = childrenOf(load.pid)[0];
      if (host === undefined) return;
      killed = { pid: host, atS: Math.round((performance.now() - t0) / 1000) };
      process.kill(host, 'SIGKILL');
      process.stderr.write(`[${String(killed.atS).padStart(4)}s] killed engine host process ${host}\n`);
    },
    Number(args['kill-engine-at']) * 1000,
  ).unref();
}

const samples = [];
const sampler = setInterval(() => {
  const mb = treeRssMb(load.pid);
  if (mb === undefined) return;
  const at = Math.round((performance.now() - t0) / 1000);
  const parts = [load.pid, ...childrenOf(load.pid)].map((p) => `${p}:${(rssMb(p) ?? 0).toFixed(0)}`).join(' ');
  const sample = { at, mb, cpu: cpuSeconds(load.pid) + cpuSeconds(target.pid) };
  let kinds = '';
  if (args.smaps) {
    sample.smaps = {};
    for (const p of [load.pid, ...childrenOf(load.pid)]) {
      const k = smapsMb(p);
      if (k) sample.smaps[p] = k;
    }
    kinds =
      ' [heap/anon/file MB ' +
      Object.entries(sample.smaps)
        .map(([p, k]) => `${p}:${k.heap.toFixed(0)}/${k.anon.toFixed(0)}/${k.file.toFixed(0)}`)
        .join(' ') +
      ']';
  }
  samples.push(sample);
  process.stderr.write(`[${String(at).padStart(4)}s] mcpload RSS ${mb.toFixed(1)} MB (pid:MB ${parts})${kinds}\n`);
}, EVERY_S * 1000);

const code = await new Promise((resolve) => load.once('close', resolve));
const wall = (performance.now() - t0) / 1000;
const ownCpu = samples.at(-1)?.cpu ?? 0;
// What the rest of the machine ran meanwhile (other jobs): contention that makes a generator fall behind and grow its heap.
const otherCpuShare = Math.max(0, machineBusySeconds() - busy0 - ownCpu) / wall;
clearTimeout(killer);
clearInterval(sampler);
await stopChild(target.child, 'SIGTERM');

const start = samples.find((s) => s.at >= WARMUP_S);
// The end is the last sample while sending (after it come the drain and the report).
const end = samples.filter((s) => s.at < SECONDS).at(-1);
const median = (xs) => xs.map((s) => s.mb).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const firstMinute = samples.filter((s) => s.at >= WARMUP_S && s.at < WARMUP_S + 60);
const lastMinute = samples.filter((s) => s.at >= SECONDS - 60 && s.at < SECONDS);
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const result = {
  command: 'node ' + argv.join(' ').replace(url, 'ws://127.0.0.1:PORT/mcp/ws').replace(reportPath, 'REPORT'),
  exitCode: code,
  samples: samples.length,
  rssStartMb: start && Number(start.mb.toFixed(1)),
  rssStartAtS: start?.at,
  rssEndMb: end && Number(end.mb.toFixed(1)),
  rssEndAtS: end?.at,
  rssPeakMb: Number(Math.max(...samples.map((s) => s.mb)).toFixed(1)),
  growthPct: start && end ? Number((((end.mb - start.mb) / start.mb) * 100).toFixed(2)) : undefined,
  medianGrowthPct:
    firstMinute.length && lastMinute.length ? Number((((median(lastMinute) - median(firstMinute)) / median(firstMinute)) * 100).toFixed(2)) : undefined,
  otherCpuShare: Number(otherCpuShare.toFixed(2)),
  killed,
  lostEngines: report.lostEngines,
  sessions: { peak: report.sessions.peak, established: report.sessions.established, lost: report.sessions.lost },
  requests: report.requests,
  // Every request the report counts as sent has an outcome (ok or failed, lost included) or was dropped at the end.
  unaccounted: report.requests.sent - report.requests.ok - report.requests.failed,
  errors: report.errors,
  p99us: report.latency.corrected.p99,
};
if (args['trace-gc']) result.liveHeapAfterMarkCompact = liveHeaps(stdout);
if (args.smaps) result.smapsMb = smapsSpan();
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(JSON.stringify(result) + '\n');
if (code !== 0 && !(killed && code === 4)) process.stderr.write(`mcpload exited ${code}:\n${stderr.slice(-2000)}\n`);

/** Per process: its mapping kinds at its first sample past warm-up and at its last one while sending (rounded MB). */
function smapsSpan() {
  const byPid = {};
  for (const s of samples.filter((x) => x.smaps && x.at >= WARMUP_S && x.at < SECONDS)) {
    for (const [pid, k] of Object.entries(s.smaps)) {
      const round = { at: s.at, heap: Math.round(k.heap), anon: Math.round(k.anon), file: Math.round(k.file) };
      byPid[pid] ??= { first: round };
      byPid[pid].last = round;
    }
  }
  return byPid;
}

/**
 * From node --trace-gc lines (`[pid:0xisolate]  123456 ms: Mark-Compact 7.1 (10.2) -> 6.9 (10.5) MB, …`): per
 * isolate, the heap after its first mark-compact past warm-up, after its last one, and the count in between.
 * The time is the isolate's own (since its process started), so a respawned host counts from its start.
 */
function liveHeaps(text) {
  const byIsolate = new Map();
  for (const m of text.matchAll(/^\[(\d+):(0x[0-9a-f]+)\]\s+(\d+) ms: Mark-Compact (?:\(reduce\) )?[\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/gm)) {
    const key = `${m[1]}:${m[2]}`;
    const list = byIsolate.get(key) ?? [];
    list.push({ atS: Math.round(Number(m[3]) / 1000), liveMb: Number(m[4]), committedMb: Number(m[5]) });
    byIsolate.set(key, list);
  }
  return [...byIsolate].map(([isolate, list]) => {
    const past = list.filter((g) => g.atS >= WARMUP_S);
    return { isolate, markCompacts: list.length, first: past[0] ?? list[0], last: list.at(-1) };
  });
}
