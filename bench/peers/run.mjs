#!/usr/bin/env node
/**
 * mcpload against its peers (issue 5): Artillery and Tsung driving the same target with the same
 * connections (100), one request in flight per connection and 64-byte ping frames, beside mcpload at
 * depth 1 (bench/peers/ping-64.yaml) and the bare `ws` client (bench/raw-ws-client.mjs) as the ceiling.
 *
 *   npm run build
 *   PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix bench/peers    # Artillery (optional)
 *   apt-get install -y tsung                                          # Tsung (optional)
 *   flock /tmp/mcpload-bench.lock node bench/peers/run.mjs [--rounds 3] [--seconds 15] [--workers 1,2] [--tools raw,mcpload,artillery,tsung]
 *     [--size 64|2048] [--pin]
 *
 * --size: the ping frame's bytes, the same frame for every tool (mcpload's messageSize, the bare
 * client's --size, Artillery's and Tsung's fixed frame padded the way mcpload pads: spaces before the
 * closing brace while `params._meta["mcpload/pad"]` does not fit, that field once it does).
 * --pin: the target on CPU 0 (`taskset -c 0`), the tool under test on CPU 1 (`taskset -c 1`; its
 * threads and children inherit it), so round trips/s compare clients, not two processes sharing a
 * core; Tsung's Erlang VM then runs with the busy-wait of its schedulers off (ERL_AFLAGS `+sbwt none
 * +sbwtdcpu none +sbwtdio none`), so idle schedulers do not spin on the tool's core.
 * Without --pin nothing is pinned and Tsung keeps Erlang's defaults (the earlier behaviour).
 *
 * One target (the code of `mcpload serve`, via bench/peers/target.mjs so its counters can be read)
 * is started once; each round runs every tool once, for the same ping time, alternating the order
 * between rounds. A tool that is not installed is skipped with one line.
 *
 * Round trips/s are counted by the target for every tool alike: the ping requests it answered,
 * sampled every 250 ms, over the tool's steady window (from 1 s after its first ping to 1 s before
 * its last: connection set-up, handshakes and tear-down left out). Generator CPU is the user+sys time
 * of the tool's whole process tree (threads, children) from /proc over the same window, so a tool's
 * start-up (an Erlang VM, Artillery's module loading) does not count; its CPU over the whole run is
 * shown as well. Each tool's own count and percentiles, where it gives them, are shown beside.
 * A last line says what bounded each tool's rate: the target's core (>= 95 % busy: with --pin, a round-trips/s
 * ratio against a slower peer is then the one-core target's ceiling over that peer), the tool's own, or neither.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import {
  ROOT,
  CLK_TCK,
  sleep,
  track,
  tmpDir,
  treeCpuSeconds,
  cpuSeconds,
  machineBusySeconds,
  machineLine,
  median,
  fmtInt,
  fmtMs,
  pct,
  printTable,
  mcploadNodeFlags,
} from '../lib.mjs';
import { requestTails } from '../raw-ws-client.mjs';

const PEERS = join(ROOT, 'bench', 'peers');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '15' },
    workers: { type: 'string', default: '1,2' },
    tools: { type: 'string', default: 'raw,mcpload,artillery,tsung' },
    size: { type: 'string', default: '64' },
    pin: { type: 'boolean', default: false },
  },
});
const FRAME_BYTES = Number(args.size);
if (!Number.isInteger(FRAME_BYTES) || FRAME_BYTES < 41 || FRAME_BYTES > 1 << 20) {
  console.error(`peers: --size must be a whole number of bytes from 41 to 1048576, got ${args.size}`);
  process.exit(2);
}
const PIN = args.pin;
if (PIN && !taskset()) {
  console.error('peers: --pin needs taskset (apt-get install -y util-linux)');
  process.exit(2);
}
/** [cmd, argv] run on `cpu` when --pin, unchanged otherwise. */
const onCpu = (cpu, cmd, argv) => (PIN ? [taskset(), ['-c', String(cpu), cmd, ...argv]] : [cmd, argv]);
const pinText = (cpu) => (PIN ? `taskset -c ${cpu} ` : '');
/** Erlang flags for Tsung's VM under --pin: schedulers sleep when idle instead of spinning. */
const ERL_NO_SPIN = '+sbwt none +sbwtdcpu none +sbwtdio none';
function taskset() {
  for (const dir of ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(':')]) if (dir && existsSync(join(dir, 'taskset'))) return join(dir, 'taskset');
  return undefined;
}
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const WORKERS = args.workers.split(',').map(Number);
const TOOLS = args.tools.split(',');
const CONNECTIONS = 100; // fixed by ping-64.yaml, artillery.yaml and tsung.xml
/** A core this busy (median over rounds) is what held a tool's rate back: the target's, or the tool's own. */
const BOUND_SHARE = 0.95;
/** The ping frame Artillery and Tsung repeat (id 1), padded to FRAME_BYTES like mcpload's and the bare client's. */
const PING_FRAME = '{"jsonrpc":"2.0","id":1' + requestTails('ping', undefined, FRAME_BYTES)[1];
/** The 64-byte ping frame written in artillery.yaml and tsung.xml, replaced by PING_FRAME in their run copies. */
const PING_64 = '{"jsonrpc":"2.0","id":1,"method":"ping"                       }\n';
const SAMPLE_MS = 250;
const TRIM_S = 1;
const tmp = tmpDir('mcpload-peers-');
if (Buffer.byteLength(PING_64) !== 64 || requestTails('ping', undefined, 64)[1] !== PING_64.slice('{"jsonrpc":"2.0","id":1'.length))
  throw new Error('PING_64 is not the 64-byte frame');
if (Buffer.byteLength(PING_FRAME) !== FRAME_BYTES) throw new Error(`the ping frame is ${Buffer.byteLength(PING_FRAME)} bytes, not ${FRAME_BYTES}`);

// ---- the target -----------------------------------------------------------------------------------

let target;
function startTarget() {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = onCpu(0, process.execPath, [join(PEERS, 'target.mjs')]);
    const child = track(spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }), 'SIGTERM');
    let err = '';
    const timer = setTimeout(() => reject(new Error('target did not start in 10 s:\n' + err)), 10_000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (ws:\/\/\S+)/.exec(err);
      if (m && !target) {
        clearTimeout(timer);
        target = { child, pid: child.pid, url: m[1] };
        resolve(target);
      }
    });
    child.once('exit', (code) => reject(new Error(`target exited (${code}):\n${err}`)));
  });
}

let pendingStats;
function targetStats() {
  return new Promise((resolve) => {
    pendingStats = resolve;
    target.child.send('stats');
  });
}

// ---- one run of one tool --------------------------------------------------------------------------

/**
 * Start `cmd args`, sample the target's ping count, the tool tree's CPU, the target's CPU and the
 * machine's busy time every SAMPLE_MS until the tool exits (killed after its time limit).
 */
async function runTool(cmd0, argv0, { env, timeoutMs, onTimeout } = {}) {
  const [cmd, argv] = onCpu(1, cmd0, argv0);
  const samples = [];
  const sample = async (pid) => {
    const s = await targetStats();
    samples.push({
      t: performance.now() / 1000,
      pings: s.stats.byMethod.ping ?? 0,
      gen: pid ? treeCpuSeconds(pid) : undefined,
      target: cpuSeconds(target.pid),
      busy: machineBusySeconds(),
      self: process.cpuUsage(),
    });
  };
  await sample();
  const t0 = performance.now();
  const child = track(spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  let exited = false;
  const done = new Promise((resolve) => child.once('close', (code, signal) => ((exited = true), resolve({ code, signal }))));
  const killer = setTimeout(() => (onTimeout ? onTimeout(child) : child.kill('SIGKILL')), timeoutMs);
  // The tree's CPU is read while it runs (its reaped children are in the root's cutime/cstime);
  // after the root exits, what it used is in this process's cutime/cstime, read below.
  const selfChildren0 = childrenCpu();
  let affinity;
  while (!exited) {
    await Promise.race([sleep(SAMPLE_MS), done]);
    if (!exited) await sample(child.pid);
    // Once, well into the run (the VM, workers and engine threads are up): where every thread may run.
    if (!exited && !affinity && performance.now() - t0 > 4000)
      affinity = { tool: affinityOf([child.pid, ...descendantsOf(child.pid)]), target: affinityOf([target.pid]) };
  }
  const { code, signal } = await done;
  clearTimeout(killer);
  await sample();
  const wall = (performance.now() - t0) / 1000;
  const wholeCpu = childrenCpu() - selfChildren0;
  return { code, signal, out, err, wall, wholeCpu, affinity, window: steadyWindow(samples) };
}

/**
 * The CPUs each thread of `pids` may run on (/proc/PID/task/TID/status Cpus_allowed_list), as
 * "N processes, M threads: CPUS (count)[, ...]", plus the Erlang VM's scheduler wait flags when one is there.
 */
function affinityOf(pids) {
  const byList = new Map();
  let threads = 0;
  let procs = 0;
  let erl = '';
  for (const pid of pids) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    procs++;
    for (const tid of tids) {
      try {
        const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
        if (!m) continue;
        threads++;
        byList.set(m[1], (byList.get(m[1]) ?? 0) + 1);
      } catch {}
    }
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (/beam/.test(argv[0])) {
        const flags = [];
        for (let i = 0; i < argv.length; i++) if (/^\+sbwt/.test(argv[i])) flags.push(`${argv[i]} ${argv[i + 1]}`);
        // ERL_AFLAGS reaches the VM through its environment, not its argv.
        const env = /(?:^|\0)ERL_AFLAGS=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'));
        if (env) flags.push(`ERL_AFLAGS='${env[1]}'`);
        erl = `; beam ${flags.length ? flags.join(' ') : 'with default scheduler busy-wait'}`;
      }
    } catch {}
  }
  return `${procs} proc, ${threads} threads: ${[...byList].map(([l, n]) => `CPU ${l} (${n})`).join(', ')}${erl}`;
}

function childrenCpu() {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(') ') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** Rates over the steady window: from TRIM_S after the first answered ping to TRIM_S before the last. */
function steadyWindow(samples) {
  const p0 = samples[0].pings;
  const first = samples.findIndex((s) => s.pings > p0);
  let last = samples.length - 1;
  while (last > 0 && samples[last - 1].pings === samples[last].pings) last--;
  if (first < 0 || last <= first) return undefined;
  const from = samples.find((s) => s.t >= samples[first].t + TRIM_S && s.gen !== undefined);
  const to = [...samples].reverse().find((s) => s.t <= samples[last].t - TRIM_S && s.gen !== undefined);
  if (!from || !to || to.t - from.t < 1) return undefined;
  const secs = to.t - from.t;
  const pings = to.pings - from.pings;
  const gen = to.gen - from.gen;
  const tgt = to.target - from.target;
  const self = (to.self.user + to.self.system - from.self.user - from.self.system) / 1e6;
  return {
    seconds: secs,
    pingSeconds: samples[last].t - samples[first].t,
    rps: pings / secs,
    genCpuShare: gen / secs,
    cpuUsPerReq: (gen * 1e6) / pings,
    targetCpuShare: tgt / secs,
    otherCpuShare: Math.max(0, to.busy - from.busy - gen - tgt - self) / secs,
  };
}

// ---- the tools ------------------------------------------------------------------------------------

// PEERS_ARTILLERY (env): another Artillery install's package directory, to compare versions.
const ARTILLERY_DIR = process.env.PEERS_ARTILLERY ?? join(PEERS, 'node_modules', 'artillery');
const ARTILLERY_BIN = join(ARTILLERY_DIR, 'bin', 'run');
function artilleryVersion() {
  try {
    return JSON.parse(readFileSync(join(ARTILLERY_DIR, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}
function tsungBin() {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'tsung'))) return join(dir, 'tsung');
  return undefined;
}

const kinds = [];
if (TOOLS.includes('raw')) {
  kinds.push({
    kind: 'bare ws',
    cmd: () => `${pinText(1)}node bench/raw-ws-client.mjs --url URL --connections ${CONNECTIONS} --depth 1 --size ${FRAME_BYTES} --duration ${SECONDS}`,
    run: async (url) => {
      const argv = [
        'bench/raw-ws-client.mjs',
        '--url',
        url,
        '--connections',
        String(CONNECTIONS),
        '--depth',
        '1',
        '--size',
        String(FRAME_BYTES),
        '--duration',
        String(SECONDS),
      ];
      const r = await runTool(process.execPath, argv, { timeoutMs: (SECONDS + 30) * 1000 });
      if (r.code !== 0) throw new Error(`raw client exited ${r.code}: ${r.err.slice(-1000)}`);
      const j = JSON.parse(r.out.trim().split('\n').pop());
      return { ...r, ownRps: j.rpsWithDrain, p50us: j.p50us, p99us: j.p99us, pcts: 'p50/p99 (HDR)', notes: j.errors ? `${j.errors} errors` : '' };
    },
  });
}
if (TOOLS.includes('mcpload')) {
  for (const w of WORKERS) {
    kinds.push({
      kind: `mcpload w${w}`,
      cmd: () =>
        `${pinText(1)}${['node', ...mcploadNodeFlags(), 'dist/bin.js'].join(' ')} --url URL --profile ${FRAME_BYTES === 64 ? 'bench/peers/ping-64.yaml' : `PROFILE(ping-64.yaml, messageSize ${FRAME_BYTES})`} --duration ${SECONDS}s --workers ${w} --metrics-port 0 --quiet --report OUT.json`,
      run: async (url) => {
        const report = join(tmp, `mcpload-w${w}.json`);
        const argv = [
          ...mcploadNodeFlags(),
          'dist/bin.js',
          '--url',
          url,
          '--profile',
          mcploadProfile(),
          '--duration',
          `${SECONDS}s`,
          '--workers',
          String(w),
          '--metrics-port',
          '0',
          '--quiet',
          '--report',
          report,
        ];
        const r = await runTool(process.execPath, argv, { timeoutMs: (SECONDS + 30) * 1000 });
        if (r.code !== 0) throw new Error(`mcpload exited ${r.code}: ${r.err.slice(-1000)}`);
        const j = JSON.parse(readFileSync(report, 'utf8'));
        rmSync(report);
        const errs = Object.entries(j.errors)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${k}=${n}`);
        return {
          ...r,
          ownRps: j.requests.ok / j.durationSeconds,
          p50us: j.latency.raw.p50,
          p99us: j.latency.raw.p99,
          p999us: j.latency.raw.p999,
          pcts: 'all (HDR, exact)',
          notes: errs.join(', '),
        };
      },
    });
  }
}
if (TOOLS.includes('artillery')) {
  kinds.push({
    kind: 'Artillery',
    missing: () => (existsSync(ARTILLERY_BIN) ? undefined : 'not installed (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix bench/peers)'),
    cmd: () =>
      `ARTILLERY_DISABLE_TELEMETRY=true PEERS_SECONDS=${SECONDS} ${pinText(1)}node bench/peers/node_modules/artillery/bin/run run --target URL --output OUT.json ${FRAME_BYTES === 64 ? 'bench/peers/artillery.yaml' : `COPY(artillery.yaml, ${FRAME_BYTES}-byte ping)`}`,
    run: async (url) => {
      const report = join(tmp, 'artillery.json');
      const argv = [ARTILLERY_BIN, 'run', '--target', url, '--output', report, artilleryScript()];
      const r = await runTool(process.execPath, argv, {
        env: { ARTILLERY_DISABLE_TELEMETRY: 'true', PEERS_SECONDS: String(SECONDS) },
        timeoutMs: (SECONDS + 60) * 1000,
      });
      if (r.code !== 0) throw new Error(`artillery exited ${r.code}: ${r.err.slice(-1000)}`);
      const c = JSON.parse(readFileSync(report, 'utf8')).aggregate.counters;
      rmSync(report);
      // Its own count: frames received less the 100 initialize answers, over the ping time per user.
      const received = (c['websocket.messages_received'] ?? 0) - (c['vusers.created'] ?? 0);
      const failed = c['vusers.failed'] ?? 0;
      return { ...r, ownRps: received / SECONDS, pcts: 'none per request', notes: failed ? `${failed} vusers failed` : '' };
    },
  });
}
if (TOOLS.includes('tsung')) {
  kinds.push({
    kind: 'Tsung',
    missing: () => (tsungBin() ? undefined : 'not installed (apt-get install -y tsung)'),
    cmd: () =>
      `${PIN ? `ERL_AFLAGS='${ERL_NO_SPIN}' ` : ''}${pinText(1)}tsung -n -l LOGDIR -f bench/peers/tsung.xml(port, duration ${SECONDS + 3} s${FRAME_BYTES === 64 ? '' : `, ${FRAME_BYTES}-byte ping`}) start`,
    run: async (url) => {
      const port = new URL(url).port;
      const dir = join(tmp, `tsung-${Date.now()}`);
      mkdirSync(join(dir, 'home'), { recursive: true });
      const xml = join(dir, 'tsung.xml');
      writeFileSync(
        xml,
        readFileSync(join(PEERS, 'tsung.xml'), 'utf8')
          .replace('port="PORT"', `port="${port}"`)
          .replace('duration="SECONDS"', `duration="${SECONDS + 3}"`)
          .replace(PING_64, PING_FRAME),
      );
      const r = await runTool(tsungBin(), ['-n', '-l', join(dir, 'log'), '-f', xml, 'start'], {
        // HOME: tsung creates ~/.tsung even with -l; keep it in the tmp dir.
        env: { HOME: join(dir, 'home'), ...(PIN ? { ERL_AFLAGS: [process.env.ERL_AFLAGS, ERL_NO_SPIN].filter(Boolean).join(' ') } : {}) },
        timeoutMs: (SECONDS + 40) * 1000,
        // Overran: end the Erlang VM (and anything else under the script) by PID, then the script.
        onTimeout: (child) => {
          for (const pid of descendantsOf(child.pid).reverse())
            try {
              process.kill(pid, 'SIGKILL');
            } catch {}
          child.kill('SIGKILL');
        },
      });
      const logDir = join(dir, 'log', readdirSync(join(dir, 'log'))[0] ?? '');
      const log = readFileSync(join(logDir, 'tsung.log'), 'utf8');
      // Each dump has per-period figures: `stats: request COUNT MEAN_MS STDDEV MAX MIN ...`.
      let count = 0;
      let weighted = 0;
      let max = 0;
      for (const m of log.matchAll(/^stats: request (\d+) ([\d.]+) [\d.]+ ([\d.]+)/gm)) {
        count += Number(m[1]);
        weighted += Number(m[1]) * Number(m[2]);
        max = Math.max(max, Number(m[3]));
      }
      const users = Math.max(0, ...[...log.matchAll(/^stats: users_count \d+ (\d+)/gm)].map((m) => Number(m[1])));
      const errors = [...log.matchAll(/^stats: (error_\S+) \d+ (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`).filter((e) => e !== 'error_abort=1');
      rmSync(dir, { recursive: true, force: true });
      return {
        ...r,
        // Its own count: requests (the pings plus one initialize per user) over the ping time seen by the target.
        ownRps: (count - users) / (r.window?.pingSeconds ?? SECONDS),
        meanUs: count ? (weighted / count) * 1000 : undefined,
        maxUs: max * 1000,
        pcts: 'mean, max per 10 s',
        notes: [users !== CONNECTIONS ? `${users} users` : '', ...errors].filter(Boolean).join(', '),
      };
    },
  });
}

/** ping-64.yaml, or a copy of it with messageSize FRAME_BYTES. */
function mcploadProfile() {
  const src = join(PEERS, 'ping-64.yaml');
  if (FRAME_BYTES === 64) return src;
  const file = join(tmp, `ping-${FRAME_BYTES}.yaml`);
  const text = readFileSync(src, 'utf8');
  if (!/^messageSize: 64 /m.test(text)) throw new Error('ping-64.yaml has no "messageSize: 64" line');
  writeFileSync(file, text.replace(/^messageSize: 64 /m, `messageSize: ${FRAME_BYTES} `));
  return file;
}

/** artillery.yaml, or a copy of it (next to a copy of its processor) whose ping is PING_FRAME. */
function artilleryScript() {
  const src = join(PEERS, 'artillery.yaml');
  if (FRAME_BYTES === 64) return src;
  const file = join(tmp, `artillery-${FRAME_BYTES}.yaml`);
  const text = readFileSync(src, 'utf8');
  const ping64 = JSON.stringify(PING_64).slice(1, -1); // as written in the YAML's double-quoted payload
  if (!text.includes(ping64)) throw new Error('artillery.yaml has no 64-byte ping payload');
  writeFileSync(file, text.replace(ping64, JSON.stringify(PING_FRAME).slice(1, -1)));
  writeFileSync(join(tmp, 'artillery-processor.cjs'), readFileSync(join(PEERS, 'artillery-processor.cjs')));
  return file;
}

function descendantsOf(pid) {
  const parentOf = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(text.slice(text.lastIndexOf(') ') + 2).split(' ')[1]));
    } catch {}
  }
  const out = [];
  const frontier = [pid];
  while (frontier.length) {
    const p = frontier.pop();
    for (const [c, parent] of parentOf) if (parent === p) (out.push(c), frontier.push(c));
  }
  return out;
}

/** When dist/ was last built (the newest of a few files every build writes). */
function distBuilt() {
  const files = ['bin.js', 'cli.js', join('worker', 'session.js'), join('worker', 'engine.js'), join('target', 'server.js')];
  return new Date(
    Math.max(
      ...files.map((f) => {
        try {
          return statSync(join(ROOT, 'dist', f)).mtimeMs;
        } catch {
          return 0;
        }
      }),
    ),
  ).toISOString();
}

function gitHead() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT }).toString().trim() ? ' + uncommitted src/ changes' : '';
    return head + dirty;
  } catch {
    return 'unknown';
  }
}

function epmdPids() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'epmd') pids.push(Number(name));
    } catch {}
  }
  return pids;
}

// ---- main -----------------------------------------------------------------------------------------

async function main() {
  console.log(`# mcpload vs peers  ${new Date().toISOString()}`);
  console.log(machineLine());
  console.log(
    `command: node bench/peers/run.mjs --rounds ${ROUNDS} --seconds ${SECONDS} --workers ${WORKERS.join(',')} --tools ${TOOLS.join(',')} --size ${FRAME_BYTES}${PIN ? ' --pin' : ''}`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const built = distBuilt();
  console.log(`mcpload: dist/ built ${built} (git ${gitHead()})`);
  if (TOOLS.includes('artillery') && artilleryVersion()) console.log(`Artillery ${artilleryVersion()} (${ARTILLERY_DIR}), Node ${process.version}`);
  const epmdBefore = epmdPids();
  await startTarget();
  target.child.on('message', (m) => pendingStats?.(m));
  console.log(`target: ${pinText(0)}node bench/peers/target.mjs  (mcpload serve's code, 1 process; pid ${target.pid}, ${target.url})`);
  console.log(
    PIN
      ? `pinned: the target on CPU 0, each tool under test on CPU 1 (taskset; Tsung with ERL_AFLAGS='${ERL_NO_SPIN}'); this script unpinned`
      : 'not pinned: the target and the tool share both cores with everything else',
  );
  console.log(
    `workload: ${CONNECTIONS} connections, MCP handshake, then ping with 1 in flight per connection, ${FRAME_BYTES}-byte frames, ${SECONDS} s of pinging per run\n`,
  );

  const active = [];
  for (const k of kinds) {
    const why = k.missing?.();
    if (why) console.log(`skip ${k.kind}: ${why}`);
    else active.push(k);
  }
  const results = new Map(active.map((k) => [k.kind, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? active : [...active].reverse();
    console.log(`round ${round}  (load average ${loadavg()[0].toFixed(2)})`);
    for (const k of order) {
      let r;
      try {
        r = await k.run(target.url);
      } catch (err) {
        console.log(`  ${k.kind.padEnd(11)} FAILED: ${err.message.split('\n')[0]}`);
        continue;
      }
      const w = r.window;
      if (!w) {
        console.log(`  ${k.kind.padEnd(11)} no steady window (the target saw no pings)`);
        continue;
      }
      results.get(k.kind).push(r);
      console.log(
        `  ${k.kind.padEnd(11)} ${fmtInt(w.rps).padStart(7)} rt/s (own count ${fmtInt(r.ownRps)})  gen CPU ${pct(w.genCpuShare)} ${w.cpuUsPerReq.toFixed(1)} µs/rt  ` +
          `whole run ${r.wholeCpu.toFixed(1)} s CPU in ${r.wall.toFixed(1)} s  target ${pct(w.targetCpuShare)}  other ${pct(w.otherCpuShare)}` +
          `${r.p50us !== undefined ? `  p50 ${fmtMs(r.p50us)} p99 ${fmtMs(r.p99us)} ms` : ''}${r.meanUs !== undefined ? `  mean ${fmtMs(r.meanUs)} ms` : ''}${r.notes ? `  [${r.notes}]` : ''}`,
      );
      if (r.affinity && round === 1) console.log(`    affinity: tool ${r.affinity.tool}; target ${r.affinity.target}`);
    }
  }

  const med = (kind, f) => median(results.get(kind).map(f));
  console.log(
    `\nmedians over ${ROUNDS} rounds (${SECONDS} s of pinging each, ${CONNECTIONS} connections, 1 in flight each, ${FRAME_BYTES}-byte frames), load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}:\n`,
  );
  const rows = [];
  // Which side held each tool's rate back: with --pin the target has one core, and a tool that fills it gets the
  // target's ceiling, so a round-trips/s ratio against a slower peer is then bounded by that ceiling, not by mcpload.
  const bound = [];
  for (const [kind, rs] of results) {
    if (!rs.length) continue;
    const r0 = rs[0];
    const target = med(kind, (r) => r.window.targetCpuShare);
    const gen = med(kind, (r) => r.window.genCpuShare);
    bound.push(`${kind} ${target >= BOUND_SHARE ? 'the target' : gen >= BOUND_SHARE ? 'itself' : 'neither'} (target ${pct(target)}, tool ${pct(gen)})`);
    rows.push([
      kind,
      fmtInt(med(kind, (r) => r.window.rps)),
      fmtInt(med(kind, (r) => r.ownRps)),
      pct(gen),
      med(kind, (r) => r.window.cpuUsPerReq).toFixed(1),
      med(kind, (r) => r.wholeCpu).toFixed(1),
      pct(target),
      pct(med(kind, (r) => r.window.otherCpuShare)),
      r0.p50us !== undefined ? fmtMs(med(kind, (r) => r.p50us)) : r0.meanUs !== undefined ? `mean ${fmtMs(med(kind, (r) => r.meanUs))}` : '',
      r0.p99us !== undefined ? fmtMs(med(kind, (r) => r.p99us)) : '',
      r0.pcts,
    ]);
  }
  printTable(
    [
      'tool',
      'rt/s (target)',
      'rt/s (own count)',
      'gen CPU',
      'gen CPU µs/rt',
      'whole-run CPU s',
      'target CPU',
      'other CPU',
      'p50 ms',
      'p99 ms',
      'percentiles given',
    ],
    rows,
  );

  // Ratios: per round (same conditions), then the median.
  const mcploads = [...results.keys()].filter((k) => k.startsWith('mcpload'));
  const peers = [...results.keys()].filter((k) => !k.startsWith('mcpload'));
  /** One line per mcpload run: the median over rounds of ratio(mcpload round, peer round) for each peer. */
  const printRatios = (title, ratio) => {
    console.log(title);
    for (const m of mcploads) {
      const parts = [];
      for (const p of peers) {
        const n = Math.min(results.get(m).length, results.get(p).length);
        if (!n) continue;
        const ratios = [];
        for (let i = 0; i < n; i++) ratios.push(ratio(results.get(m)[i].window, results.get(p)[i].window));
        parts.push(`${median(ratios).toFixed(2)}x ${p}`);
      }
      console.log(`  ${m}: ${parts.join(', ')}`);
    }
  };
  printRatios("\nmcpload / peer, round trips/s (median of per-round ratios; the target's count):", (m, p) => m.rps / p.rps);
  // CPU per round trip is less sensitive to the machine's other load than round trips/s.
  printRatios(
    'peer / mcpload, generator CPU per round trip (median of per-round ratios; above 1: the peer costs more):',
    (m, p) => p.cpuUsPerReq / m.cpuUsPerReq,
  );
  console.log(`bound by (median CPU of a core >= ${pct(BOUND_SHARE)}): ${bound.join('; ')}`);
  console.log('\ncolumns: rt/s (target) = ping answers the target sent per second over the steady window (1 s after the first');
  console.log('answered ping to 1 s before the last), the same count for every tool; rt/s (own count) = what the tool itself counts');
  console.log('(mcpload ok/duration; bare ws answers incl. drain/duration; Artillery frames received less the 100 initialize');
  console.log(`answers / ${SECONDS} s; Tsung requests less one initialize per user / ping time seen by the target).`);
  console.log("gen CPU = user+sys of the tool's process tree over the steady window, as a share of one core, and per round trip;");
  console.log("whole-run CPU s = the same over the tool's whole run, start-up and tear-down included; other = the rest of the");
  console.log("machine (other people's jobs), this script left out. Percentiles: per-request latency from the actual send.");
  if (distBuilt() !== built) console.log(`\nWARNING: dist/ was rebuilt during this run (now ${distBuilt()}): rounds may mix two builds of mcpload`);
  console.log('\ncommands (URL = the target, OUT/LOGDIR = temporary):');
  for (const k of active) console.log(`  ${k.kind}: ${k.cmd()}`);

  // Tsung's Erlang distribution started epmd (a daemon) if none ran: end the one this run started.
  const started = epmdPids().filter((p) => !epmdBefore.includes(p));
  for (const pid of started) {
    try {
      execFileSync('epmd', ['-kill'], { stdio: 'ignore' });
    } catch {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
  }
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error('peers: ' + (err.stack ?? err));
    process.exit(1);
  });
