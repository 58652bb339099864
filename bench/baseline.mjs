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
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServe, runChild as runNode, mcploadFigures, roundResults, tmpDir, machineLine, median, fmtInt, fmtMs, pct, mcploadNodeFlags } from './lib.mjs';

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
const tmp = tmpDir();

let target;

/** Run one child to completion (killed if it overruns), with its CPU time and the target's. */
async function runChild(argv) {
  const c = await runNode(argv, { timeoutMs: (SECONDS + 30) * 1000, watch: [target.pid] });
  return { ...c, targetCpuShare: c.watchCpu[0] / c.wall };
}

async function runRaw(url, depth) {
  const argv = [
    'bench/raw-ws-client.mjs',
    '--url',
    url,
    '--connections',
    String(CONNECTIONS),
    '--depth',
    String(depth),
    '--duration',
    String(SECONDS),
    '--size',
    String(FRAME_BYTES),
  ];
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
  const argv = [
    ...mcploadNodeFlags(),
    'dist/bin.js',
    '--url',
    url,
    '--profile',
    'message-bomber',
    '--clients',
    String(CONNECTIONS),
    '--rate',
    String(ratePerClient),
    '--duration',
    `${SECONDS}s`,
    '--workers',
    '1',
    '--report',
    report,
    '--quiet',
  ];
  return mcploadFigures(await runChild(argv), argv, report, CONNECTIONS);
}

async function main() {
  console.log(`# mcpload baseline  ${new Date().toISOString()}`);
  console.log(machineLine());
  console.log(
    `command: node bench/baseline.mjs --rounds ${ROUNDS} --seconds ${SECONDS} --connections ${CONNECTIONS} --rate ${SAT_RATE} --light-rate ${LIGHT_RATE}${EXTRA_DEPTHS.length ? ' --extra-depths ' + EXTRA_DEPTHS.join(',') : ''}`,
  );
  target = await startServe();
  const url = target.url;
  console.log(`target: node dist/bin.js serve --port 0  (pid ${target.pid}, ${url})\n`);

  const { results, commands, record, med } = roundResults('conn');
  let fairDepth;

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
  console.log(
    `generator CPU per request, mcpload-sat / raw-dN: ${cpuRatio.toFixed(2)}x (median of per-round ratios; less sensitive to the machine's other load than req/s)`,
  );
  console.log(
    `mcpload-sat also reports ${fmtInt(median(sat.map((r) => r.reportedRps)))} req/s sent (its throughput.requestsPerSecond) and dropped a median ${fmtInt(median(sat.map((r) => r.dropped)))} due requests per run`,
  );
  console.log(
    `corrected p50 (from intended send): mcpload-light ${fmtMs(med('mcpload-light', 'correctedP50us'))} ms, mcpload-sat ${fmtMs(med('mcpload-sat', 'correctedP50us'))} ms`,
  );
  console.log(`\npairings: mcpload-sat vs raw-dN, same requests in flight per connection (fair); vs raw-d1, unequal depth (raw waits for each answer)`);
  console.log(`fair depth N = ${fairDepth} (mcpload-sat's in-flight per session in round 1); mcpload-light = ${LIGHT_RATE}/s per client`);
  console.log('req/s = answers to requests sent in the window / window (the raw client counts its drain the same way mcpload counts ok)');
  console.log("in-flight for mcpload = ok/s x mean raw latency / connections (Little's law)");
  console.log("CPU columns: share of one core over the child's whole run (startup included); gen = the client, other = the rest of the machine");
  console.log('\ncommands (last round):');
  for (const [kind, cmd] of commands) console.log(`  ${kind}: ${cmd}`);
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error('baseline: ' + (err.stack ?? err));
    process.exit(1);
  });
