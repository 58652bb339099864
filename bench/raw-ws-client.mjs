#!/usr/bin/env node
/**
 * The ceiling to compare mcpload against: a minimal closed-loop `ws` client. N connections, each does
 * the MCP handshake, then keeps `depth` requests in flight (a response triggers the next request),
 * for a fixed time. No rate limiter, no timeouts, no reconnects, no threads: only what any client pays
 * per round trip (build frame, send, JSON.parse the reply, match its id, record latency).
 * With --rate R it is open-loop instead: R requests/s in total on a 1 ms timer, round-robin over the
 * connections, at most `depth` in flight per connection (the yardstick for mcpload at a fixed rate).
 *
 * Script:  node bench/raw-ws-client.mjs --url ws://127.0.0.1:PORT/mcp/ws --connections 100 --depth 1 --duration 10 [--size 128]
 *            [--method tools/call --params '{"name":"echo","arguments":{"text":""}}'] [--rate 40000 [--paced [--burst 10]] [--warmup 2]] [--cork]
 * --paced (with --rate): mcpload's schedule instead of the 1 ms timer's bursts: the 1 ms timer sends what
 * is due up to 0.5 ms ahead, and every received message sends what is due up to 1/8 ms ahead (mcpload's
 * ticker look-ahead and its 1/16 ms wheel polled two slots ahead on socket events, src/worker/engine.ts);
 * a request sent early is timed from its send, as mcpload's recorder does. Its p50/p99 then measure the
 * target, not the client's own bursts: the yardstick for mcpload's corrected latency.
 * --burst N (with --paced): mcpload's drop rule too: a request more than N of its connection's intervals
 * (connections / rate) late is dropped and left out of the histograms, as mcpload drops the tokens that
 * overflow a session's bucket of `burst`; without it a late request is sent and timed from its intended time.
 * --warmup S (open loop): the schedule runs S seconds before measuring starts, as mcpload's --warmup: a
 * request due before then is the warm-up's whenever it is answered (counted in `warmup`, in no histogram);
 * the window, its seconds and --duration start after it.
 * --cork: frames sent in one event-loop turn on a connection go out in one TCP write (socket cork until
 * the next tick), as mcpload and mcpload serve do.
 * Module:  import { runRawClient } from './raw-ws-client.mjs'; const r = await runRawClient({ url, ... });
 *
 * Prints (script) / returns (module) one JSON object:
 *   roundTrips  responses received inside the measuring window
 *   drained     responses to requests still in flight when the window closed (received after it)
 *   seconds     the window: from every session being initialized to the end of sending
 *   rps         roundTrips / seconds
 *   rpsWithDrain (roundTrips + drained) / seconds: mcpload's definition (its `ok` includes the drain)
 *   p50us, p99us, meanUs  latency from send to response, µs (hdr-histogram-js)
 *   open loop only: rate, dropped (due while the connection had `depth` in flight, or with --burst more
 *   than N intervals late: lateDropped of them),
 *   intendedP50us, intendedP99us (latency from the intended send time, like mcpload's corrected),
 *   secondsP50us, secondsP99us (the same per second of the window, by response time, like mcpload's timeline),
 *   with --warmup: warmup { seconds, sent, ok, failed, dropped } (the warm-up's requests, in none of the above)
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import hdr from 'hdr-histogram-js';

const HEAD = '{"jsonrpc":"2.0","id":';
const PAD_KEY = 'mcpload/pad';
/** Ids per connection stay below 10^ID_DIGITS. */
const ID_DIGITS = 12;
/** --paced: mcpload's ticker look-ahead (half its 1 ms tick) and its socket-event look-ahead (two 1/16 ms wheel slots). */
const LOOK_AHEAD_MS = 0.5;
const POLL_AHEAD_MS = 2 / 16;

/**
 * Frame tails after the id, one per id digit count (index = digits), built like mcpload's
 * (src/worker/frames.ts): the frame is padded to exactly `size` bytes with `params._meta["mcpload/pad"]`,
 * or, when that wrapper does not fit, with spaces before the closing brace; a frame that does not fit
 * even bare is sent bare (larger than `size`).
 */
export function requestTails(method, params, size) {
  const tailText = (pad) => {
    let p = params;
    if (pad !== undefined) p = { ...(p ?? {}), _meta: { ...(p?._meta ?? {}), [PAD_KEY]: '' } };
    let text = `,"method":${JSON.stringify(method)}`;
    if (p) text += `,"params":${JSON.stringify(p)}`;
    text += '}\n';
    return pad ? text.replace(`"${PAD_KEY}":""`, `"${PAD_KEY}":"${pad}"`) : text;
  };
  const bare = tailText(undefined);
  const wrapped = tailText('');
  const tails = [''];
  for (let digits = 1; digits <= ID_DIGITS; digits++) {
    const fixed = HEAD.length + digits;
    const room = size - fixed - Buffer.byteLength(wrapped);
    if (room >= 0) tails.push(tailText('x'.repeat(room)));
    else {
      const spaces = Math.max(0, size - fixed - Buffer.byteLength(bare));
      const at = bare.lastIndexOf('}');
      tails.push(bare.slice(0, at) + ' '.repeat(spaces) + bare.slice(at));
    }
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
 * @param {{ url: string, connections?: number, depth?: number, durationSeconds?: number, size?: number,
 *           method?: string, params?: object, frame?: string, rate?: number }} opts
 *   size: request frame bytes, padded exactly like mcpload; method/params: the request (default ping);
 *   frame: a whole request frame to send instead, containing `"id":0`, which is replaced per request.
 *   rate: open loop instead of closed: `rate` requests/s in total, sent on a 1 ms timer round-robin over
 *   the connections (each at most `depth` in flight; a request due on a full connection is dropped).
 */
export async function runRawClient(opts) {
  const {
    url,
    connections = 100,
    depth = 1,
    durationSeconds = 10,
    size = 64,
    method = 'ping',
    params,
    rate = 0,
    cork = false,
    paced = false,
    burst = 0,
    warmupSeconds = 0,
  } = opts;
  let head = HEAD;
  let tails = requestTails(method, params, size);
  if (opts.frame) {
    const at = opts.frame.indexOf('"id":0');
    if (at < 0) throw new Error('--frame must contain "id":0');
    head = opts.frame.slice(0, at + 5);
    let tail = opts.frame.slice(at + 6);
    if (!tail.endsWith('\n')) tail += '\n';
    tails = Array(ID_DIGITS + 1).fill(tail);
  }
  const frameBytes = Buffer.byteLength(head + '1234' + tails[4]);
  const newHist = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const hist = newHist();
  /** Open loop only: latency from the intended send time (start + k / rate), like mcpload's corrected. */
  const histIntended = newHist();
  /** Open loop: the same per second of the window (by response time), like mcpload's timeline p50/p99. */
  const perSecond = [];
  const openLoop = rate > 0;
  const warmMs = openLoop ? warmupSeconds * 1000 : 0;
  /** --warmup: requests due before this instant are the warm-up's (set when the schedule starts). */
  let measureFrom = -Infinity;
  const warm = { seconds: warmupSeconds, sent: 0, ok: 0, failed: 0, dropped: 0 };

  const sockets = await Promise.all(Array.from({ length: connections }, () => openSession(url, 10_000)));

  let measuring = true;
  let roundTrips = 0;
  let drained = 0;
  let outstanding = 0;
  let errors = 0;
  let dropped = 0;
  /** --burst: of `dropped`, those dropped for being late rather than for a full connection. */
  let late = 0;
  let resolveDrained;
  const allDrained = new Promise((r) => (resolveDrained = r));
  // Power-of-two ring of send times per connection: ids in flight are always the last `depth` ones
  // (open loop: responses may come out of order only within a connection's window, still < depth).
  let ring = 1;
  while (ring < depth) ring <<= 1;
  const mask = ring - 1;

  const senders = [];
  /** Paced open loop: sends every request due by the time given (set once the schedule starts). */
  let pacedPoll;
  for (const ws of sockets) {
    const sentAt = new Float64Array(ring);
    const intendedAt = new Float64Array(ring);
    /** 1: the request was due in the warm-up. */
    const warmAt = new Uint8Array(ring);
    let nextId = 1;
    let inFlight = 0;
    // --cork: the frames one event-loop turn sends on this connection leave in one TCP write (as mcpload
    // and mcpload serve do), instead of one write per frame.
    const tcp = ws._socket;
    let corked = false;
    const uncork = () => {
      corked = false;
      tcp.uncork();
    };
    const send = (intended) => {
      if (cork && !corked) {
        corked = true;
        tcp.cork();
        process.nextTick(uncork);
      }
      const id = nextId++;
      const now = performance.now();
      sentAt[id & mask] = now;
      // Sent ahead of its time (paced look-ahead): timed from the send, like mcpload's recorder.
      intendedAt[id & mask] = intended === undefined || intended > now ? now : intended;
      const isWarm = (intended ?? now) < measureFrom;
      warmAt[id & mask] = isWarm ? 1 : 0;
      if (isWarm) warm.sent++;
      outstanding++;
      inFlight++;
      const idText = '' + id;
      ws.send(head + idText + tails[idText.length]);
    };
    const onLine = (line) => {
      const msg = JSON.parse(line);
      if (typeof msg.id !== 'number' || msg.id <= 0) return; // not an answer to our requests
      const now = performance.now();
      outstanding--;
      inFlight--;
      if (msg.error !== undefined) errors++;
      if (warmAt[msg.id & mask] === 1) {
        if (msg.error !== undefined) warm.failed++;
        else warm.ok++;
        if (!measuring && outstanding === 0) resolveDrained();
        return;
      }
      if (measuring) {
        roundTrips++;
        hist.recordValue(Math.round((now - sentAt[msg.id & mask]) * 1000));
        if (openLoop) {
          const us = Math.round((now - intendedAt[msg.id & mask]) * 1000);
          histIntended.recordValue(us);
          const second = Math.max(0, Math.floor((now - measureFrom) / 1000));
          while (perSecond.length <= second)
            perSecond.push(hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 }));
          perSecond[second].recordValue(Math.min(us, 60_000_000));
        } else send();
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
      // Paced: a socket event also sends what is due shortly, as mcpload's wheel does between ticks.
      if (pacedPoll !== undefined) pacedPoll(performance.now() + POLL_AHEAD_MS);
    });
    ws.on('error', () => errors++);
    senders.push({ send, full: () => inFlight >= depth });
  }

  // Every socket has its handler before the first request goes out.
  const start = performance.now();
  measureFrom = start + warmMs;
  let ticker;
  if (!openLoop) {
    for (const { send } of senders) for (let i = 0; i < depth; i++) send();
  } else {
    // Request k is due at start + k * interval; each tick sends every request due by now.
    const intervalMs = 1000 / rate;
    let k = 0;
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (start + k * intervalMs <= now) {
        const s = senders[next];
        next = next + 1 === senders.length ? 0 : next + 1;
        if (s.full()) {
          if (start + k * intervalMs < measureFrom) warm.dropped++;
          else dropped++;
        } else s.send(start + k * intervalMs);
        k++;
      }
    };
    if (paced) {
      // --burst: mcpload's token-bucket rule: a request more than `burst` of its connection's intervals late
      // is dropped (counted, in no histogram) instead of sent late.
      const keepMs = burst > 0 ? burst * senders.length * intervalMs : Infinity;
      const due = (until) => {
        const oldest = performance.now() - keepMs;
        while (measuring && start + k * intervalMs <= until) {
          const s = senders[next];
          next = next + 1 === senders.length ? 0 : next + 1;
          const dueAt = start + k * intervalMs;
          if (dueAt < oldest || s.full()) {
            if (dueAt < measureFrom) warm.dropped++;
            else {
              dropped++;
              if (dueAt < oldest) late++;
            }
          } else s.send(dueAt);
          k++;
        }
      };
      pacedPoll = due;
      const pacedTick = () => due(performance.now() + LOOK_AHEAD_MS);
      pacedTick();
      ticker = setInterval(pacedTick, 1);
    } else {
      tick();
      ticker = setInterval(tick, 1);
    }
  }
  await new Promise((r) => setTimeout(r, warmMs + durationSeconds * 1000));
  measuring = false;
  clearInterval(ticker);
  const seconds = (performance.now() - (warmMs > 0 ? measureFrom : start)) / 1000;
  if (outstanding > 0) {
    let timer;
    await Promise.race([allDrained, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }
  for (const ws of sockets) ws.close(1000);

  return {
    connections,
    depth,
    ...(openLoop ? { rate, dropped, paced, ...(paced && burst > 0 ? { burst, lateDropped: late } : {}) } : {}),
    ...(warmMs > 0 ? { warmup: warm } : {}),
    cork,
    method: opts.frame ? 'frame' : method,
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
    ...(openLoop
      ? {
          intendedP50us: histIntended.getValueAtPercentile(50),
          intendedP99us: histIntended.getValueAtPercentile(99),
          secondsP50us: perSecond.map((h) => h.getValueAtPercentile(50)),
          secondsP99us: perSecond.map((h) => h.getValueAtPercentile(99)),
        }
      : {}),
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
      method: { type: 'string', default: 'ping' },
      params: { type: 'string' },
      frame: { type: 'string' },
      rate: { type: 'string', default: '0' },
      cork: { type: 'boolean', default: false },
      paced: { type: 'boolean', default: false },
      burst: { type: 'string', default: '0' },
      warmup: { type: 'string', default: '0' },
    },
  });
  if (!values.url) {
    process.stderr.write(
      'usage: node bench/raw-ws-client.mjs --url ws://127.0.0.1:PORT/mcp/ws [--connections 100] [--depth 1] [--duration 10] [--size 64] [--method ping] [--params JSON] [--frame JSON] [--rate R [--paced [--burst N]] [--warmup S]] [--cork]\n',
    );
    process.exit(2);
  }
  const result = await runRawClient({
    url: values.url,
    connections: Number(values.connections),
    depth: Number(values.depth),
    durationSeconds: Number(values.duration),
    size: Number(values.size),
    method: values.method,
    params: values.params ? JSON.parse(values.params) : undefined,
    frame: values.frame,
    rate: Number(values.rate),
    cork: values.cork,
    paced: values.paced,
    burst: Number(values.burst),
    warmupSeconds: Number(values.warmup),
  });
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`raw-ws-client: ${err.message}\n`);
    process.exit(1);
  });
}
