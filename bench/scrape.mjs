#!/usr/bin/env node
/**
 * What a /metrics scrape costs while 100 sessions run flat out, against the same 100 sessions idle.
 * The metrics are computed at scrape time from the merged snapshot (HDR buckets included), so the
 * two should cost the same: the work depends on methods × buckets × HDR size, not on requests.
 *
 *   npm run build && node bench/scrape.mjs [--scrapes 100] [--rounds 2] [--warmup 5] [--clients 100]
 *
 * Each round runs two mcpload processes one after the other against one `mcpload serve` target, with
 * the message-bomber profile (128 B pings):
 *   full   1000 req/s per client (100K req/s asked: more than the machine can send, so full rate;
 *          asking 10000 floods the target so hard that the last handshakes time out)
 *   idle   1 req/s per client: the sessions are open, almost nothing is sent
 * After the warm-up it scrapes /metrics back to back (20 ms apart) and records, per scrape, the wall
 * time seen by this client and the main thread's own compute time (the next scrape's
 * mcp_client_metrics_scrape_duration_seconds), and the main thread's CPU time per scrape (from
 * /proc/PID/task/PID/stat, minus what the thread burns over an equal quiet stretch without scrapes).
 * On a small machine at full rate the engines and the target take every core, so wall and compute
 * times there include waiting for a core; CPU time is the cost itself. Medians per kind, then
 * full/idle ratios.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const { values: args } = parseArgs({
  options: {
    scrapes: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '5' },
    clients: { type: 'string', default: '100' },
  },
});
const SCRAPES = Number(args.scrapes);
const ROUNDS = Number(args.rounds);
const WARMUP_MS = Number(args.warmup) * 1000;
const CLIENTS = Number(args.clients);
/** Requests/s per client. */
const KINDS = { full: 1000, idle: 1 };

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const children = new Set();

/** CPU seconds (user+sys) of one thread: the main thread of a process has the process's id. */
function threadCpu(pid) {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function launch(argv) {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  child.done = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
  children.add(child);
  child.done.then(() => children.delete(child));
  return child;
}

function stop(child) {
  if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
  const killer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
  return child.done.finally(() => clearTimeout(killer));
}

function cleanup() {
  for (const c of children) if (c.exitCode === null) process.kill(c.pid, 'SIGKILL');
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

async function until(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch {}
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function metric(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + '{') || line.startsWith(name + ' ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(kind, targetUrl) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const child = launch([
    '--url',
    targetUrl,
    '--profile',
    'message-bomber',
    '--clients',
    String(CLIENTS),
    '--rate',
    String(KINDS[kind]),
    '--timeout',
    '10s',
    '--duration',
    '0',
    '--metrics-host',
    '127.0.0.1',
    '--metrics-port',
    String(port),
    '--quiet',
    '--log-level',
    'silent',
  ]);
  await until('all sessions open', async () => metric(await (await fetch(url)).text(), 'mcp_client_connections_active') === CLIENTS);
  await sleep(WARMUP_MS);
  // The main thread's own CPU time while nobody scrapes (it merges snapshots), to subtract below.
  const quiet0 = { t: performance.now(), cpu: threadCpu(child.pid) };
  await sleep(SCRAPES * 25);
  const quiet1 = { t: performance.now(), cpu: threadCpu(child.pid) };
  const wall = [];
  const compute = [];
  let bytes = 0;
  let open = 0;
  let first;
  let last;
  for (let i = 0; i <= SCRAPES; i++) {
    const t0 = performance.now();
    const text = await (await fetch(url)).text();
    const t1 = performance.now();
    // The first scrape only primes mcp_client_metrics_scrape_duration_seconds (the previous scrape's time).
    if (i > 0) {
      wall.push(t1 - t0);
      compute.push(metric(text, 'mcp_client_metrics_scrape_duration_seconds') * 1000);
    }
    bytes = text.length;
    open = metric(text, 'mcp_client_connections_active');
    const sent = { t: t1, n: metric(text, 'mcp_client_requests_sent_total') };
    first ??= sent;
    last = sent;
    await sleep(20);
  }
  const busy = { t: performance.now(), cpu: threadCpu(child.pid) };
  const quietRate = (quiet1.cpu - quiet0.cpu) / (quiet1.t - quiet0.t);
  const cpu = ((busy.cpu - quiet1.cpu - quietRate * (busy.t - quiet1.t)) * 1000) / (SCRAPES + 1);
  await stop(child);
  return { wall: median(wall), compute: median(compute), cpu, bytes, open, rate: ((last.n - first.n) * 1000) / (last.t - first.t) };
}

const targetPort = await freePort();
const target = launch(['serve', '--host', '127.0.0.1', '--port', String(targetPort)]);
const targetUrl = `ws://127.0.0.1:${targetPort}/mcp/ws`;
await sleep(500);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${CLIENTS} sessions, ${SCRAPES} scrapes per run, ${ROUNDS} rounds`);
const all = { full: [], idle: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of Object.keys(KINDS)) {
      const r = await measure(kind, targetUrl);
      all[kind].push(r);
      console.log(
        `round ${round} ${kind.padEnd(4)}  ${r.rate.toFixed(0).padStart(7)} req/s   scrape wall ${r.wall.toFixed(2)} ms   main-thread compute ${r.compute.toFixed(2)} ms, CPU ${r.cpu.toFixed(2)} ms   ${r.bytes} B   ${r.open} sessions open`,
      );
    }
  }
} finally {
  await stop(target);
  cleanup();
}
const med = (kind, key) => median(all[kind].map((r) => r[key]));
for (const kind of Object.keys(KINDS)) {
  console.log(
    `median ${kind.padEnd(4)}: wall ${med(kind, 'wall').toFixed(2)} ms, main-thread compute ${med(kind, 'compute').toFixed(2)} ms, ` +
      `main-thread CPU ${med(kind, 'cpu').toFixed(2)} ms per scrape, at ${med(kind, 'rate').toFixed(0)} req/s`,
  );
}
const ratio = (key) => (med('full', key) / med('idle', key)).toFixed(2);
console.log(`ratio full/idle: wall ${ratio('wall')}, compute ${ratio('compute')}, CPU ${ratio('cpu')}`);
