#!/usr/bin/env node
/**
 * Two builds of mcpload side by side against ONE `mcpload serve` target (this checkout's), in one sitting:
 * for a change on the per-response path, the ratio head / base of answered requests/s and of generator CPU
 * per answered request, per case and depth, medians of paired rounds (the two builds alternate order).
 *
 *   npm run build && node bench/ab.mjs --base DIR [--rounds 5] [--seconds 6] [--connections 100] [--depths 1,64]
 *                                      [--cases ping-64,tools-104,echo-2048] [--workers 1]
 *
 * DIR holds the other build (its dist/bin.js), e.g. `git archive <commit> | tar -x -C DIR`, node_modules linked
 * from here, `npx tsc -p .` there. Cases: ping and tools/call echo at the smallest frame; echo-2048 is a
 * tools/call whose text makes both the request and the echoed response about 2 KB (the response bytes are
 * what a per-response scan reads). Profiles as bench/throughput.mjs makes them (rate far above reach,
 * `maxInFlight` = `burst` = depth).
 */
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServe, runChild, tmpDir, machineLine, loadAvg1, median, fmtInt, pct, printTable, ROOT } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '100' },
    depths: { type: 'string', default: '1,64' },
    workers: { type: 'string', default: '1' },
    cases: { type: 'string', default: 'ping-64,tools-104,echo-2048' },
  },
});
if (!args.base) throw new Error('give --base DIR (a checkout of the other build, built)');
const BUILDS = { base: join(resolve(args.base), 'dist/bin.js'), head: join(ROOT, 'dist/bin.js') };
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const DEPTHS = args.depths.split(',').map(Number);
const CASE_MIX = {
  'ping-64': { size: 64, mix: { method: 'ping' } },
  'tools-104': { size: 104, mix: { method: 'tools/call', params: { name: 'echo', arguments: { text: '' } } } },
  'echo-2048': { size: 2048, mix: { method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(1900) } } } },
};
const CASES = args.cases.split(',').map((name) => {
  if (!CASE_MIX[name]) throw new Error(`bad case ${name}: one of ${Object.keys(CASE_MIX).join(', ')}`);
  return { name, ...CASE_MIX[name] };
});
const tmp = tmpDir('mcpload-ab-');

function profileFile(c, depth) {
  const profile = {
    name: `ab-${c.name}-d${depth}`,
    clients: CONNECTIONS,
    rate: 10000,
    burst: depth,
    messageSize: c.size,
    timeout: '30s',
    sessionTtl: '1h',
    maxInFlight: depth,
    mix: [{ weight: 1, ...c.mix }],
  };
  const file = join(tmp, `${profile.name}.json`);
  writeFileSync(file, JSON.stringify(profile) + '\n');
  return file;
}

async function runBuild(bin, target, c, depth) {
  const report = join(tmp, 'report.json');
  const argv = [bin, '--url', target.url, '--profile', profileFile(c, depth), '--duration', `${SECONDS}s`, '--workers', args.workers];
  argv.push('--metrics-port', '0', '--report', report, '--quiet');
  const run = await runChild(argv, { timeoutMs: (SECONDS + 40) * 1000, watch: [target.pid] });
  if (run.code !== 0) throw new Error(`${bin} exited ${run.code}: ${run.err.slice(-2000)}`);
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report);
  const failed = r.requests.failed;
  return { rps: r.requests.ok / r.durationSeconds, cpuUs: (run.cpu * 1e6) / r.requests.ok, other: run.otherCpuShare, failed };
}

async function main() {
  console.log(`# mcpload A/B  ${new Date().toISOString()}`);
  console.log(machineLine());
  console.log(
    `command: node bench/ab.mjs --base ${args.base} --rounds ${ROUNDS} --seconds ${SECONDS} --connections ${CONNECTIONS} --depths ${DEPTHS.join(',')} --cases ${args.cases} --workers ${args.workers}`,
  );
  const target = await startServe();
  console.log(`target: ${target.command} (pid ${target.pid}), load avg ${loadAvg1()}`);
  // Warm the target's JIT with an unrecorded run.
  await runBuild(BUILDS.head, target, CASES[0], DEPTHS.at(-1));
  const results = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CASES) {
      for (const depth of DEPTHS) {
        const order = round % 2 ? ['base', 'head'] : ['head', 'base'];
        const pair = {};
        for (const build of order) pair[build] = await runBuild(BUILDS[build], target, c, depth);
        const key = `${c.name} d${depth}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(pair);
        console.log(
          `round ${round} ${key.padEnd(16)} base ${fmtInt(pair.base.rps).padStart(8)} req/s ${pair.base.cpuUs.toFixed(2)} µs/req  ` +
            `head ${fmtInt(pair.head.rps).padStart(8)} req/s ${pair.head.cpuUs.toFixed(2)} µs/req  other ${pct(pair.base.other)}/${pct(pair.head.other)}` +
            (pair.base.failed || pair.head.failed ? `  [failed ${pair.base.failed}/${pair.head.failed}]` : ''),
        );
      }
    }
  }
  await target.stop();
  console.log(`\nmedians over ${ROUNDS} paired rounds:\n`);
  const rows = [];
  for (const [key, pairs] of results) {
    const med = (build, f) => median(pairs.map((p) => p[build][f]));
    const ratio = (f) => median(pairs.map((p) => p.head[f] / p.base[f]));
    rows.push([
      key,
      fmtInt(med('base', 'rps')),
      fmtInt(med('head', 'rps')),
      ratio('rps').toFixed(3),
      med('base', 'cpuUs').toFixed(2),
      med('head', 'cpuUs').toFixed(2),
      ratio('cpuUs').toFixed(3),
    ]);
  }
  printTable(['case', 'base req/s', 'head req/s', 'head/base req/s', 'base µs/req', 'head µs/req', 'head/base µs/req'], rows, {
    align: ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
