#!/usr/bin/env node
/**
 * Accuracy (issue 5), three parts, each against `mcpload serve` children of this script:
 *   a  rate: each built-in profile at its nominal clients and rate, against a target that keeps up;
 *      achieved request rate vs the profile's target rate (within 1%?), from the report and from the
 *      steady-state seconds of its timeline. message-bomber (100K/s of pings) runs against both a
 *      one-process and a two-process target, since one target process may not answer that many.
 *   b  stall: the normal profile against `serve --stall-every 10s --stall-for 1s`; corrected vs raw
 *      latency (p50, p99, max): does the corrected p99 show the stall and the raw p99 not?
 *   c  generator-added latency: the bare client's max rate (closed loop, depth 64), then mcpload (open
 *      model, generated profile) and the bare client paced on mcpload's own schedule (raw-ws-client
 *      --rate --paced: 1 ms ticker sending 0.5 ms ahead, socket events 1/8 ms ahead, so its latency is
 *      the target's, not its own bursts'; --burst: mcpload's drop rule, a request more than `burst` of its
 *      connection's intervals late is dropped, not sent and timed), at 25/50/75% of the max with the same connections; the ratios
 *      of mcpload's corrected p50 and p99 to the paced client's (target: each <= 1.25×, 0 dropped at
 *      50%). --spin adds mcpload --spin rounds, --burst-bare the bare client on its bursty 1 ms timer.
 *      --warmup S: both clients alike run their schedule S seconds before measuring (mcpload --warmup,
 *      raw-ws-client --warmup): start-up is then left out on both sides; --latency-seconds is measured after it.
 *      --pin: the target on CPU 0, each client under test (mcpload's whole tree, the bare client) on CPU 1
 *      (taskset -a), so neither client shares a core with the target. --pin-split (a diagnostic): mcpload's
 *      process (its main thread, V8's and libuv's helpers) shares CPU 0 with the target and only its engine
 *      worker thread (the busiest thread but main, picked 1.5 s in) gets CPU 1, to see whether the rest of
 *      the process competing for the engine's core is what adds to the tail.
 *      mcpload runs with the node flags of the bin's first line (src/bin.ts), as `mcpload` and `npx mcpload` do, and
 *      BENCH_MCPLOAD_NODE_FLAGS="--flag ..." after them (bench/lib.mjs mcploadNodeFlags: flags V8 takes only at
 *      start, e.g. --single-threaded-gc, or --v8-pool-size=4 for Node's default pool), for A/B runs; BENCH_ENGINE_* knobs are in src/main/engines.ts;
 *      BENCH_WAKE_HOLD=1 holds a wake-up's frames to the turn's end as before 2026-12-06 (src/worker/session/session.ts).
 *
 *   npm run build && node bench/accuracy.mjs [--parts a,b,c] [--seconds 20] [--slow-seconds 100]
 *        [--stall-seconds 35] [--latency-seconds 10] [--rounds 3] [--connections 100] [--size 64] [--workers 1]
 *        [--fractions 0.25,0.5,0.75] [--spin] [--burst-bare] [--warmup S] [--pin | --pin-split]
 */
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import {
  ROOT,
  startServe,
  runChild,
  pin,
  pinBusiestThread,
  tmpDir,
  machineLine,
  loadAvg1,
  median,
  fmtInt,
  fmtMs,
  pct,
  printTable,
  mcploadNodeFlags,
} from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: 'a,b,c' },
    seconds: { type: 'string', default: '20' },
    'slow-seconds': { type: 'string', default: '100' },
    'stall-seconds': { type: 'string', default: '35' },
    'latency-seconds': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '100' },
    size: { type: 'string', default: '64' },
    workers: { type: 'string', default: '1' },
    profiles: { type: 'string', default: 'high-load,normal,low-load,slow-client,message-bomber' },
    fractions: { type: 'string', default: '0.25,0.5,0.75' },
    spin: { type: 'boolean', default: false },
    'burst-bare': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '0' },
    pin: { type: 'boolean', default: false },
    'pin-split': { type: 'boolean', default: false },
  },
});
const PARTS = new Set(args.parts.split(','));
const SECONDS = Number(args.seconds);
const SLOW_SECONDS = Number(args['slow-seconds']);
const STALL_SECONDS = Number(args['stall-seconds']);
const LAT_SECONDS = Number(args['latency-seconds']);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const SIZE = Number(args.size);
const WORKERS = Number(args.workers);
const FRACTIONS = args.fractions.split(',').map(Number);
const SPIN = args.spin;
const BURST = args['burst-bare'];
/** Part c: seconds both clients send before measuring starts (0: none). */
const WARMUP = Number(args.warmup);
/** Part c: 'all' (--pin: target CPU 0, clients CPU 1), 'split' (--pin-split: mcpload's engine thread alone on CPU 1), or none. */
const PIN = args['pin-split'] ? 'split' : args.pin ? 'all' : undefined;
/** onSpawn for a bare client under --pin or --pin-split: CPU 1. */
const pinBare = PIN ? (child) => pin(child.pid, 1) : undefined;
/** onSpawn for mcpload: its whole tree on CPU 1 (--pin), or its process on CPU 0 and its engine thread on CPU 1 (--pin-split). */
const pinMcpload = PIN
  ? (child) => {
      if (PIN === 'all') return pin(child.pid, 1);
      pin(child.pid, 0);
      pinBusiestThread(child.pid, 1).then((tid) => console.log(`  (--pin-split: mcpload pid ${child.pid}, engine thread ${tid ?? 'NOT found'} on CPU 1)`));
    }
  : undefined;
const tmp = tmpDir();

/** Run mcpload to completion and return its JSON report with the child's CPU figures. */
async function mcpload(url, profile, seconds, extra = [], watch = [], onSpawn = undefined) {
  const report = join(tmp, 'report.json');
  const nodeFlags = mcploadNodeFlags();
  const argv = ['dist/bin.js', '--url', url, '--profile', profile, '--duration', `${seconds}s`, '--metrics-port', '0', '--report', report, '--quiet', ...extra];
  const run = await runChild([...nodeFlags, ...argv], { timeoutMs: (seconds + 60) * 1000, watch, onSpawn });
  if (run.code !== 0) throw new Error(`mcpload exited ${run.code}: ${run.err.slice(-2000)}`);
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report);
  const cmd = 'node ' + [...nodeFlags, ...argv].join(' ').replace(report, 'OUT.json').replace(url, 'ws://127.0.0.1:PORT/mcp/ws');
  return { r, run, cmd, load: loadAvg1() };
}

const errorText = (r) =>
  [
    r.requests.dropped ? `dropped ${r.requests.dropped}` : '',
    r.requests.failed ? `failed ${r.requests.failed}` : '',
    ...Object.entries(r.errors)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}=${n}`),
  ]
    .filter(Boolean)
    .join(', ');

/**
 * Requests/s over the timeline's whole seconds, leaving out the first two (sessions connecting, engines
 * starting) and the last two (the end of sending falls in one of them).
 */
function steadyRate(r) {
  const points = r.timeline.slice(2, -2);
  if (points.length === 0) return undefined;
  return points.reduce((a, p) => a + p.sent, 0) / points.length;
}

// ---- a: rate accuracy -----------------------------------------------------------------------------

async function partA() {
  console.log('\n## a. achieved rate vs target rate, each profile at its nominal clients and rate\n');
  const one = await startServe();
  const two = await startServe(['--processes', '2']);
  console.log(`targets: ${one.command} (pid ${one.pid}); ${two.command} (pid ${two.pid}; its CPU includes its child processes)\n`);
  const runs = [];
  for (const name of args.profiles.split(',')) {
    const targets = name === 'message-bomber' ? [one, two] : [one];
    for (const t of targets) {
      const seconds = name === 'slow-client' ? SLOW_SECONDS : SECONDS;
      const { r, run, cmd, load } = await mcpload(t.url, name, seconds, [], [t.pid]);
      const procs = t === two ? 2 : 1;
      const steady = steadyRate(r);
      const row = {
        name: `${name}${targets.length > 1 ? ` (target ${procs} proc)` : ''}`,
        cmd,
        clients: r.config.clients,
        target: r.throughput.targetRequestsPerSecond,
        achieved: r.throughput.requestsPerSecond,
        ratio: r.throughput.achievedRatio,
        steadyRatio: steady === undefined ? undefined : steady / r.throughput.targetRequestsPerSecond,
        okRatio: r.requests.ok / r.durationSeconds / r.throughput.targetRequestsPerSecond,
        window: r.durationSeconds,
        sent: r.requests.sent,
        corrected: r.latency.corrected,
        raw: r.latency.raw,
        genCpu: run.cpu / run.wall,
        targetCpu: run.watchCpu[0] / run.wall,
        other: run.otherCpuShare,
        load,
        notes: errorText(r),
      };
      runs.push(row);
      console.log(
        `  ${row.name}: sent ${row.sent} in ${row.window.toFixed(2)} s, ${fmtInt(row.achieved)} of ${fmtInt(row.target)} req/s (${(row.ratio * 100).toFixed(2)}%)${row.notes ? '  [' + row.notes + ']' : ''}`,
      );
    }
  }
  one.stop();
  two.stop();
  console.log();
  printTable(
    [
      'profile',
      'clients',
      'target req/s',
      'achieved req/s',
      'achieved/target',
      'within 1%',
      'steady-state/target',
      'ok/s / target',
      'window s',
      'corrected p50 / p99 ms',
      'raw p50 / p99 ms',
      'gen CPU',
      'target CPU',
      'other CPU',
      'load',
      'notes',
    ],
    runs.map((x) => [
      x.name,
      x.clients,
      fmtInt(x.target),
      fmtInt(x.achieved),
      `${(x.ratio * 100).toFixed(2)}%`,
      Math.abs(x.ratio - 1) <= 0.01 ? 'yes' : '**no**',
      x.steadyRatio === undefined ? '' : `${(x.steadyRatio * 100).toFixed(2)}%`,
      `${(x.okRatio * 100).toFixed(2)}%`,
      x.window.toFixed(2),
      `${fmtMs(x.corrected.p50)} / ${fmtMs(x.corrected.p99)}`,
      `${fmtMs(x.raw.p50)} / ${fmtMs(x.raw.p99)}`,
      pct(x.genCpu),
      pct(x.targetCpu),
      pct(x.other),
      x.load,
      x.notes,
    ]),
  );
  console.log("\nachieved = the report's throughput.requestsPerSecond (sent / window, window = first session established -> end of sending);");
  console.log('steady-state = mean sent per timeline second, leaving out the first 2 and last 2 seconds; ok/s = answered / window');
  console.log('commands:');
  for (const x of runs) console.log(`  ${x.name}: ${x.cmd}`);
}

// ---- b: a stalling target -------------------------------------------------------------------------

async function partB() {
  console.log('\n## b. a target that stalls 1 s every 10 s: corrected vs raw latency\n');
  const t = await startServe(['--stall-every', '10s', '--stall-for', '1s']);
  console.log(`target: ${t.command} (pid ${t.pid})`);
  // The normal profile as shipped (maxInFlight 64), then the same with one request in flight per session,
  // the way a closed-loop tool (wrk) would hold back its sends while the target stalls.
  const normal = YAML.parse(readFileSync(join(ROOT, 'profiles', 'normal.yaml'), 'utf8'));
  // With one in flight, tokens due while the slot is held wait in the bucket up to `burst` and the rest
  // are dropped (counted, in neither histogram). A burst that covers the stall (2 s of tokens) keeps
  // them all: they go out late, back to back, once the stall ends, timed from when they were due
  // (wrk2's model): the corrected p99 shows the stall, the raw p99 (one request per session saw it) not.
  const narrow = join(tmp, 'normal-inflight1.json');
  writeFileSync(narrow, JSON.stringify({ ...normal, name: 'normal-inflight1', maxInFlight: 1 }, null, 2) + '\n');
  const keeping = join(tmp, 'normal-inflight1-burst2s.json');
  writeFileSync(keeping, JSON.stringify({ ...normal, name: 'normal-inflight1-burst2s', maxInFlight: 1, burst: normal.rate * 2 }, null, 2) + '\n');
  const rows = [];
  const variants = [
    ['normal (maxInFlight 64)', 'normal'],
    ['normal, maxInFlight 1', narrow],
    [`normal, maxInFlight 1, burst ${normal.rate * 2}`, keeping],
  ];
  for (const [label, profile] of variants) {
    const { r, cmd, load } = await mcpload(t.url, profile, STALL_SECONDS, [], [t.pid]);
    console.log(`command: ${cmd.replace(narrow, 'NORMAL_MAXINFLIGHT_1.json').replace(keeping, 'NORMAL_MAXINFLIGHT_1_BURST_2S.json')}   (load ${load})`);
    console.log(`  sent ${r.requests.sent}, ok ${r.requests.ok}, ${errorText(r) || 'no drops or errors'}; window ${r.durationSeconds.toFixed(1)} s`);
    const c = r.latency.corrected;
    const w = r.latency.raw;
    rows.push([`${label}: corrected`, fmtMs(c.p50), fmtMs(c.p90), fmtMs(c.p99), fmtMs(c.p999), fmtMs(c.max), fmtMs(c.mean)]);
    rows.push([`${label}: raw`, fmtMs(w.p50), fmtMs(w.p90), fmtMs(w.p99), fmtMs(w.p999), fmtMs(w.max), fmtMs(w.mean)]);
    console.log(
      `  corrected p99 shows the stall (>= 100 ms): ${c.p99 >= 100_000 ? 'yes' : 'no'}; raw p99 does not (< 100 ms): ${w.p99 < 100_000 ? 'yes' : 'no'}`,
    );
  }
  t.stop();
  console.log();
  printTable(['latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'], rows);
  console.log('corrected = from the intended send time (token), raw = from the actual send');
}

// ---- c: generator-added latency -------------------------------------------------------------------

function bareArgv(url, seconds, extra) {
  return ['bench/raw-ws-client.mjs', '--url', url, '--connections', String(CONNECTIONS), '--duration', String(seconds), '--size', String(SIZE), ...extra];
}

async function partC() {
  console.log(
    `\n## c. generator-added latency at ${FRACTIONS.map((f) => Math.round(f * 100) + '%').join(' and ')} of the bare client's max rate (${CONNECTIONS} connections, ${SIZE}-byte pings)\n`,
  );
  const t = await startServe();
  if (PIN) pin(t.pid, 0);
  const pinText = {
    all: '; pinned: target on CPU 0, clients on CPU 1',
    split: "; pinned: target and mcpload's coordinator on CPU 0, mcpload's engine thread and the bare client on CPU 1",
  };
  console.log(`target: ${t.command} (pid ${t.pid})${PIN ? pinText[PIN] : ''}`);
  // Warm the target up, then find the ceiling: the bare client closed loop at depth 64, twice.
  await runChild(bareArgv(t.url, 3, ['--depth', '64']), { timeoutMs: 60_000, onSpawn: pinBare });
  const maxRuns = [];
  for (let i = 0; i < 2; i++) {
    const run = await runChild(bareArgv(t.url, LAT_SECONDS, ['--depth', '64']), { timeoutMs: (LAT_SECONDS + 30) * 1000, watch: [t.pid], onSpawn: pinBare });
    if (run.code !== 0 || !run.json) throw new Error(`bare client exited ${run.code}: ${run.err}`);
    maxRuns.push(run.json.rpsWithDrain);
    console.log(`  bare max (closed loop, depth 64): ${fmtInt(run.json.rpsWithDrain)} req/s, other CPU ${pct(run.otherCpuShare)}`);
  }
  const max = median(maxRuns);
  for (const fraction of FRACTIONS) await latencyAt(t, max, fraction);
  t.stop();
}

/**
 * The median of the per-second p99s (µs) of seconds 1 to LAT_SECONDS - 2: the steady state, without the
 * start-up second (mcpload's sessions connect in it) and the last ones, alike for both clients (mcpload's
 * timeline, the paced client's secondsP99us).
 */
function steadyP99(perSecond) {
  const xs = perSecond.slice(1, Math.max(2, LAT_SECONDS - 1));
  return xs.length ? median(xs) : undefined;
}

async function latencyAt(t, max, fraction) {
  const rate = Math.round(max * fraction);
  const perClient = rate / CONNECTIONS;
  const profile = {
    name: 'accuracy-latency',
    clients: CONNECTIONS,
    rate: perClient,
    burst: 10,
    messageSize: SIZE,
    timeout: '10s',
    sessionTtl: '1h',
    maxInFlight: 64,
    mix: [{ method: 'ping', weight: 1 }],
  };
  const file = join(tmp, 'latency.json');
  writeFileSync(file, JSON.stringify(profile, null, 2) + '\n');
  console.log(
    `\n### ${Math.round(fraction * 100)}% of max: ${fmtInt(rate)} req/s = ${perClient.toFixed(1)}/s per connection; mcpload profile ${JSON.stringify(profile)}\n`,
  );

  const rows = [];
  let mCmd;
  const bCmd = {};
  const m = async (spin = false) => {
    const warmup = WARMUP > 0 ? ['--warmup', `${WARMUP}s`] : [];
    const { r, run, cmd, load } = await mcpload(
      t.url,
      file,
      LAT_SECONDS,
      ['--workers', String(WORKERS), ...warmup, ...(spin ? ['--spin'] : [])],
      [t.pid],
      pinMcpload,
    );
    if (!spin) mCmd = cmd.replace(file, 'LATENCY_PROFILE.json');
    return {
      rps: r.requests.ok / r.durationSeconds,
      corrected: r.latency.corrected.p50,
      raw: r.latency.raw.p50,
      correctedP99: r.latency.corrected.p99,
      rawP99: r.latency.raw.p99,
      dropped: r.requests.dropped,
      first: r.timeline[0]?.p99,
      steady: steadyP99(r.timeline.map((p) => p.p99)),
      gc: r.generator?.maxGcMsPerSecond,
      lag: r.generator?.maxLoopLagMs,
      warm: r.warmup,
      other: run.otherCpuShare,
      genCpu: run.cpu / run.wall,
      load,
      notes: errorText(r),
    };
  };
  // The bare client open loop: paced on mcpload's schedule (the yardstick), or in its 1 ms timer's bursts.
  const b = async (paced) => {
    const argv = bareArgv(t.url, LAT_SECONDS, [
      '--depth',
      '64',
      '--rate',
      String(rate),
      ...(paced ? ['--paced', '--burst', String(profile.burst)] : []),
      ...(WARMUP > 0 ? ['--warmup', String(WARMUP)] : []),
    ]);
    const run = await runChild(argv, { timeoutMs: (WARMUP + LAT_SECONDS + 30) * 1000, watch: [t.pid], onSpawn: pinBare });
    if (run.code !== 0 || !run.json) throw new Error(`bare client exited ${run.code}: ${run.err}`);
    bCmd[paced ? 'paced' : 'burst'] = 'node ' + argv.join(' ').replace(t.url, 'ws://127.0.0.1:PORT/mcp/ws');
    const j = run.json;
    return {
      rps: j.rpsWithDrain,
      p50: j.p50us,
      p99: j.p99us,
      intended: j.intendedP50us,
      intendedP99: j.intendedP99us,
      other: run.otherCpuShare,
      genCpu: run.cpu / run.wall,
      load: loadAvg1(),
      dropped: j.dropped,
      warm: j.warmup,
      first: j.secondsP99us[0],
      steady: steadyP99(j.secondsP99us),
    };
  };
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order so a drifting machine favours neither.
    const order = [() => m().then((x) => ['m', x]), () => b(true).then((x) => ['p', x])];
    if (SPIN) order.push(() => m(true).then((x) => ['s', x]));
    if (BURST) order.push(() => b(false).then((x) => ['b', x]));
    if (round % 2 === 0) order.reverse();
    const row = {};
    for (const f of order) {
      const [k, x] = await f();
      row[k] = x;
    }
    rows.push(row);
    const line = (name, x) =>
      `${name} ${fmtInt(x.rps)} req/s corrected p50 ${x.corrected} p99 ${x.correctedP99} µs, raw p50 ${x.raw} µs (CPU ${pct(x.genCpu)}, other ${pct(x.other)}, GC ≤ ${x.gc?.toFixed(1)} ms/s)${x.notes ? ' [' + x.notes + ']' : ''}`;
    const bare = (name, x) =>
      `${name} ${fmtInt(x.rps)} req/s p50 ${x.p50} µs, from intended p50 ${x.intended} p99 ${x.intendedP99} µs (CPU ${pct(x.genCpu)}, other ${pct(x.other)})${x.dropped ? ' [dropped ' + x.dropped + ']' : ''}`;
    const warmText = (x) =>
      x.warm ? ` [warm-up ${x.warm.seconds}s: sent ${x.warm.sent}, ok ${x.warm.ok}, failed ${x.warm.failed}, dropped ${x.warm.dropped}]` : '';
    console.log(
      `  round ${round}: ${line('mcpload', row.m)}${warmText(row.m)}; ${bare('paced bare', row.p)}${warmText(row.p)}` +
        (row.s ? `; ${line('--spin', row.s)}` : '') +
        (row.b ? `; ${bare('burst bare', row.b)}` : ''),
    );
  }
  const med = (f) => median(rows.map(f));
  const ratio = (f) => med(f).toFixed(2);
  console.log();
  printTable(
    ['figure (µs, median of rounds)', 'value'],
    [
      ['mcpload corrected p50 / p99 (from intended send)', `${med((x) => x.m.corrected)} / ${med((x) => x.m.correctedP99)}`],
      ['mcpload raw p50 / p99 (from actual send)', `${med((x) => x.m.raw)} / ${med((x) => x.m.rawP99)}`],
      ['paced bare p50 / p99 from intended (mcpload schedule)', `${med((x) => x.p.intended)} / ${med((x) => x.p.intendedP99)}`],
      ['paced bare p50 / p99 from send', `${med((x) => x.p.p50)} / ${med((x) => x.p.p99)}`],
      ['**mcpload corrected p50 / paced bare p50**', `**${ratio((x) => x.m.corrected / x.p.intended)}×**`],
      ['**mcpload corrected p99 / paced bare p99**', `**${ratio((x) => x.m.correctedP99 / x.p.intendedP99)}×**`],
      ['mcpload corrected p50 - paced bare p50', med((x) => x.m.corrected - x.p.intended)],
      ...(SPIN
        ? [
            ['mcpload --spin corrected p50 / p99', `${med((x) => x.s.corrected)} / ${med((x) => x.s.correctedP99)}`],
            ['mcpload --spin p50 / p99 ÷ paced bare', `${ratio((x) => x.s.corrected / x.p.intended)}× / ${ratio((x) => x.s.correctedP99 / x.p.intendedP99)}×`],
          ]
        : []),
      ...(BURST
        ? [
            ['burst bare (1 ms timer) p50 / p99 from send', `${med((x) => x.b.p50)} / ${med((x) => x.b.p99)}`],
            ['burst bare p50 / p99 from intended', `${med((x) => x.b.intended)} / ${med((x) => x.b.intendedP99)}`],
          ]
        : []),
      [
        WARMUP > 0
          ? `second 0 p99 (the first measured, after a ${WARMUP} s warm-up): mcpload / paced bare`
          : 'second 0 p99: mcpload / paced bare (start-up: connects, cold code)',
        `${med((x) => x.m.first)} / ${med((x) => x.p.first)}`,
      ],
      ...(WARMUP > 0
        ? [
            [
              'warm-up dropped per round: mcpload / paced bare',
              `${rows.map((x) => x.m.warm?.dropped ?? '-').join(' ')} / ${rows.map((x) => x.p.warm?.dropped ?? '-').join(' ')}`,
            ],
          ]
        : []),
      [
        `steady seconds 1-${LAT_SECONDS - 2}: median per-second p99, mcpload / paced bare`,
        `${med((x) => x.m.steady)} / ${med((x) => x.p.steady)} (**${ratio((x) => x.m.steady / x.p.steady)}×**)`,
      ],
      ['dropped per round: mcpload / paced bare', `${rows.map((x) => x.m.dropped).join(' ')} / ${rows.map((x) => x.p.dropped).join(' ')}`],
      ['mcpload GC ≤ ms/s, loop lag ≤ ms (median of rounds)', `${med((x) => x.m.gc ?? 0).toFixed(1)} / ${med((x) => x.m.lag ?? 0).toFixed(2)}`],
      ['achieved req/s mcpload / paced bare', `${fmtInt(med((x) => x.m.rps))} / ${fmtInt(med((x) => x.p.rps))}`],
      ['CPU, whole process (mcpload / paced bare)', `${pct(med((x) => x.m.genCpu))} / ${pct(med((x) => x.p.genCpu))}`],
      ['other CPU (mcpload / paced bare runs)', `${pct(med((x) => x.m.other))} / ${pct(med((x) => x.p.other))}`],
    ],
    { align: 'lr' },
  );
  const p50 = med((x) => x.m.corrected / x.p.intended);
  const p99 = med((x) => x.m.correctedP99 / x.p.intendedP99);
  const drops = rows.reduce((n, x) => n + x.m.dropped, 0);
  console.log(
    `\nat ${Math.round(fraction * 100)}%: mcpload p50 ≤ 1.25× paced bare ${p50 <= 1.25 ? 'met' : 'NOT met'} (${p50.toFixed(2)}×), ` +
      `p99 ≤ 1.25× ${p99 <= 1.25 ? 'met' : 'NOT met'} (${p99.toFixed(2)}×), dropped ${drops} in ${ROUNDS} rounds`,
  );
  console.log(
    `commands:\n  bare max: node ${bareArgv('ws://127.0.0.1:PORT/mcp/ws', LAT_SECONDS, ['--depth', '64']).join(' ')}\n  mcpload: ${mCmd}${SPIN ? ' [--spin]' : ''}\n  paced bare: ${bCmd.paced}` +
      (BURST ? `\n  burst bare: ${bCmd.burst}` : ''),
  );
}

async function main() {
  console.log(`# mcpload accuracy  ${new Date().toISOString()}`);
  console.log(machineLine());
  console.log(
    `command: node bench/accuracy.mjs --parts ${args.parts} --seconds ${SECONDS} --slow-seconds ${SLOW_SECONDS} --stall-seconds ${STALL_SECONDS} --latency-seconds ${LAT_SECONDS} --rounds ${ROUNDS} --connections ${CONNECTIONS} --size ${SIZE} --workers ${WORKERS} --fractions ${args.fractions}${SPIN ? ' --spin' : ''}${BURST ? ' --burst-bare' : ''}${WARMUP > 0 ? ` --warmup ${WARMUP}` : ''}${PIN === 'all' ? ' --pin' : PIN === 'split' ? ' --pin-split' : ''}`,
  );
  console.log(`load avg ${loadAvg1()}`);
  if (PARTS.has('a')) await partA();
  if (PARTS.has('b')) await partB();
  if (PARTS.has('c')) await partC();
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error('accuracy: ' + (err.stack ?? err));
    process.exit(1);
  });
