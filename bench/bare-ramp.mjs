#!/usr/bin/env node
/**
 * A bare `ws` client ramp: open N WebSocket connections to a URL as fast as it can, at most C
 * connects in flight, and hold them. The yardstick for mcpload's ramp (bench/scale.mjs).
 * Prints one JSON line: {opened, failed, seconds, rate, rssAt (MiB at each 5,000 open)}; then holds
 * the connections until stdin closes or SIGTERM.
 *
 *   node bench/bare-ramp.mjs --url ws://127.0.0.1:8080/mcp/ws --count 15000 --concurrency 1000
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: { url: { type: 'string' }, count: { type: 'string', default: '15000' }, concurrency: { type: 'string', default: '1000' } },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const sockets = [];
const rssAt = {};
let started = 0;
let opened = 0;
let failed = 0;
let inFlight = 0;
const t0 = performance.now();

await new Promise((resolve) => {
  const pump = () => {
    while (inFlight < CONCURRENCY && started < COUNT) {
      started++;
      inFlight++;
      const ws = new WebSocket(values.url, ['mcp'], { perMessageDeflate: false });
      sockets.push(ws);
      ws.once('open', () => {
        inFlight--;
        opened++;
        if (opened % 5000 === 0) rssAt[opened] = Math.round(process.memoryUsage().rss / 1048576);
        done();
      });
      ws.once('error', () => {
        inFlight--;
        failed++;
        done();
      });
    }
  };
  const done = () => (opened + failed === COUNT ? resolve() : pump());
  pump();
});
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ opened, failed, seconds, rate: opened / seconds, rssAt }) + '\n');
const stop = () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
