#!/usr/bin/env node
/**
 * Session arrivals (issue 17): sessions arriving at --rate per second, each running a flow of --steps
 * requests with --think between them (an agent's session: connect, initialize, the steps, close),
 * sustained for --seconds against a `mcpload serve` child on ws. Reports what the run achieved from
 * mcpload's JSON report: flows started and completed, the arrival rate held, requests and their
 * corrected/raw latency, peak concurrent sessions, handshake latency, errors, and whether the generator
 * limited the rate (report.generator.limitedSeconds: an engine's event loop saturated and sent late).
 *
 *   npm run build && node bench/arrivals.mjs [--rate 500] [--steps 5] [--think 200ms] [--seconds 60] [--workers 1]
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServe, runChild, tmpDir, machineLine, loadAvg1, fmtInt, fmtMs, printTable, mcploadNodeFlags } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    steps: { type: 'string', default: '5' },
    think: { type: 'string', default: '200ms' },
    seconds: { type: 'string', default: '60' },
    workers: { type: 'string', default: '1' },
  },
});

const dir = tmpDir('mcpload-arrivals-');
const flow = [];
for (let i = 0; i < Number(args.steps); i++) {
  if (i > 0) flow.push({ think: args.think });
  flow.push({ method: 'tools/call', name: `step ${i + 1}`, params: { name: 'echo', arguments: { text: `step ${i + 1}` } } });
}
const profileFile = join(dir, 'arrivals.json');
writeFileSync(profileFile, JSON.stringify({ name: 'arrivals', arrivalRate: Number(args.rate), timeout: '10s', flow }));

console.log(machineLine());
console.log(`load average before: ${loadAvg1()}`);
const target = await startServe();
const report = join(dir, 'report.json');
const argv = [
  ...mcploadNodeFlags(),
  'dist/bin.js',
  '--profile',
  profileFile,
  '--url',
  target.url,
  '--duration',
  `${args.seconds}s`,
  '--workers',
  args.workers,
  '--quiet',
  '--report',
  report,
  '--metrics-port',
  '0',
];
console.log(`command: node ${argv.join(' ').replace(dir, '$TMP')} (target: ${target.command})`);
const run = await runChild(argv, { timeoutMs: (Number(args.seconds) + 60) * 1000, watch: [target.pid] });
await target.stop();
if (run.code !== 0) {
  console.error(run.err);
  process.exit(1);
}
const r = JSON.parse(readFileSync(report, 'utf8'));
const seconds = r.durationSeconds;
const steps = Object.values(r.steps);
const failed = Object.values(r.errors).reduce((a, b) => a + b, 0);
printTable(
  ['figure', 'value'],
  [
    ['flows started / completed', `${fmtInt(r.flows.started)} / ${fmtInt(r.flows.completed)}`],
    ['arrivals/s held (started ÷ window)', (r.flows.started / seconds).toFixed(1)],
    ['requests sent, req/s', `${fmtInt(r.requests.sent)}, ${fmtInt(r.throughput.requestsPerSecond)} of ${fmtInt(r.throughput.targetRequestsPerSecond)} target`],
    ['errors (all kinds)', fmtInt(failed)],
    ['peak concurrent sessions', fmtInt(r.sessions.peak)],
    ['handshake p50 / p99 ms', `${fmtMs(r.sessions.handshake.p50)} / ${fmtMs(r.sessions.handshake.p99)}`],
    ['step latency corrected p50 / p99 ms', `${fmtMs(r.latency.corrected.p50)} / ${fmtMs(r.latency.corrected.p99)}`],
    ['step latency raw p50 / p99 ms', `${fmtMs(r.latency.raw.p50)} / ${fmtMs(r.latency.raw.p99)}`],
    ['first step corrected p50 / p99 ms', `${fmtMs(steps[0].latency.corrected.p50)} / ${fmtMs(steps[0].latency.corrected.p99)}`],
    ['generator limited seconds', String(r.generator.limitedSeconds)],
    ['engine CPU s (µs/request)', `${r.generator.cpuSeconds.toFixed(1)} (${r.generator.cpuPerRequestUs.toFixed(0)})`],
    ['max event-loop busy / lag', `${Math.round(r.generator.maxLoopUtilization * 100)}% / ${r.generator.maxLoopLagMs.toFixed(0)} ms`],
    ['target CPU s, other CPU (cores)', `${run.watchCpu[0].toFixed(1)}, ${run.otherCpuShare.toFixed(2)}`],
  ],
);
console.log(`load average after: ${loadAvg1()}`);
