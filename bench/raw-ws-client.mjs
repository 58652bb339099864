#!/usr/bin/env node
/**
 * The ceiling to compare mcpload against: a minimal closed-loop `ws` client. N connections, each does
 * the MCP handshake, then keeps `depth` requests in flight (a response triggers the next request),
 * for a fixed time. No rate limiter, no timeouts, no reconnects, no threads: only what any client pays
 * per round trip (build frame, send, JSON.parse the reply, match its id, record latency).
 *
 * Script:  node bench/raw-ws-client.mjs --url ws://127.0.0.1:PORT/mcp/ws --connections 100 --depth 1 --duration 10 [--size 128]
 * Module:  import { runRawClient } from './raw-ws-client.mjs'; const r = await runRawClient({ url, ... });
 *
 * Prints (script) / returns (module) one JSON object:
 *   roundTrips  responses received inside the measuring window
 *   drained     responses to requests still in flight when the window closed (received after it)
 *   seconds     the window: from every session being initialized to the end of sending
 *   rps         roundTrips / seconds
 *   rpsWithDrain (roundTrips + drained) / seconds: mcpload's definition (its `ok` includes the drain)
 *   p50us, p99us, meanUs  latency from send to response, µs (hdr-histogram-js)
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import hdr from 'hdr-histogram-js';

const HEAD = '{"jsonrpc":"2.0","id":';
const PAD_KEY = 'mcpload/pad';
/** Ids per connection stay below 10^ID_DIGITS. */
const ID_DIGITS = 12;

/**
 * Frame tails after the id, one per id digit count, padded like mcpload's (params._meta) so the whole
 * frame is exactly `size` bytes, or unpadded when `size` is below a bare ping (~45 B).
 */
function pingTails(size) {
  const bare = ',"method":"ping"}\n';
  const withEmptyPad = `,"method":"ping","params":{"_meta":{"${PAD_KEY}":""}}}\n`;
  const tails = [''];
  for (let digits = 1; digits <= ID_DIGITS; digits++) {
    const pad = size - (HEAD.length + digits + withEmptyPad.length);
    tails.push(pad < 0 ? bare : withEmptyPad.replace(`"${PAD_KEY}":""`, `"${PAD_KEY}":"${'x'.repeat(pad)}"`));
  }
  return tails;
}

const INITIALIZE =
  JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  }) + '\n';
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n';

/** Open one connection and finish the MCP handshake; resolves with the open socket. */
function openSession(url, handshakeTimeoutMs) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['mcp'], { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('handshake timed out'));
    }, handshakeTimeoutMs);
    ws.once('open', () => ws.send(INITIALIZE));
    ws.once('message', (data) => {
      clearTimeout(timer);
      const msg = JSON.parse(data.toString());
      if (msg.id !== 0 || !msg.result) return reject(new Error('initialize failed: ' + data.toString().slice(0, 200)));
      ws.send(INITIALIZED);
      resolve(ws);
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * @param {{ url: string, connections?: number, depth?: number, durationSeconds?: number, size?: number, frame?: string }} opts
 *   size: ping frame bytes (padded like mcpload); frame: a whole request frame to send instead of ping,
 *   containing `"id":0`, which is replaced per request.
 */
export async function runRawClient(opts) {
  const { url, connections = 100, depth = 1, durationSeconds = 10, size = 64 } = opts;
  let head = HEAD;
  let tails = pingTails(size);
  if (opts.frame) {
    const at = opts.frame.indexOf('"id":0');
    if (at < 0) throw new Error('--frame must contain "id":0');
    head = opts.frame.slice(0, at + 5);
    let tail = opts.frame.slice(at + 6);
    if (!tail.endsWith('\n')) tail += '\n';
    tails = Array(ID_DIGITS + 1).fill(tail);
  }
  const frameBytes = Buffer.byteLength(head + '1234' + tails[4]);
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

  const sockets = await Promise.all(Array.from({ length: connections }, () => openSession(url, 10_000)));

  let measuring = true;
  let roundTrips = 0;
  let drained = 0;
  let outstanding = 0;
  let errors = 0;
  let resolveDrained;
  const allDrained = new Promise((r) => (resolveDrained = r));
  // Power-of-two ring of send times per connection: ids in flight are always the last `depth` ones.
  let ring = 1;
  while (ring < depth) ring <<= 1;
  const mask = ring - 1;

  const senders = [];
  for (const ws of sockets) {
    const sentAt = new Float64Array(ring);
    let nextId = 1;
    const send = () => {
      const id = nextId++;
      sentAt[id & mask] = performance.now();
      outstanding++;
      const idText = '' + id;
      ws.send(head + idText + tails[idText.length]);
    };
    const onLine = (line) => {
      const msg = JSON.parse(line);
      if (typeof msg.id !== 'number' || msg.id <= 0) return; // not an answer to our requests
      const now = performance.now();
      outstanding--;
      if (msg.error !== undefined) errors++;
      if (measuring) {
        roundTrips++;
        hist.recordValue(Math.round((now - sentAt[msg.id & mask]) * 1000));
        send();
      } else {
        drained++;
        if (outstanding === 0) resolveDrained();
      }
    };
    ws.removeAllListeners('message');
    ws.on('message', (data) => {
      const text = data.toString();
      const nl = text.indexOf('\n');
      if (nl === -1 || nl === text.length - 1) onLine(text);
      else for (const line of text.split('\n')) if (line.trim()) onLine(line);
    });
    ws.on('error', () => errors++);
    senders.push(send);
  }

  // Every socket has its handler before the first request goes out; then fill each window.
  const start = performance.now();
  for (const send of senders) for (let i = 0; i < depth; i++) send();
  await new Promise((r) => setTimeout(r, durationSeconds * 1000));
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  if (outstanding > 0) {
    let timer;
    await Promise.race([allDrained, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }
  for (const ws of sockets) ws.close(1000);

  return {
    connections,
    depth,
    frameBytes,
    roundTrips,
    drained,
    errors,
    seconds: round(seconds, 3),
    rps: round(roundTrips / seconds, 0),
    rpsWithDrain: round((roundTrips + drained) / seconds, 0),
    p50us: hist.getValueAtPercentile(50),
    p99us: hist.getValueAtPercentile(99),
    meanUs: round(hist.mean, 0),
  };
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      connections: { type: 'string', default: '100' },
      depth: { type: 'string', default: '1' },
      duration: { type: 'string', default: '10' },
      size: { type: 'string', default: '64' },
      frame: { type: 'string' },
    },
  });
  if (!values.url) {
    process.stderr.write('usage: node bench/raw-ws-client.mjs --url ws://127.0.0.1:PORT/mcp/ws [--connections 100] [--depth 1] [--duration 10] [--size 64] [--frame JSON]\n');
    process.exit(2);
  }
  const result = await runRawClient({
    url: values.url,
    connections: Number(values.connections),
    depth: Number(values.depth),
    durationSeconds: Number(values.duration),
    size: Number(values.size),
    frame: values.frame,
  });
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`raw-ws-client: ${err.message}\n`);
    process.exit(1);
  });
}
