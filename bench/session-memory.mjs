#!/usr/bin/env node --expose-gc
/**
 * Memory per idle session, from heap snapshots: an Engine (in this process, no thread) opens A then
 * B sessions to a `mcpload serve` child; after a full GC at each point it takes a V8 heap snapshot and
 * reports the retained growth per added session by constructor, plus heap and RSS slopes. The same
 * for a bare `ws` client, so the two are compared in one run.
 *
 *   npm run build && node --expose-gc bench/session-memory.mjs [--from 2000] [--to 6000]
 */
import { spawn } from 'node:child_process';
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({ options: { from: { type: 'string', default: '2000' }, to: { type: 'string', default: '6000' } } });
const FROM = Number(a.from);
const TO = Number(a.to);
if (!global.gc) throw new Error('run with node --expose-gc');
const tmp = mkdtempSync(join(tmpdir(), 'mcpload-mem-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { Engine } = await import(join(ROOT, 'dist/worker/engine.js'));
const { loadProfile } = await import(join(ROOT, 'dist/config/profile.js'));

const target = spawn(process.execPath, ['dist/bin.js', 'serve', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
let err = '';
target.stderr.on('data', (d) => (err += d));
while (!/listening on (\S+)/.test(err)) await sleep(50);
const url = /listening on (\S+)/.exec(err)[1];

/** Self size by constructor name from a heap snapshot file. */
function bySize(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields;
  const [typeI, nameI, sizeI] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + typeI]];
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameI]] : `(${type})`;
    const key = type === 'closure' ? `closure ${name}` : name;
    out.set(key, (out.get(key) ?? 0) + snap.nodes[i + sizeI]);
  }
  return out;
}

async function measure(label, openTo) {
  const points = [];
  for (const n of [FROM, TO]) {
    await openTo(n);
    await sleep(500);
    global.gc();
    global.gc();
    const file = join(tmp, `${label}-${n}.heapsnapshot`);
    writeHeapSnapshot(file);
    const mu = process.memoryUsage();
    points.push({ n, heap: mu.heapUsed, external: mu.external + mu.arrayBuffers, rss: mu.rss, sizes: bySize(file) });
  }
  const [p, q] = points;
  const per = (k) => (q[k] - p[k]) / (q.n - p.n);
  const growth = [...q.sizes]
    .map(([k, v]) => [k, (v - (p.sizes.get(k) ?? 0)) / (q.n - p.n)])
    .filter(([, v]) => v > 8)
    .sort((x, y) => y[1] - x[1]);
  console.log(
    `\n${label}: per added session ${FROM} → ${TO}: heap ${per('heap').toFixed(0)} B, external ${per('external').toFixed(0)} B, RSS ${per('rss').toFixed(0)} B`,
  );
  for (const [k, v] of growth.slice(0, 14)) console.log(`  ${v.toFixed(0).padStart(6)} B  ${k}`);
}

// mcpload's engine, sessions idle (one request every 1000 s).
const profile = { ...loadProfile('low-load'), rate: 0.001, clients: TO, stages: [] };
let engine;
await measure('mcpload session', async (n) => {
  if (!engine) {
    engine = new Engine(
      {
        engineId: 0,
        engineCount: 1,
        profile: { ...profile, clients: n },
        urls: [url],
        localAddresses: [],
        localPorts: { from: 10000, to: 65535 },
        headers: {},
        protocolVersion: '2025-11-25',
        frameTerminator: 'newline',
        connectRate: 0,
        maxConnecting: 1000,
        sessionsPerEngine: n,
        openFilesSoft: Infinity,
        durationMs: Infinity,
        startAtMs: Date.now(),
        snapshotIntervalMs: 1000,
        drainMs: 100,
      },
      { snapshot() {}, note() {} },
    );
    engine.start();
  } else engine.profile.clients = n;
  while (engine.snapshot(false).sessionsOpen < n) await sleep(200);
});
await engine.stop(100);

// A bare ws client, connections idle.
const sockets = [];
await measure('bare ws connection', async (n) => {
  while (sockets.length < n) {
    const batch = [];
    for (let i = 0; i < 500 && sockets.length < n; i++) {
      const ws = new WebSocket(url, ['mcp'], { perMessageDeflate: false });
      sockets.push(ws);
      batch.push(new Promise((r) => ws.once('open', r)));
    }
    await Promise.all(batch);
  }
});
for (const ws of sockets) ws.terminate();
target.kill('SIGTERM');
rmSync(tmp, { recursive: true, force: true });
