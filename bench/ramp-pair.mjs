#!/usr/bin/env node
/**
 * The ramp comparison made the same work on both sides (issue 20): mcpload's ramp against a bare `ws`
 * ramp with the same processes, source addresses, MCP handshake, sessions and connects in flight.
 *   1. `mcpload serve --processes T` on 127.0.0.1;
 *   2. bare: P processes of bench/bare-ramp.mjs --handshake, process i bound to address i mod A,
 *      each with COUNT/P connections and ceil(1000/P) in flight (mcpload's MAX_CONNECTING split per
 *      engine), source ports named like mcpload's (--local-ports); closed once its ramp is timed;
 *   3. mcpload: --processes P --workers 1 --local-address 127.0.0.2-…, the low-load profile at
 *      --rate 0.0001 (no requests to speak of: the bare side sends none), COUNT clients.
 * Each ramp is timed from the spawn of its processes (start-up included on both sides) to COUNT
 * initialized sessions (bare: every process printed its line; mcpload: its sessions-open gauge,
 * polled every 200 ms). Rounds alternate the order. Prints both rates and their ratio per round.
 *
 *   npm run build && flock /tmp/mcpload-bench.lock node bench/ramp-pair.mjs [--count 20000] [--processes 2]
 *     [--addresses 2] [--target-processes 2] [--rounds 3]
 */
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { sleep, spawnCaptured as run, waitFor, freePort, cleanup, mcploadNodeFlags } from './lib.mjs';

const { values: a } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    processes: { type: 'string', default: '2' },
    addresses: { type: 'string', default: '2' },
    'target-processes': { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '90' },
  },
});
const COUNT = Number(a.count);
const P = Number(a.processes);
const A = Number(a.addresses);
const TIMEOUT_MS = Number(a.timeout) * 1000;
const ADDRESSES = Array.from({ length: A }, (_, i) => `127.0.0.${i + 2}`);

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Process i's source ports: the top n of engine i's slice of mcpload's default range (src/config/ports.ts
 * portSlice), so both sides name ports the same way and neither binds a port the other left in TIME_WAIT
 * (mcpload's engine starts at the bottom of its slice).
 */
function barePorts(i, n) {
  const size = Math.floor((65_535 - 10_000 + 1) / P);
  const to = i === P - 1 ? 65_535 : 10_000 + (i + 1) * size - 1;
  return `${to - n + 1}-${to}`;
}

async function bareRamp(url) {
  const t0 = performance.now();
  const per = Math.ceil(COUNT / P);
  const kids = [];
  for (let i = 0; i < P; i++) {
    const n = Math.min(per, COUNT - per * i);
    kids.push(
      run([
        'bench/bare-ramp.mjs',
        '--url',
        url,
        '--count',
        String(n),
        '--concurrency',
        String(Math.ceil(1000 / P)),
        '--handshake',
        '--local-address',
        ADDRESSES[i % A],
        '--local-ports',
        barePorts(i, n),
      ]),
    );
  }
  const lines = await Promise.all(kids.map(async (k) => JSON.parse((await waitFor(k, /^(\{.*\})$/m, TIMEOUT_MS))[1])));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(kids.map(stop));
  const opened = lines.reduce((s, l) => s + l.opened, 0);
  const failed = lines.reduce((s, l) => s + l.failed, 0);
  const skipped = lines.reduce((s, l) => s + (l.portsSkipped ?? 0), 0);
  return { opened, failed, skipped, seconds, rate: opened / seconds, own: Math.max(...lines.map((l) => l.seconds)) };
}

async function mcploadRamp(url) {
  const metricsPort = await freePort();
  const argv = [
    ...mcploadNodeFlags(),
    'dist/bin.js',
    '--url',
    url,
    '--profile',
    'low-load',
    '--clients',
    String(COUNT),
    '--rate',
    '0.0001',
    '--duration',
    '0',
    '--processes',
    String(P),
    '--workers',
    '1',
    '--local-address',
    A > 1 ? `${ADDRESSES[0]}-${ADDRESSES.at(-1)}` : ADDRESSES[0],
    '--metrics-host',
    '127.0.0.1',
    '--metrics-port',
    String(metricsPort),
    '--quiet',
    '--log-level',
    'error',
  ];
  const t0 = performance.now();
  const gen = run(argv);
  let open = 0;
  let seconds = NaN;
  while (performance.now() - t0 < TIMEOUT_MS) {
    await sleep(200);
    if (gen.exitCode !== null) throw new Error(`mcpload exited: ${gen.err.slice(-500)}`);
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    open = 0;
    for (const line of text.split('\n')) if (line.startsWith('mcp_client_sessions_open')) open += Number(line.split(' ').pop()) || 0;
    if (open >= COUNT) {
      seconds = (performance.now() - t0) / 1000;
      break;
    }
  }
  await stop(gen);
  return {
    opened: open,
    seconds,
    rate: open / (Number.isNaN(seconds) ? TIMEOUT_MS / 1000 : seconds),
    cmd: `node ${argv.join(' ').replace(String(metricsPort), 'PORT')}`,
  };
}

async function main() {
  console.log(`# ramp-pair ${new Date().toISOString()}  ${cpus().length} × ${cpus()[0].model}, node ${process.version}`);
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const target = run(['dist/bin.js', 'serve', '--port', '0', '--processes', a['target-processes']]);
  const url = (await waitFor(target, /listening on (ws:\/\/\S+?)[, ]/, 30_000))[1];
  console.log(`target: mcpload serve --processes ${a['target-processes']} (${url})`);
  console.log(`both: ${COUNT} sessions, ${P} processes, source addresses ${ADDRESSES.join(', ')}, initialize + initialized, 1000 connecting at once in all`);
  const ratios = [];
  let cmd = '';
  for (let round = 1; round <= Number(a.rounds); round++) {
    const order = round % 2 ? ['bare', 'mcpload'] : ['mcpload', 'bare'];
    const r = {};
    for (const side of order) {
      r[side] = side === 'bare' ? await bareRamp(url) : await mcploadRamp(url);
      await sleep(3000); // the target settles the closed connections
    }
    cmd = r.mcpload.cmd;
    ratios.push(r.mcpload.rate / r.bare.rate);
    console.log(
      `round ${round} (load ${loadavg()[0].toFixed(2)}): bare ${r.bare.opened} opened, ${r.bare.failed} failed, ${r.bare.skipped} busy ports skipped, ${r.bare.rate.toFixed(0)}/s (${r.bare.seconds.toFixed(1)} s from spawn, ${r.bare.own.toFixed(1)} s in-process); ` +
        `mcpload ${r.mcpload.opened} open, ${r.mcpload.rate.toFixed(0)}/s (${r.mcpload.seconds.toFixed(1)} s from spawn); ratio ${ratios.at(-1).toFixed(2)}`,
    );
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(`\nmcpload / bare ramp rate, median of ${ratios.length} rounds: ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}`);
  console.log(`mcpload: ${cmd}`);
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await stop(target);
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(`ramp-pair: ${err.stack ?? err}`);
    cleanup();
    process.exit(1);
  });
