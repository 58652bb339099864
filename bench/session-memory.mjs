#!/usr/bin/env node --expose-gc
/**
 * Memory per idle session, from heap snapshots: an Engine (in this process, no thread) opens A then
 * B sessions to a `mcpload serve` child; after a full GC at each point it takes a V8 heap snapshot and
 * reports the retained growth per added session by constructor, plus heap and RSS slopes. The same
 * for a bare `ws` client, so the two are compared in one run. Each client runs in its own child
 * process (this file with --kind), so neither inherits the pages the other freed, and RSS comes from a
 * second child that takes no snapshots (writing one leaves tens of MB of malloc'd memory in RSS, so
 * RSS read after the first snapshot measured the snapshot, not the sessions).
 *
 *   npm run build && node --expose-gc bench/session-memory.mjs [--from 2000] [--to 6000] [--keep]
 *
 * --rss-rounds N: RSS only, no snapshots: N rounds of one mcpload child and one bare child against
 * the same target, the order alternating per round (mcpload first in odd rounds), then the median
 * RSS slope per added session of each and their ratio (e.g. --from 5000 --to 15000 --rss-rounds 3).
 */
import { spawn } from 'node:child_process';
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { localEngineConfig } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    from: { type: 'string', default: '2000' },
    to: { type: 'string', default: '6000' },
    keep: { type: 'boolean', default: false },
    kind: { type: 'string' },
    url: { type: 'string' },
    dir: { type: 'string' },
    'rss-only': { type: 'boolean', default: false },
    'rss-rounds': { type: 'string' },
  },
});
const FROM = Number(a.from);
const TO = Number(a.to);
if (!global.gc) throw new Error('run with node --expose-gc');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (a.kind === undefined) {
  // The parent: one target, then each kind in a fresh child process.
  const tmp = mkdtempSync(join(tmpdir(), 'mcpload-mem-'));
  const target = spawn(process.execPath, ['dist/bin.js', 'serve', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  target.stderr.on('data', (d) => (err += d));
  while (!/listening on (\S+)/.test(err)) await sleep(50);
  const url = /listening on (\S+)/.exec(err)[1];
  if (a['rss-rounds'] !== undefined) {
    const slopes = { mcpload: [], bare: [] };
    for (let round = 1; round <= Number(a['rss-rounds']); round++)
      for (const kind of round % 2 === 1 ? ['mcpload', 'bare'] : ['bare', 'mcpload']) {
        const args = ['--expose-gc', fileURLToPath(import.meta.url), '--kind', kind, '--url', url, '--dir', tmp, '--from', a.from, '--to', a.to, '--rss-only'];
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        const code = await new Promise((r) => child.once('exit', r));
        process.stdout.write(`round ${round}: ${out}`);
        if (code !== 0) process.exitCode = 1;
        const m = /RSS per added session (-?\d+) B/.exec(out);
        if (m) slopes[kind].push(Number(m[1]));
      }
    const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
    const [m, b] = [median(slopes.mcpload), median(slopes.bare)];
    console.log(
      `\nRSS per added idle session ${FROM} → ${TO}, median of ${slopes.mcpload.length}: mcpload ${m} B [${slopes.mcpload.join(', ')}], bare ws ${b} B [${slopes.bare.join(', ')}], ratio ${(m / b).toFixed(2)}`,
    );
    target.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
    process.exit();
  }
  for (const kind of ['mcpload', 'bare'])
    for (const rssOnly of [false, true]) {
      const args = ['--expose-gc', fileURLToPath(import.meta.url), '--kind', kind, '--url', url, '--dir', tmp, '--from', a.from, '--to', a.to];
      const child = spawn(process.execPath, rssOnly ? [...args, '--rss-only'] : args, { stdio: 'inherit' });
      const code = await new Promise((r) => child.once('exit', r));
      if (code !== 0) process.exitCode = 1;
    }
  target.kill('SIGTERM');
  if (a.keep) console.log(`\nsnapshots kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  process.exit();
}
const tmp = a.dir;
const url = a.url;
const { Engine } = await import(join(ROOT, 'dist/worker/engine.js'));
const { loadProfile } = await import(join(ROOT, 'dist/config/profile.js'));

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
    const mu = process.memoryUsage();
    const file = join(tmp, `${label}-${n}.heapsnapshot`);
    if (!a['rss-only']) writeHeapSnapshot(file);
    points.push({
      n,
      heap: mu.heapUsed,
      heapTotal: mu.heapTotal,
      external: mu.external + mu.arrayBuffers,
      rss: mu.rss,
      sizes: a['rss-only'] ? new Map() : bySize(file),
    });
  }
  const [p, q] = points;
  const per = (k) => (q[k] - p[k]) / (q.n - p.n);
  const growth = [...q.sizes]
    .map(([k, v]) => [k, (v - (p.sizes.get(k) ?? 0)) / (q.n - p.n)])
    .filter(([, v]) => v > 8)
    .sort((x, y) => y[1] - x[1]);
  if (a['rss-only']) {
    console.log(
      `${label} (no snapshots): RSS per added session ${per('rss').toFixed(0)} B (${(p.rss / 2 ** 20).toFixed(1)} → ${(q.rss / 2 ** 20).toFixed(1)} MiB), heapTotal ${per('heapTotal').toFixed(0)} B, heapUsed ${per('heap').toFixed(0)} B`,
    );
    return;
  }
  console.log(`\n${label}: per added session ${FROM} → ${TO}: heap ${per('heap').toFixed(0)} B, external ${per('external').toFixed(0)} B`);
  for (const [k, v] of growth.slice(0, 14)) console.log(`  ${v.toFixed(0).padStart(6)} B  ${k}`);
}

// mcpload's engine, sessions idle (one request every 1000 s).
if (a.kind === 'mcpload') {
  const profile = { ...loadProfile('low-load'), rate: 0.001, clients: TO, stages: [] };
  let engine;
  await measure('mcpload session', async (n) => {
    if (!engine) {
      engine = new Engine(
        localEngineConfig({ profile: { ...profile, clients: n }, url, sessions: n, durationMs: Infinity, snapshotIntervalMs: 1000, drainMs: 100 }),
        { snapshot() {}, note() {} },
      );
      engine.start();
    } else engine.profile.clients = n;
    while (engine.snapshot(false).sessionsOpen < n) await sleep(200);
  });
  await engine.stop(100);
  process.exit();
}

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
