#!/usr/bin/env node
/**
 * mcpload against a minimal raw `ws` client (bench/raw-ws-client.mjs), in ONE run, against the same
 * `mcpload serve` target, rounds alternating in order so drift on a shared machine hits every kind.
 *
 *   node bench/baseline.mjs [--rounds 3] [--seconds 8] [--connections 100] [--rate 2000] [--light-rate 200] [--extra-depths 8]
 *
 * Kinds of run, each a separate child process (the target is one more, started once):
 *   raw-d1       raw client, depth 1 per connection (closed loop: the textbook ceiling at depth 1)
 *   mcpload-sat  mcpload, message-bomber profile, --rate far above what it can reach, --workers 1
 *   raw-dN       raw client at depth N = mcpload-sat's mean in-flight per session (round 1, Little's law):
 *                the fair throughput pairing, since both then keep the same number of requests queued
 *   mcpload-light mcpload at a fixed rate well below saturation (--light-rate per client): latency and
 *                CPU per request when the generator is not the bottleneck (no raw twin: the raw client is
 *                closed-loop, it has no rate)
 *   raw-dD       with --extra-depths D,...: the raw client at other depths (8 is a common pipelining depth)
 * Figures: requests/s, p50/p99 latency (mcpload: raw = from actual send), the generator's CPU time per
 * request (user+sys of the child, startup included) and the target's CPU share over the child's run.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '100' },
    rate: { type: 'string', default: '2000' },
    'light-rate': { type: 'string', default: '200' },
    'extra-depths': { type: 'string', default: '' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const SAT_RATE = Number(args.rate);
const LIGHT_RATE = Number(args['light-rate']);
const EXTRA_DEPTHS = args['extra-depths'] ? args['extra-depths'].split(',').map(Number) : [];
const FRAME_BYTES = 128; // message-bomber's messageSize: both clients send the same frames
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const tmp = mkdtempSync(join(tmpdir(), 'mcpload-bench-'));

const children = new Set();
let target;

function cleanup() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (target && target.exitCode === null) target.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** user+sys seconds of this process's reaped children, or of process `pid`. */
function cpuSeconds(pid = 'self') {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": utime=11, stime=12, cutime=13, cstime=14 (0-based, state=0).
  const [u, s, cu, cs] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return (pid === 'self' ? cu + cs : u + s) / CLK_TCK;
}

/** Busy CPU seconds of the whole machine (all processes), from /proc/stat. */
function machineBusySeconds() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

function startTarget() {
  return new Promise((resolve, reject) => {
    target = spawn(process.execPath, ['dist/bin.js', 'serve', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error('target did not start in 10 s:\n' + err)), 10_000);
    target.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    target.once('exit', (code) => reject(new Error(`target exited (${code}):\n${err}`)));
  });
}

/** Run one child to completion (killed if it overruns), with its CPU time and the target's. */
function runChild(argv) {
  return new Promise((resolve, reject) => {
    const cpu0 = cpuSeconds();
    const targetCpu0 = cpuSeconds(target.pid);
    const busy0 = machineBusySeconds();
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 30) * 1000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(killer);
      children.delete(child);
      const wall = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds() - cpu0;
      const targetCpu = cpuSeconds(target.pid) - targetCpu0;
      // Everything else the machine ran meanwhile (other people's jobs, this script): the noise.
      const otherCpuShare = Math.max(0, machineBusySeconds() - busy0 - cpu - targetCpu) / wall;
      resolve({ code, out, err, wall, cpu, targetCpuShare: targetCpu / wall, otherCpuShare });
    });
  });
}

async function runRaw(url, depth) {
  const argv = ['bench/raw-ws-client.mjs', '--url', url, '--connections', String(CONNECTIONS), '--depth', String(depth), '--duration', String(SECONDS), '--size', String(FRAME_BYTES)];
  const c = await runChild(argv);
  if (c.code !== 0) throw new Error(`raw client exited ${c.code}: ${c.err}`);
  const r = JSON.parse(c.out.trim().split('\n').pop());
  const done = r.roundTrips + r.drained;
  return {
    cmd: 'node ' + argv.join(' '),
    rps: r.rpsWithDrain,
    rpsInWindow: r.rps,
    p50us: r.p50us,
    p99us: r.p99us,
    inFlight: depth,
    cpuUsPerReq: (c.cpu * 1e6) / done,
    genCpuShare: c.cpu / c.wall,
    targetCpuShare: c.targetCpuShare,
    otherCpuShare: c.otherCpuShare,
    notes: r.errors ? `${r.errors} errors` : '',
  };
}

async function runMcpload(url, ratePerClient, tag) {
  const report = join(tmp, `${tag}.json`);
  const argv = ['dist/bin.js', '--url', url, '--profile', 'message-bomber', '--clients', String(CONNECTIONS), '--rate', String(ratePerClient), '--duration', `${SECONDS}s`, '--workers', '1', '--report', report, '--quiet'];
  const c = await runChild(argv);
  if (c.code !== 0) throw new Error(`mcpload exited ${c.code}: ${c.err.slice(-2000)}`);
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report);
  const errs = Object.entries(r.errors).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`);
  const okRate = r.requests.ok / r.durationSeconds;
  return {
    cmd: 'node ' + argv.join(' ').replace(report, 'OUT.json'),
    // ok / window, like the raw client's rpsWithDrain: both count answers to requests sent in the window.
    rps: okRate,
    reportedRps: r.throughput.requestsPerSecond,
    p50us: r.latency.raw.p50,
    p99us: r.latency.raw.p99,
    correctedP50us: r.latency.corrected.p50,
    // Little's law: requests in flight = throughput x mean time in flight (raw latency), per session.
    inFlight: (okRate * r.latency.raw.mean) / 1e6 / CONNECTIONS,
    cpuUsPerReq: (c.cpu * 1e6) / r.requests.ok,
    genCpuShare: c.cpu / c.wall,
    targetCpuShare: c.targetCpuShare,
    otherCpuShare: c.otherCpuShare,
    dropped: r.requests.dropped,
    sent: r.requests.sent,
    notes: [r.requests.dropped ? `dropped ${r.requests.dropped} (${((100 * r.requests.dropped) / (r.requests.dropped + r.requests.sent)).toFixed(0)}% of due)` : '', ...errs].filter(Boolean).join(', '),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtInt = (x) => (x === undefined ? '' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (us) => (us === undefined ? '' : (us / 1000).toFixed(us < 10_000 ? 2 : 0));
const pct = (x) => (x === undefined ? '' : `${Math.round(x * 100)}%`);

async function main() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? cpus()[0]?.model;
  console.log(`# mcpload baseline  ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${cpus().length} cores, CPU: ${cpu}, ${process.platform} ${process.arch}`);
  console.log(`command: node bench/baseline.mjs --rounds ${ROUNDS} --seconds ${SECONDS} --connections ${CONNECTIONS} --rate ${SAT_RATE} --light-rate ${LIGHT_RATE}${EXTRA_DEPTHS.length ? ' --extra-depths ' + EXTRA_DEPTHS.join(',') : ''}`);
  const url = await startTarget();
  console.log(`target: node dist/bin.js serve --port 0  (pid ${target.pid}, ${url})\n`);

  const results = new Map(); // kind -> [result per round]
  const commands = new Map();
  let fairDepth;
  const record = (kind, r) => {
    if (!results.has(kind)) results.set(kind, []);
    results.get(kind).push(r);
    commands.set(kind, r.cmd);
    console.log(
      `  ${kind.padEnd(13)} ${fmtInt(r.rps).padStart(9)} req/s  p50 ${fmtMs(r.p50us).padStart(6)} ms  p99 ${fmtMs(r.p99us).padStart(6)} ms  ` +
        `in-flight/conn ${r.inFlight.toFixed(1).padStart(6)}  gen CPU ${r.cpuUsPerReq.toFixed(1)} µs/req (${pct(r.genCpuShare)})  target ${pct(r.targetCpuShare)}  other ${pct(r.otherCpuShare)}${r.notes ? '  [' + r.notes + ']' : ''}`,
    );
  };

  // The first round fixes N (the fair depth), so later rounds can run the kinds in any order.
  const plan = [
    ['raw-d1', () => runRaw(url, 1)],
    ...EXTRA_DEPTHS.map((d) => [`raw-d${d}`, () => runRaw(url, d)]),
    ['mcpload-sat', () => runMcpload(url, SAT_RATE, 'sat')],
    ['raw-dN', () => runRaw(url, fairDepth)],
    ['mcpload-light', () => runMcpload(url, LIGHT_RATE, 'light')],
  ];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}`);
    const order = round % 2 === 1 ? plan : [...plan].reverse();
    for (const [kind, run] of order) {
      const r = await run();
      record(kind, r);
      if (round === 1 && kind === 'mcpload-sat') fairDepth = Math.max(1, Math.round(r.inFlight));
    }
  }

  console.log(`\nmedians over ${ROUNDS} rounds (${SECONDS} s each, ${CONNECTIONS} connections, ${FRAME_BYTES}-byte ping frames):\n`);
  console.log('| run | req/s | vs pairing | p50 ms | p99 ms | in-flight/conn | gen CPU µs/req | gen CPU | target CPU | other CPU |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const med = (kind, key) => median(results.get(kind).map((r) => r[key]));
  const ratio = (a, b) => `${(median(results.get(a).map((r, i) => r.rps / results.get(b)[i].rps)) * 100).toFixed(0)}% of ${b}`;
  const pairing = { 'mcpload-sat': ratio('mcpload-sat', 'raw-dN') };
  for (const kind of results.keys()) {
    console.log(
      `| ${kind} | ${fmtInt(med(kind, 'rps'))} | ${pairing[kind] ?? ''} | ${fmtMs(med(kind, 'p50us'))} | ${fmtMs(med(kind, 'p99us'))} | ` +
        `${med(kind, 'inFlight').toFixed(1)} | ${med(kind, 'cpuUsPerReq').toFixed(1)} | ${pct(med(kind, 'genCpuShare'))} | ${pct(med(kind, 'targetCpuShare'))} | ${pct(med(kind, 'otherCpuShare'))} |`,
    );
  }
  const sat = results.get('mcpload-sat');
  console.log(`\nmcpload-sat vs raw-d1 (unequal depth): ${ratio('mcpload-sat', 'raw-d1')}`);
  const cpuRatio = median(sat.map((r, i) => r.cpuUsPerReq / results.get('raw-dN')[i].cpuUsPerReq));
  console.log(`generator CPU per request, mcpload-sat / raw-dN: ${cpuRatio.toFixed(2)}x (median of per-round ratios; less sensitive to the machine's other load than req/s)`);
  console.log(`mcpload-sat also reports ${fmtInt(median(sat.map((r) => r.reportedRps)))} req/s sent (its throughput.requestsPerSecond) and dropped a median ${fmtInt(median(sat.map((r) => r.dropped)))} due requests per run`);
  console.log(`corrected p50 (from intended send): mcpload-light ${fmtMs(med('mcpload-light', 'correctedP50us'))} ms, mcpload-sat ${fmtMs(med('mcpload-sat', 'correctedP50us'))} ms`);
  console.log(`\npairings: mcpload-sat vs raw-dN, same requests in flight per connection (fair); vs raw-d1, unequal depth (raw waits for each answer)`);
  console.log(`fair depth N = ${fairDepth} (mcpload-sat's in-flight per session in round 1); mcpload-light = ${LIGHT_RATE}/s per client`);
  console.log('req/s = answers to requests sent in the window / window (the raw client counts its drain the same way mcpload counts ok)');
  console.log('in-flight for mcpload = ok/s x mean raw latency / connections (Little\'s law)');
  console.log('CPU columns: share of one core over the child\'s whole run (startup included); gen = the client, other = the rest of the machine');
  console.log('\ncommands (last round):');
  for (const [kind, cmd] of commands) console.log(`  ${kind}: ${cmd}`);
}

main()
  .then(() => {
    cleanup();
    process.exit(0);
  })
  .catch((err) => {
    console.error('baseline: ' + (err.stack ?? err));
    cleanup();
    process.exit(1);
  });
