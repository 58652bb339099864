#!/usr/bin/env node
/**
 * A bare `ws` client ramp: open N WebSocket connections to a URL as fast as it can, at most C
 * connects in flight, and hold them. The yardstick for mcpload's ramp (bench/scale.mjs, bench/ramp-pair.mjs).
 * Prints one JSON line: {opened, failed, seconds, rate, rssAt (MiB at each 5,000 open)}; then holds
 * the connections until stdin closes or SIGTERM.
 *
 * --handshake: a connection counts as opened only after the MCP handshake mcpload makes (initialize,
 * its answer, notifications/initialized), and stays "in flight" until then, so the C bound covers the
 * same span as mcpload's connecting-at-once bound. --local-address: the source address to bind;
 * --local-ports FROM-TO: name the source port, round-robin in that range, as mcpload does (src/config/ports.ts:
 * bind(address, 0) makes the kernel search the port space on every connect, hundreds per second);
 * a port still busy (EADDRINUSE, e.g. TIME_WAIT from an earlier run) is skipped for the next.
 * --pause-at K: stop connecting when K have settled (opened or failed), print {"paused":K} and go on
 * at the next line on stdin (bench/scale.mjs reads memory there, idle, then at COUNT).
 *
 *   node bench/bare-ramp.mjs --url ws://127.0.0.1:8080/mcp/ws --count 15000 --concurrency 1000 [--handshake] [--local-address 127.0.0.2]
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    count: { type: 'string', default: '15000' },
    concurrency: { type: 'string', default: '1000' },
    handshake: { type: 'boolean', default: false },
    'local-address': { type: 'string' },
    'local-ports': { type: 'string' },
    'pause-at': { type: 'string' },
  },
});
const [PORT_FROM, PORT_TO] = values['local-ports'] ? values['local-ports'].split('-').map(Number) : [];
let nextPort = PORT_FROM;
let portsSkipped = 0;
const takePort = () => {
  const port = nextPort;
  nextPort = nextPort >= PORT_TO ? PORT_FROM : nextPort + 1;
  return port;
};
// mcpload's handshake frames (src/worker/session/handshake.ts, default revision 2025-11-25).
const INITIALIZE =
  JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bare-ramp', version: '1' } },
  }) + '\n';
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n';
const wsOptions = { perMessageDeflate: false, ...(values['local-address'] ? { localAddress: values['local-address'] } : {}) };
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const PAUSE_AT = values['pause-at'] === undefined ? Infinity : Number(values['pause-at']);
let paused = false;
const sockets = [];
const rssAt = {};
let started = 0;
let opened = 0;
let failed = 0;
let inFlight = 0;
const t0 = performance.now();

await new Promise((resolve) => {
  const connect = () => {
    const ws = new WebSocket(values.url, ['mcp'], PORT_FROM === undefined ? wsOptions : { ...wsOptions, localPort: takePort() });
    sockets.push(ws);
    let settled = false;
    const ready = () => {
      settled = true;
      inFlight--;
      opened++;
      if (opened % 5000 === 0) rssAt[opened] = Math.round(process.memoryUsage().rss / 1048576);
      done();
    };
    if (!values.handshake) ws.once('open', ready);
    else {
      ws.once('open', () => ws.send(INITIALIZE));
      ws.once('message', (data) => {
        const answer = JSON.parse(data.toString());
        if (answer.id !== 0 || !answer.result?.protocolVersion) return ws.emit('error', new Error('initialize failed'));
        ws.send(INITIALIZED);
        ready();
      });
    }
    ws.once('error', (err) => {
      if (settled) return;
      settled = true;
      if (err.code === 'EADDRINUSE' && PORT_FROM !== undefined && ++portsSkipped < 10 * COUNT) return connect();
      inFlight--;
      failed++;
      done();
    });
  };
  const pump = () => {
    while (inFlight < CONCURRENCY && started < COUNT && (paused === 'resumed' || started < PAUSE_AT)) {
      started++;
      inFlight++;
      connect();
    }
  };
  const done = () => {
    if (opened + failed === COUNT) return resolve();
    if (opened + failed === PAUSE_AT && paused === false) {
      paused = true;
      process.stdout.write(JSON.stringify({ paused: PAUSE_AT, opened, failed }) + '\n');
      process.stdin.once('data', () => {
        paused = 'resumed';
        pump();
      });
      return;
    }
    pump();
  };
  pump();
});
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ opened, failed, seconds, rate: opened / seconds, rssAt, portsSkipped }) + '\n');
const stop = () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
