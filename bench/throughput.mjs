#!/usr/bin/env node
/**
 * Throughput (issue 5): mcpload against a bare `ws` client (bench/raw-ws-client.mjs) in ONE run, against
 * the same `mcpload serve` target (one process), same connections and requests in flight per connection.
 *
 *   npm run build && node bench/throughput.mjs [--rounds 3] [--seconds 8] [--connections 100] [--depths 1,64]
 *                                              [--rate 10000] [--workers 1] [--cases ping-64,tools-104,ping-2048,tools-2048] [--no-cork]
 *                                              [--templated]
 *
 * Cases: ping and tools/call (echo), at the smallest frame and at 2 KB. Frames are exact sizes, padded the
 * same way by both clients; 64 B is too small for a tools/call, whose smallest exact frame is 104 B.
 * For each case x depth, each round runs both generators as separate child processes, alternating the
 * order between rounds (forward, reverse, ...):
 *   mcpload  a generated profile: `clients` = connections, `rate` per client far above what can be reached,
 *            `maxInFlight` = depth, `burst` = depth, the case's method and `messageSize`; --workers 1 (one
 *            engine thread, like the single-threaded bare client; the target holds the other core)
 *   bare     closed loop, `depth` requests in flight per connection, each answer sends the next
 *   bare-cork the same with --cork: a connection's frames of one event-loop turn leave in one TCP write, as
 *            mcpload's transport does since it corks (without it the bare client pays a write per frame);
 *            --no-cork leaves it out
 *   mcpload-tmpl (--templated, tools cases) the same profile with params templates: the echo text is
 *            "s{{session}} r{{seq}} {{randString 8}} {{pick a b c}} {{row.word}}" with a 1,000-row CSV data
 *            file, padded to the same size (so use a size the filled text fits: tools-2048); reported
 *            against the fixed mcpload run of the same round (issue 16: >= 0.9x)
 * Figures: answered requests/s (both count answers to requests sent in the window, drain included),
 * mcpload / bare, generator CPU µs per answered request (child's user+sys, startup included), p50 from the
 * actual send, the target's and the rest of the machine's CPU, load average; medians over rounds.
 */
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServe, runChild, tmpDir, machineLine, loadAvg1, median, fmtInt, fmtMs, pct, printTable, mcploadNodeFlags } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '100' },
    depths: { type: 'string', default: '1,64' },
    rate: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '1' },
    cases: { type: 'string', default: 'ping-64,tools-104,ping-2048,tools-2048' },
    'no-cork': { type: 'boolean', default: false },
    templated: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const DEPTHS = args.depths.split(',').map(Number);
const RATE = Number(args.rate);
const WORKERS = Number(args.workers);
/** Also run the bare client with --cork (one TCP write per connection per event-loop turn, as mcpload does). */
const CORK = !args['no-cork'];
/** Also run mcpload with a templated mix (tools cases), against the fixed mix of the same round. */
const TEMPLATED = args.templated;
const TEMPLATE_TEXT = 's{{session}} r{{seq}} {{randString 8}} {{pick a b c}} {{row.word}}';
const TOOL_PARAMS = { name: 'echo', arguments: { text: '' } };
const METHODS = { ping: { method: 'ping' }, tools: { method: 'tools/call', params: TOOL_PARAMS } };
const CASES = args.cases.split(',').map((c) => {
  const [kind, size] = c.split('-');
  if (!METHODS[kind] || !(Number(size) > 0)) throw new Error(`bad case ${c}: want ping-SIZE or tools-SIZE`);
  return { name: c, ...METHODS[kind], size: Number(size) };
});
const tmp = tmpDir();
let target;

function profileFile(c, depth, templated = false) {
  const profile = {
    name: `throughput-${c.name}-d${depth}${templated ? '-tmpl' : ''}`,
    clients: CONNECTIONS,
    rate: RATE,
    burst: depth,
    messageSize: c.size,
    timeout: '30s',
    sessionTtl: '1h',
    maxInFlight: depth,
    mix: [{ method: c.method, weight: 1, ...(c.params ? { params: c.params } : {}) }],
  };
  if (templated) {
    const words = join(tmp, 'words.csv');
    writeFileSync(words, 'word\n' + Array.from({ length: 1000 }, (_, i) => `word${i}`).join('\n') + '\n');
    profile.mix = [{ method: c.method, weight: 1, params: { name: 'echo', arguments: { text: TEMPLATE_TEXT } }, data: words }];
  }
  const file = join(tmp, `${profile.name}.json`);
  writeFileSync(file, JSON.stringify(profile, null, 2) + '\n');
  return { file, profile };
}

const common = (c) => ({ targetCpuShare: c.watchCpu[0] / c.wall, otherCpuShare: c.otherCpuShare, load: loadAvg1() });

async function runMcpload(c, depth, templated = false) {
  const { file } = profileFile(c, depth, templated);
  const report = join(tmp, 'report.json');
  const argv = [
    ...mcploadNodeFlags(),
    'dist/bin.js',
    '--url',
    target.url,
    '--profile',
    file,
    '--duration',
    `${SECONDS}s`,
    '--workers',
    String(WORKERS),
    '--metrics-port',
    '0',
    '--report',
    report,
    '--quiet',
  ];
  const run = await runChild(argv, { timeoutMs: (SECONDS + 40) * 1000, watch: [target.pid] });
  if (run.code !== 0) throw new Error(`mcpload exited ${run.code}: ${run.err.slice(-2000)}`);
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report);
  const errs = Object.entries(r.errors)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`);
  return {
    cmd:
      'node ' +
      argv
        .join(' ')
        .replace(report, 'OUT.json')
        .replace(file, `PROFILE(${c.name},d${depth}${templated ? ',templated' : ''}).json`),
    // ok / window: answers to requests sent in the window (the drain included), as the bare client counts.
    rps: r.requests.ok / r.durationSeconds,
    p50us: r.latency.raw.p50,
    correctedP50us: r.latency.corrected.p50,
    cpuUsPerReq: (run.cpu * 1e6) / r.requests.ok,
    genCpuShare: run.cpu / run.wall,
    // Little's law: mean requests in flight per session.
    inFlight: ((r.requests.ok / r.durationSeconds) * r.latency.raw.mean) / 1e6 / CONNECTIONS,
    notes: [r.requests.failed ? `failed ${r.requests.failed}` : '', ...errs].filter(Boolean).join(', '),
    ...common(run),
  };
}

async function runBare(c, depth, seconds = SECONDS, cork = false) {
  const argv = [
    'bench/raw-ws-client.mjs',
    '--url',
    target.url,
    '--connections',
    String(CONNECTIONS),
    '--depth',
    String(depth),
    '--duration',
    String(seconds),
    '--size',
    String(c.size),
    '--method',
    c.method,
  ];
  if (c.params) argv.push('--params', JSON.stringify(c.params));
  if (cork) argv.push('--cork');
  const run = await runChild(argv, { timeoutMs: (SECONDS + 40) * 1000, watch: [target.pid] });
  if (run.code !== 0 || !run.json) throw new Error(`bare client exited ${run.code}: ${run.err.slice(-2000)}`);
  const r = run.json;
  if (r.frameBytes !== c.size) throw new Error(`bare client frame is ${r.frameBytes} B, not ${c.size} B`);
  return {
    cmd: 'node ' + argv.map((a) => (a.startsWith('{') ? `'${a}'` : a)).join(' '),
    rps: r.rpsWithDrain,
    p50us: r.p50us,
    cpuUsPerReq: (run.cpu * 1e6) / (r.roundTrips + r.drained),
    genCpuShare: run.cpu / run.wall,
    inFlight: depth,
    notes: r.errors ? `${r.errors} errors` : '',
    ...common(run),
  };
}

async function main() {
  console.log(`# mcpload throughput vs a bare ws client  ${new Date().toISOString()}`);
  console.log(machineLine());
  console.log(
    `command: node bench/throughput.mjs --rounds ${ROUNDS} --seconds ${SECONDS} --connections ${CONNECTIONS} --depths ${DEPTHS.join(',')} --rate ${RATE} --workers ${WORKERS} --cases ${args.cases}${CORK ? '' : ' --no-cork'}${TEMPLATED ? ' --templated' : ''}`,
  );
  target = await startServe();
  console.log(`target: ${target.command}  (pid ${target.pid}, ${target.url}), load avg ${loadAvg1()}`);
  for (const c of CASES) console.log(`profile ${c.name}: ${JSON.stringify(profileFile(c, DEPTHS.at(-1)).profile)}`);
  if (TEMPLATED)
    for (const c of CASES.filter((x) => x.params)) console.log(`profile ${c.name} templated: ${JSON.stringify(profileFile(c, DEPTHS.at(-1), true).profile)}`);
  // A fresh target's JIT is cold: warm it (and the first-run effects) up with an unrecorded run.
  await runBare(CASES[0], DEPTHS.at(-1), 3);
  console.log('(warm-up: one unrecorded bare run)\n');

  const plan = [];
  for (const c of CASES) {
    for (const depth of DEPTHS) {
      plan.push({ key: `${c.name} d${depth} mcpload`, c, depth, gen: 'mcpload', run: () => runMcpload(c, depth) });
      if (TEMPLATED && c.params) plan.push({ key: `${c.name} d${depth} mcpload-tmpl`, c, depth, gen: 'mcpload-tmpl', run: () => runMcpload(c, depth, true) });
      plan.push({ key: `${c.name} d${depth} bare`, c, depth, gen: 'bare', run: () => runBare(c, depth) });
      if (CORK) plan.push({ key: `${c.name} d${depth} bare-cork`, c, depth, gen: 'bare-cork', run: () => runBare(c, depth, SECONDS, true) });
    }
  }
  const results = new Map(); // key -> [per round]
  const commands = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}`);
    for (const step of round % 2 ? plan : [...plan].reverse()) {
      const r = await step.run();
      if (!results.has(step.key)) results.set(step.key, []);
      results.get(step.key).push(r);
      commands.set(step.key, r.cmd);
      console.log(
        `  ${step.key.padEnd(24)} ${fmtInt(r.rps).padStart(9)} req/s  p50 ${fmtMs(r.p50us).padStart(6)} ms  in-flight/conn ${r.inFlight.toFixed(1).padStart(5)}  ` +
          `gen CPU ${r.cpuUsPerReq.toFixed(1)} µs/req (${pct(r.genCpuShare)})  target ${pct(r.targetCpuShare)}  other ${pct(r.otherCpuShare)}  load ${r.load}${r.notes ? '  [' + r.notes + ']' : ''}`,
      );
    }
  }

  console.log(`\nmedians over ${ROUNDS} rounds (${SECONDS} s each, ${CONNECTIONS} connections, mcpload --workers ${WORKERS}):\n`);
  const rows = [];
  const ratios = [];
  for (const c of CASES) {
    for (const depth of DEPTHS) {
      const m = results.get(`${c.name} d${depth} mcpload`);
      const b = results.get(`${c.name} d${depth} bare`);
      const k = results.get(`${c.name} d${depth} bare-cork`);
      const med = (rs, key) => median(rs.map((r) => r[key]));
      const ratioOf = (xs, key) => median(m.map((r, i) => r[key] / xs[i][key]));
      const ratio = ratioOf(b, 'rps');
      const corkRatio = k && ratioOf(k, 'rps');
      ratios.push({ c, depth, ratio, corkRatio });
      rows.push([
        `${c.method} ${c.size} B`,
        depth,
        fmtInt(med(m, 'rps')),
        fmtInt(med(b, 'rps')),
        `**${ratio.toFixed(2)}**`,
        k ? fmtInt(med(k, 'rps')) : '',
        k ? `**${corkRatio.toFixed(2)}**` : '',
        med(m, 'cpuUsPerReq').toFixed(1),
        med(b, 'cpuUsPerReq').toFixed(1),
        k ? med(k, 'cpuUsPerReq').toFixed(1) : '',
        `${ratioOf(b, 'cpuUsPerReq').toFixed(2)}x${k ? ' / ' + ratioOf(k, 'cpuUsPerReq').toFixed(2) + 'x' : ''}`,
        `${fmtMs(med(m, 'p50us'))} / ${fmtMs(med(b, 'p50us'))}${k ? ' / ' + fmtMs(med(k, 'p50us')) : ''}`,
        med(m, 'inFlight').toFixed(1),
        `${pct(med(m, 'targetCpuShare'))} / ${pct(med(b, 'targetCpuShare'))}${k ? ' / ' + pct(med(k, 'targetCpuShare')) : ''}`,
        `${pct(med([...m, ...b, ...(k ?? [])], 'otherCpuShare'))}`,
      ]);
    }
  }
  printTable(
    [
      'case',
      'depth',
      'mcpload req/s',
      'bare req/s',
      'ratio',
      'bare-cork req/s',
      'ratio vs cork',
      'mcpload CPU µs/req',
      'bare CPU µs/req',
      'bare-cork CPU µs/req',
      'CPU/req ratio (vs bare / cork)',
      'p50 ms (m / b / c)',
      'mcpload in-flight/conn',
      'target CPU (m / b / c)',
      'other CPU',
    ],
    rows,
  );
  const pass = ratios.filter((r) => r.ratio >= 0.8).length;
  console.log(
    `\ntarget mcpload >= 0.8 x bare: ${pass} of ${ratios.length} case/depth pairs meet it (${ratios.map((r) => `${r.c.name} d${r.depth} ${r.ratio.toFixed(2)}`).join(', ')})`,
  );
  if (CORK)
    console.log(
      `vs bare-cork (>= 0.8): ${ratios.filter((r) => r.corkRatio >= 0.8).length} of ${ratios.length} (${ratios.map((r) => `${r.c.name} d${r.depth} ${r.corkRatio.toFixed(2)}`).join(', ')})`,
    );
  if (TEMPLATED) {
    console.log('\ntemplated mix vs fixed mix, mcpload, same rounds (target >= 0.9x req/s):');
    for (const c of CASES.filter((x) => x.params)) {
      for (const depth of DEPTHS) {
        const m = results.get(`${c.name} d${depth} mcpload`);
        const t = results.get(`${c.name} d${depth} mcpload-tmpl`);
        const ratioOf = (key) => median(t.map((r, i) => r[key] / m[i][key]));
        console.log(
          `  ${c.name} d${depth}: templated ${fmtInt(median(t.map((r) => r.rps)))} req/s, fixed ${fmtInt(median(m.map((r) => r.rps)))} req/s, ` +
            `ratio **${ratioOf('rps').toFixed(2)}**; CPU µs/req ${median(t.map((r) => r.cpuUsPerReq)).toFixed(1)} vs ${median(m.map((r) => r.cpuUsPerReq)).toFixed(1)} (${ratioOf('cpuUsPerReq').toFixed(2)}x)`,
        );
      }
    }
  }
  console.log('ratio and CPU/req ratio = median of the per-round ratios; req/s = answered requests sent in the window / window');
  console.log("p50 from the actual send (mcpload raw); mcpload in-flight = ok/s x mean raw latency / connections (Little's law)");
  console.log("CPU columns: share of one core over each child's whole run; CPU µs/req includes process startup (mcpload ~0.6 s CPU)");
  console.log('\ncommands (last round):');
  for (const [key, cmd] of commands) console.log(`  ${key}: ${cmd}`);
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error('throughput: ' + (err.stack ?? err));
    process.exit(1);
  });
