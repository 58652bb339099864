/**
 * Helpers the bench scripts share: start the reference target, run a child node process and collect
 * its output and CPU time, read CPU from /proc, medians and tables, and end-by-PID cleanup.
 *
 *   import { ROOT, startServe, runChild, median, printTable } from './lib.mjs';
 *
 * Every process started through this module is remembered and ended by its PID when the script
 * exits or is interrupted (SIGINT/SIGTERM); nothing is ended by name.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The node flags the bin's first line starts mcpload with (src/bin.ts: `#!/usr/bin/env -S node FLAGS`), so a bench
 * that spawns `node dist/bin.js` for the client under test runs it as `mcpload` and `npx mcpload` run: put them
 * before 'dist/bin.js'. Then BENCH_MCPLOAD_NODE_FLAGS="--flag ...", for A/B runs (node takes the last of a flag
 * given twice: --v8-pool-size=4 is Node's default pool). Targets (`serve`) keep node's defaults, as in earlier figures.
 */
export function mcploadNodeFlags() {
  const first = readFileSync(join(ROOT, 'dist/bin.js'), 'utf8').split('\n', 1)[0];
  const own = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first)?.[1] ?? '';
  return [...own.split(/\s+/), ...(process.env.BENCH_MCPLOAD_NODE_FLAGS ?? '').split(' ')].filter(Boolean);
}

// ---- cleanup --------------------------------------------------------------------------------------

/** child -> signal to end it with at cleanup. */
const tracked = new Map();
const cleanups = [];
let cleaned = false;

/** Remember `child` so cleanup ends it (by PID) with `signal`. Returns the child. */
export function track(child, signal = 'SIGKILL') {
  tracked.set(child, signal);
  const forget = () => tracked.delete(child);
  child.once('exit', forget);
  child.once('error', forget);
  return child;
}

/** Run `fn` (synchronously) at cleanup, after the tracked processes are ended. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** End every tracked process that still runs and run the cleanup hooks; safe to call twice. */
export function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const [child, signal] of tracked) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, signal);
      } catch {}
    }
  }
  tracked.clear();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {}
  }
}
process.once('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

let tmp;
/** A temporary directory for this script, removed at cleanup. */
export function tmpDir(prefix = 'mcpload-bench-') {
  if (!tmp) {
    tmp = mkdtempSync(join(tmpdir(), prefix));
    const dir = tmp;
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  }
  return tmp;
}

// ---- processes ------------------------------------------------------------------------------------

/**
 * Start `node dist/bin.js serve --port 0 ...args` and wait for the URL it prints.
 * Resolves { child, pid, url, stop() }; the target is ended with SIGTERM at cleanup or by stop().
 */
export function startServe(args = [], { timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const argv = ['dist/bin.js', 'serve', '--port', '0', ...args];
    const child = track(spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }), 'SIGTERM');
    let err = '';
    const timer = setTimeout(() => reject(new Error(`target did not start in ${timeoutMs / 1000} s:\n${err}`)), timeoutMs);
    const onData = (d) => {
      err += d;
      const m = /listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        child.stderr.resume(); // keep draining so the target never blocks on a full pipe
        child.off('exit', onExit);
        resolve({ child, pid: child.pid, url: m[1], command: 'node ' + argv.join(' '), stop: () => stopChild(child, 'SIGTERM') });
      }
    };
    const onExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`target exited (${code}):\n${err}`));
    };
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Spawn `node ...argv` (cwd ROOT), tracked for cleanup, with its stdout and stderr gathered as they come
 * in `child.out` and `child.err` (for waitFor and error messages).
 */
export function spawnCaptured(argv, opts = {}) {
  const child = track(spawn(process.execPath, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], ...opts }));
  child.out = '';
  child.err = '';
  child.stdout.on('data', (d) => (child.out += d));
  child.stderr.on('data', (d) => (child.err += d));
  return child;
}

/** The first match of `re` in a spawnCaptured child's output, polled every `everyMs` for up to `ms`. */
export async function waitFor(child, re, ms, everyMs = 50) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const m = re.exec(child.err + child.out);
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`exited early: ${child.err.slice(-500)}`);
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${re}`);
}

/** A TCP port free on 127.0.0.1 just now (for a child's metrics listener). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Send `signal` to `child` (if it still runs) and wait for it to exit. */
export function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * Run `node ...argv` (cwd ROOT) to completion, killed (SIGKILL) after `timeoutMs`.
 * Measures, over the child's run: its CPU seconds (user+sys, its own descendants and threads included),
 * the CPU seconds of each PID in `watch` (and their descendants, e.g. the target), and the CPU the rest
 * of the machine used ("other": other people's jobs, this script), as a share of one core.
 * Resolves { code, signal, out, err, wall, cpu, watchCpu: number[], otherCpuShare, json }, where json is
 * the last stdout line parsed as JSON (undefined if it is not JSON).
 */
export function runChild(argv, { timeoutMs = 120_000, watch = [], env, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuSeconds();
    const watch0 = watch.map((pid) => treeCpuSeconds(pid));
    const busy0 = machineBusySeconds();
    const t0 = performance.now();
    const child = track(spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }));
    onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      const wall = (performance.now() - t0) / 1000;
      const cpu = childrenCpuSeconds() - cpu0;
      const watchCpu = watch.map((pid, i) => treeCpuSeconds(pid) - watch0[i]);
      const busy = machineBusySeconds() - busy0;
      const otherCpuShare = Math.max(0, busy - cpu - watchCpu.reduce((a, b) => a + b, 0)) / wall;
      let json;
      try {
        json = JSON.parse(out.trim().split('\n').pop());
      } catch {}
      resolve({ code, signal, out, err, wall, cpu, watchCpu, otherCpuShare, json });
    });
  });
}

// ---- CPU from /proc -------------------------------------------------------------------------------

function statFields(pid) {
  // After "pid (comm) ": state=0, ppid=1, utime=11, stime=12, cutime=13, cstime=14 (0-based).
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(') ') + 2).split(' ');
}

/** user+sys CPU seconds of process `pid` (all its threads); 0 once it is gone. */
export function cpuSeconds(pid) {
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** user+sys CPU seconds of this process's children that have exited and been reaped. */
export function childrenCpuSeconds() {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** PIDs of the live descendants of `pid` (from the ppid field of every /proc/N/stat). */
export function descendants(pid) {
  const parentOf = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      parentOf.set(Number(name), Number(statFields(name)[1]));
    } catch {}
  }
  const out = [];
  const frontier = [Number(pid)];
  while (frontier.length) {
    const p = frontier.pop();
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        frontier.push(child);
      }
    }
  }
  return out;
}

/**
 * Pin process `pid` and all its threads to CPU `cpu` (taskset -a); threads and processes it starts later
 * inherit it. allThreads false: only the thread whose tid is `pid`. A process that is already gone is left alone.
 */
export function pin(pid, cpu, { allThreads = true } = {}) {
  try {
    execFileSync('taskset', [...(allThreads ? ['-a'] : []), '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  } catch {}
}

/** user+sys CPU ticks of each thread of process `pid`: Map tid -> ticks (empty once it is gone). */
function threadTicks(pid) {
  const out = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const f = statFields(`${pid}/task/${tid}`);
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    }
  } catch {}
  return out;
}

/**
 * Pin only the busiest thread of `pid` other than its main thread (over `sampleMs`, from `afterMs` after
 * the call) to `cpu`: mcpload's engine worker thread, whose threads have no names. Resolves its tid, or
 * undefined when the process had no busy thread but its main one.
 */
export async function pinBusiestThread(pid, cpu, { afterMs = 1000, sampleMs = 500 } = {}) {
  await sleep(afterMs);
  const before = threadTicks(pid);
  await sleep(sampleMs);
  let best;
  let most = 0;
  for (const [tid, ticks] of threadTicks(pid)) {
    const used = ticks - (before.get(tid) ?? 0);
    if (tid !== Number(pid) && used > most) [best, most] = [tid, used];
  }
  if (best !== undefined) pin(best, cpu, { allThreads: false });
  return best;
}

/**
 * CPU seconds of `pid` and its live descendants, plus what its exited children used (cutime+cstime):
 * for a target run with --processes N, whose work happens in child processes.
 */
export function treeCpuSeconds(pid) {
  let sum = 0;
  try {
    const f = statFields(pid);
    sum = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
  } catch {
    return 0;
  }
  for (const d of descendants(pid)) sum += cpuSeconds(d);
  return sum;
}

/** Busy CPU seconds of the whole machine (all processes, all cores), from /proc/stat. */
export function machineBusySeconds() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

// ---- conditions -----------------------------------------------------------------------------------

/** "node v20.x, 2 cores, CPU: ..., linux x64" */
export function machineLine() {
  const model = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? cpus()[0]?.model;
  return `node ${process.version}, ${cpus().length} cores, CPU: ${model}, ${process.platform} ${process.arch}`;
}

/** The 1-minute load average, 2 decimals. */
export const loadAvg1 = () => Number(loadavg()[0].toFixed(2));

// ---- numbers and tables ---------------------------------------------------------------------------

export function median(xs) {
  const s = [...xs].filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmtInt = (x) => (x === undefined ? '' : Math.round(x).toLocaleString('en-US'));
/** µs -> ms text: 2 decimals below 10 ms, none above. */
export const fmtMs = (us) => (us === undefined ? '' : (us / 1000).toFixed(us < 10_000 ? 2 : 0));
/** A share (0.42) as a percentage ("42%"). */
export const pct = (x) => (x === undefined ? '' : `${Math.round(x * 100)}%`);

/**
 * Print a markdown table (header row, alignment row, rows) to stdout. `align` is a string of 'l'/'r'
 * per column (default: first left, the rest right). Cells are printed as given (format them first).
 */
export function printTable(headers, rows, { align, log = console.log } = {}) {
  const al = align ?? 'l' + 'r'.repeat(headers.length - 1);
  log(`| ${headers.join(' | ')} |`);
  log(`|${headers.map((_, i) => (al[i] === 'r' ? '---:' : '---')).join('|')}|`);
  for (const row of rows) log(`| ${row.map((c) => (c === undefined || c === null ? '' : String(c))).join(' | ')} |`);
}

/**
 * Read a finished mcpload child (`c` from runChild, with `targetCpuShare`; argv wrote its JSON report to
 * `report`) into the figures the bench tables share:
 * answered/s over the window (like the raw clients' rpsWithDrain), raw p50/p99, requests in flight per
 * connection by Little's law (throughput x mean raw latency), CPU per answered request, CPU shares.
 */
export function mcploadFigures(c, argv, report, connections) {
  if (c.code !== 0) throw new Error(`mcpload exited ${c.code}: ${c.err.slice(-2000)}`);
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report);
  const errs = Object.entries(r.errors)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`);
  const okRate = r.requests.ok / r.durationSeconds;
  const { sent, dropped } = r.requests;
  return {
    cmd: 'node ' + argv.join(' ').replace(report, 'OUT.json'),
    rps: okRate,
    reportedRps: r.throughput.requestsPerSecond,
    p50us: r.latency.raw.p50,
    p99us: r.latency.raw.p99,
    correctedP50us: r.latency.corrected.p50,
    inFlight: (okRate * r.latency.raw.mean) / 1e6 / connections,
    cpuUsPerReq: (c.cpu * 1e6) / r.requests.ok,
    genCpuShare: c.cpu / c.wall,
    targetCpuShare: c.targetCpuShare,
    otherCpuShare: c.otherCpuShare,
    dropped,
    sent,
    notes: [dropped ? `dropped ${dropped} (${((100 * dropped) / (dropped + sent)).toFixed(0)}% of due)` : '', ...errs].filter(Boolean).join(', '),
  };
}

/**
 * Results per kind of run over rounds (baseline.mjs, http.mjs): `record` keeps a run's figures (rps,
 * p50us, p99us, inFlight, cpuUsPerReq, genCpuShare, targetCpuShare, otherCpuShare, notes, cmd) and
 * prints its line; `med` is the median of one figure over the rounds; `commands` the last command of
 * each kind. `inFlightPer` names what in-flight is counted per ('conn', 'session').
 */
export function roundResults(inFlightPer) {
  const results = new Map();
  const commands = new Map();
  const record = (kind, r) => {
    if (!results.has(kind)) results.set(kind, []);
    results.get(kind).push(r);
    commands.set(kind, r.cmd);
    console.log(
      `  ${kind.padEnd(13)} ${fmtInt(r.rps).padStart(9)} req/s  p50 ${fmtMs(r.p50us).padStart(6)} ms  p99 ${fmtMs(r.p99us).padStart(6)} ms  ` +
        `in-flight/${inFlightPer} ${r.inFlight.toFixed(1).padStart(6)}  gen CPU ${r.cpuUsPerReq.toFixed(1)} µs/req (${pct(r.genCpuShare)})  target ${pct(r.targetCpuShare)}  other ${pct(r.otherCpuShare)}${r.notes ? '  [' + r.notes + ']' : ''}`,
    );
  };
  const med = (kind, key) => median(results.get(kind).map((r) => r[key]));
  return { results, commands, record, med };
}

/**
 * An in-process Engine's config (dist/worker/engine.js) for one engine on one URL with no local addresses,
 * newline frames and no connect limit; `fields` sets the rest (durationMs, snapshotIntervalMs, drainMs, spin, …).
 */
export function localEngineConfig({ profile, url, sessions, ...fields }) {
  return {
    engineId: 0,
    engineCount: 1,
    profile,
    urls: [url],
    localAddresses: [],
    localPorts: { from: 10000, to: 65535 },
    headers: {},
    protocolVersion: '2025-11-25',
    frameTerminator: 'newline',
    connectRate: 0,
    maxConnecting: 1000,
    sessionsPerEngine: sessions,
    openFilesSoft: Infinity,
    startAtMs: Date.now(),
    ...fields,
  };
}
