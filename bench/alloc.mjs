#!/usr/bin/env node
/**
 * Bytes allocated per request on the WebSocket path (issue 20): an Engine in this process (no thread)
 * sends pings to a `mcpload serve` child; the young generation is made large enough
 * (--max-semi-space-size, the script re-runs itself with it) that no GC runs in the measured window,
 * so the growth of heapUsed (and of ArrayBuffer memory) over the window, divided by the requests
 * answered in it, is what a request allocates: building, framing, writing, reading and matching its
 * answer. A window in which a GC did run is reported as such and left out.
 *
 * --where: after the rounds, one more window under V8's sampling heap profiler (collected objects
 * included) and the functions that allocated most, by self bytes per request.
 *
 *   npm run build && node bench/alloc.mjs [--clients 100] [--rate 10000] [--seconds 1] [--rounds 5] [--where]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { ROOT, startServe, machineLine, loadAvg1, median, sleep, localEngineConfig } from './lib.mjs';

const { values: a } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    child: { type: 'boolean', default: false },
    where: { type: 'boolean', default: false },
    url: { type: 'string' },
  },
});
const CLIENTS = Number(a.clients);
const RATE = Number(a.rate);
const SECONDS = Number(a.seconds);
const ROUNDS = Number(a.rounds);

if (!a.child) {
  console.log(`# mcpload allocation per request  ${new Date().toISOString()}`);
  console.log(machineLine());
  console.log(`command: node bench/alloc.mjs --clients ${CLIENTS} --rate ${RATE} --seconds ${SECONDS} --rounds ${ROUNDS}; load avg ${loadAvg1()}`);
  const t = await startServe();
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=128',
      '--min-semi-space-size=128',
      '--expose-gc',
      fileURLToPath(import.meta.url),
      '--child',
      '--url',
      t.url,
      ...process.argv.slice(2),
    ],
    {
      stdio: 'inherit',
    },
  );
  const code = await new Promise((r) => child.once('exit', r));
  t.stop();
  process.exit(code ?? 1);
}

const { Engine } = await import(join(ROOT, 'dist/worker/engine.js'));
let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const profile = {
  name: 'alloc',
  clients: CLIENTS,
  rate: RATE / CLIENTS,
  burst: 10,
  messageSize: 64,
  timeoutMs: 10_000,
  sessionTtlMs: 0,
  maxInFlight: 64,
  mix: [{ method: 'ping', weight: 1 }],
  stages: [],
};
const { loadProfile } = await import(join(ROOT, 'dist/config/profile.js'));
const base = loadProfile('normal');
const engine = new Engine(
  localEngineConfig({
    profile: { ...base, ...profile },
    url: a.url,
    sessions: CLIENTS,
    durationMs: 600_000,
    snapshotIntervalMs: 600_000,
    drainMs: 200,
    spin: false,
  }),
  { snapshot() {}, note() {} },
);
engine.start();
while (engine.snapshot(false).sessionsOpen < CLIENTS) await sleep(100);
await sleep(1000); // warm: JIT, pools, buffers grown
const per = [];
const perExt = [];
for (let round = 1; round <= ROUNDS; round++) {
  // A scavenge now empties the young generation; the window then starts with room to spare.
  await sleep(50);
  engine.snapshot(false);
  const g0 = gcs;
  const m0 = process.memoryUsage();
  await sleep(SECONDS * 1000);
  const m1 = process.memoryUsage();
  const s = engine.snapshot(false);
  await sleep(0);
  const answered = s.messagesReceived.response;
  const heap = (m1.heapUsed - m0.heapUsed) / answered;
  const ext = (m1.arrayBuffers - m0.arrayBuffers) / answered;
  const clean = gcs === g0;
  console.log(
    `  round ${round}: ${answered} answered, heap ${heap.toFixed(0)} B/request, ArrayBuffers ${ext.toFixed(0)} B/request${clean ? '' : ` (GC in the window: left out)`}`,
  );
  if (clean) {
    per.push(heap);
    perExt.push(ext);
  }
  // Collect between rounds so each window starts empty.
  if (global.gc) global.gc();
  else await sleep(200);
}
if (a.where) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  engine.snapshot(false);
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await sleep(SECONDS * 1000);
  const { profile: p } = await session.post('HeapProfiler.stopSampling');
  const answered = engine.snapshot(false).messagesReceived.response;
  const self = new Map();
  const name = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
  // Built-ins (no script: Map, push) are named with their caller.
  const walk = (n, parent) => {
    const f = n.callFrame;
    const key = f.url === '' && parent ? `${name(f)} <- ${name(parent)}` : name(f);
    self.set(key, (self.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, f);
  };
  walk(p.head, undefined);
  const total = [...self.values()].reduce((x, y) => x + y, 0);
  console.log(`\nsampled allocation, ${answered} answered: ${(total / answered).toFixed(0)} B/request in all; by function (self):`);
  for (const [k, v] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`  ${(v / answered).toFixed(0).padStart(5)} B  ${k}`);
  session.disconnect();
}
await engine.stop(200);
console.log(
  per.length
    ? `median of ${per.length} clean rounds: heap ${median(per).toFixed(0)} B/request, ArrayBuffers ${median(perExt).toFixed(0)} B/request`
    : 'no clean round',
);
process.exit(0);
