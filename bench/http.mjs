#!/usr/bin/env node
/**
 * mcpload's Streamable HTTP transport against a minimal raw undici client and autocannon, in ONE run,
 * against the same `mcpload serve` target's `/mcp` endpoint (JSON answers), rounds alternating in order
 * so drift on a shared machine hits every kind.
 *
 *   node bench/http.mjs [--rounds 3] [--seconds 8] [--connections 50] [--rate 2000] [--pin] [--kinds a,b]
 *
 * Kinds of run, each a separate child process (the target is one more, started once):
 *   raw-d1       the raw client: N sessions (initialize, then Mcp-Session-Id on every POST), each
 *                with 1 request in flight (closed loop), over one undici Pool of 4N connections (what
 *                mcpload's request pool opens for N sessions), no pipelining
 *   mcpload-d1   mcpload --transport http at the same depth: N sessions, maxInFlight 1 (a generated
 *                profile: message-bomber's pings and 128-byte bodies, rate far above reach), --workers 1
 *   mcpload-sat  mcpload --transport http, message-bomber profile (ping, 128-byte bodies), --rate far
 *                above what it can reach, --workers 1 (one engine: one request Pool of 4N connections)
 *   raw-dN       the raw client with N' = mcpload-sat's mean requests in flight per session (round 1,
 *                Little's law) per session: the fair throughput pairing
 *   autocannon   autocannon 9 (its own HTTP client) posting one fixed ping (same 128 bytes) with one
 *                initialized session's headers to the same endpoint over N connections, no pipelining
 * Figures: requests/s (answers to requests sent in the window / window), p50/p99 latency from the
 * actual send, generator CPU per request (user+sys of the child, all its threads, startup included),
 * the same in the steady part only (the child's CPU from 2 s after its start to --seconds after it,
 * over the requests its rate answers in that time: per-request work without the startup), the
 * target's CPU.
 *
 * --pin: the target runs on CPU 0 and every client under test on CPU 1 (taskset -a), so the two never
 * take each other's core; without it the kernel spreads both over both cores.
 *
 * The raw client is this same file run with --client (a module-free, minimal loop: pool.request,
 * read the body, JSON.parse, match the id, record the latency); --autocannon runs autocannon.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    client: { type: 'boolean', default: false },
    autocannon: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    kinds: { type: 'string', default: 'raw-d1,mcpload-d1,mcpload-sat,raw-dN,autocannon' },
    url: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    depth: { type: 'string', default: '1' },
    rate: { type: 'string', default: '2000' },
  },
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const FRAME_BYTES = 128; // message-bomber's messageSize: both clients send the same bodies
/** Connections per session in mcpload's request pool (src/worker/transport/http-pool.ts). */
const POOL_PER_SESSION = 4;

/** A ping padded to exactly FRAME_BYTES with the id's digits, like mcpload's frames. */
function pingBody(id) {
  const head = `{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"_meta":{"pad":"`;
  const tail = '"}}}\n';
  return head + 'x'.repeat(Math.max(0, FRAME_BYTES - head.length - tail.length)) + tail;
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

// ---- the raw client -------------------------------------------------------------------------------

async function rawClient() {
  const { Pool } = await import('undici');
  const hdr = (await import('hdr-histogram-js')).default;
  const url = new URL(args.url);
  const depth = Number(args.depth);
  // As many connections as mcpload's request pool opens for N sessions (PER_SESSION each, no pipelining).
  const pool = new Pool(url.origin, { connections: POOL_PER_SESSION * CONNECTIONS, pipelining: 1 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const body = pingBody;
  let errors = 0;
  const post = async (headers, text) => {
    const res = await pool.request({ path: url.pathname, method: 'POST', headers, body: text });
    const answer = await res.body.text();
    return { res, answer };
  };
  // Sessions: initialize + notifications/initialized, like any MCP client.
  const sessions = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const { res } = await post(base, INIT);
      const headers = { ...base, 'mcp-session-id': res.headers['mcp-session-id'], 'mcp-protocol-version': '2025-11-25' };
      await post(headers, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
      return headers;
    }),
  );
  let inWindow = true;
  let roundTrips = 0;
  let drained = 0;
  const loop = async (headers) => {
    let id = 1;
    while (inWindow) {
      const myId = id++;
      const t0 = performance.now();
      try {
        const { answer } = await post(headers, body(myId));
        const msg = JSON.parse(answer);
        if (msg.id !== myId || msg.result === undefined) errors++;
        else {
          histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          if (inWindow) roundTrips++;
          else drained++;
        }
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  const loops = sessions.flatMap((h) => Array.from({ length: depth }, () => loop(h)));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  inWindow = false;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(loops);
  await Promise.all(
    sessions.map((h) =>
      pool
        .request({ path: url.pathname, method: 'DELETE', headers: h })
        .then((r) => r.body.dump())
        .catch(() => {}),
    ),
  );
  await pool.close();
  console.log(
    JSON.stringify({
      roundTrips,
      drained,
      seconds,
      rps: roundTrips / seconds,
      rpsWithDrain: (roundTrips + drained) / seconds,
      p50us: histogram.getValueAtPercentile(50),
      p99us: histogram.getValueAtPercentile(99),
      errors,
    }),
  );
}

// ---- autocannon -----------------------------------------------------------------------------------

/**
 * autocannon posting one fixed ping: one session is initialized first (its Mcp-Session-Id and
 * MCP-Protocol-Version go on every POST, as on the others' requests), then N connections, no
 * pipelining, for the window; the session is deleted at the end. Its own HTTP client, not undici.
 */
async function autocannonClient() {
  const autocannon = (await import('autocannon')).default;
  const { request } = await import('undici');
  const url = new URL(args.url);
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await request(url, { method: 'POST', headers: base, body: INIT });
  await init.body.text();
  const headers = { ...base, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  await (await request(url, { method: 'POST', headers, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' })).body.dump();
  const r = await autocannon({ url: url.href, method: 'POST', headers, body: pingBody(1), connections: CONNECTIONS, pipelining: 1, duration: SECONDS });
  await (await request(url, { method: 'DELETE', headers })).body.dump();
  console.log(
    JSON.stringify({
      roundTrips: r['2xx'],
      seconds: r.duration,
      rps: r['2xx'] / r.duration,
      p50us: r.latency.p50 * 1000,
      p99us: r.latency.p99 * 1000,
      errors: r.errors + r.timeouts + r.non2xx,
    }),
  );
}

// ---- the comparison -------------------------------------------------------------------------------

async function compare() {
  const {
    startServe,
    runChild: runNode,
    mcploadFigures,
    roundResults,
    tmpDir,
    machineLine,
    median,
    fmtInt,
    fmtMs,
    pct,
    loadAvg1,
    cpuSeconds,
    pin,
    mcploadNodeFlags,
  } = await import('./lib.mjs');
  const ROUNDS = Number(args.rounds);
  const SAT_RATE = Number(args.rate);
  const KINDS = new Set(args.kinds.split(','));
  const tmp = tmpDir();
  const target = await startServe();
  const url = target.url.replace(/^ws:/, 'http:').replace(/\/mcp\/ws$/, '/mcp');
  // --pin: the target on CPU 0, each client under test on CPU 1 (all threads: -a; later ones inherit it).
  if (args.pin) pin(target.pid, 0);

  // Steady CPU: the child's CPU (all threads) between 2 s after its start and SECONDS after it, inside
  // every kind's window whatever its startup takes, over the requests that rate answers in that time.
  const STEADY_FROM = 2;
  const runChild = async (argv) => {
    const steady = [];
    const timers = [];
    const onSpawn = (child) => {
      if (args.pin) pin(child.pid, 1);
      for (const at of [STEADY_FROM, SECONDS]) timers.push(setTimeout(() => steady.push(cpuSeconds(child.pid)), at * 1000));
    };
    const c = await runNode(argv, { timeoutMs: (SECONDS + 60) * 1000, watch: [target.pid], onSpawn });
    timers.forEach(clearTimeout);
    const steadyCpu = steady.length === 2 && steady[0] > 0 ? (steady[1] - steady[0]) / (SECONDS - STEADY_FROM) : undefined;
    return { ...c, targetCpuShare: c.watchCpu[0] / c.wall, steadyCpu };
  };
  /** µs of CPU per request in the steady part: CPU share over requests per second. */
  const steadyUs = (c, rps) => (c.steadyCpu === undefined ? undefined : (c.steadyCpu * 1e6) / rps);
  // mcpload at depth 1: message-bomber's pings with one request in flight per session.
  const d1Profile = join(tmp, 'http-d1.json');
  writeFileSync(
    d1Profile,
    JSON.stringify({
      name: 'http-d1',
      clients: CONNECTIONS,
      rate: Number(args.rate),
      burst: 1,
      messageSize: FRAME_BYTES,
      timeout: '2s',
      sessionTtl: '1h',
      maxInFlight: 1,
      mix: [{ method: 'ping', weight: 1 }],
    }) + '\n',
  );
  const runAutocannon = async () => {
    const argv = ['bench/http.mjs', '--autocannon', '--url', url, '--connections', String(CONNECTIONS), '--seconds', String(SECONDS)];
    const c = await runChild(argv);
    if (c.code !== 0) throw new Error(`autocannon exited ${c.code}: ${c.err}`);
    const r = c.json;
    return {
      cmd: 'node ' + argv.join(' '),
      rps: r.rps,
      p50us: r.p50us,
      p99us: r.p99us,
      inFlight: 1, // per connection (one session for all of them)
      cpuUsPerReq: (c.cpu * 1e6) / r.roundTrips,
      steadyUsPerReq: steadyUs(c, r.rps),
      genCpuShare: c.cpu / c.wall,
      targetCpuShare: c.targetCpuShare,
      otherCpuShare: c.otherCpuShare,
      notes: r.errors ? `${r.errors} errors` : '',
    };
  };
  const runRaw = async (depth) => {
    const argv = ['bench/http.mjs', '--client', '--url', url, '--connections', String(CONNECTIONS), '--depth', String(depth), '--seconds', String(SECONDS)];
    const c = await runChild(argv);
    if (c.code !== 0) throw new Error(`raw client exited ${c.code}: ${c.err}`);
    const r = c.json;
    return {
      cmd: 'node ' + argv.join(' '),
      rps: r.rpsWithDrain,
      p50us: r.p50us,
      p99us: r.p99us,
      inFlight: depth,
      cpuUsPerReq: (c.cpu * 1e6) / (r.roundTrips + r.drained),
      steadyUsPerReq: steadyUs(c, r.rpsWithDrain),
      genCpuShare: c.cpu / c.wall,
      targetCpuShare: c.targetCpuShare,
      otherCpuShare: c.otherCpuShare,
      notes: r.errors ? `${r.errors} errors` : '',
    };
  };
  const runMcpload = async (profile = 'message-bomber') => {
    const report = join(tmp, 'sat.json');
    const argv = [
      ...mcploadNodeFlags(),
      'dist/bin.js',
      '--url',
      url,
      '--profile',
      profile,
      '--clients',
      String(CONNECTIONS),
      '--rate',
      String(SAT_RATE),
      '--duration',
      `${SECONDS}s`,
      '--workers',
      '1',
      '--metrics-port',
      '0',
      '--report',
      report,
      '--quiet',
    ];
    const c = await runChild(argv);
    const f = mcploadFigures(c, argv, report, CONNECTIONS);
    return { ...f, steadyUsPerReq: steadyUs(c, f.rps) };
  };

  console.log(`# mcpload Streamable HTTP vs raw undici  ${new Date().toISOString()}`);
  console.log(machineLine() + `, load ${loadAvg1()}`);
  console.log(
    `command: node bench/http.mjs --rounds ${ROUNDS} --seconds ${SECONDS} --connections ${CONNECTIONS} --rate ${SAT_RATE}${args.pin ? ' --pin' : ''} --kinds ${args.kinds}`,
  );
  console.log(`target: ${target.command}  (pid ${target.pid}, ${url}, JSON answers)${args.pin ? '; pinned: target on CPU 0, clients on CPU 1' : ''}\n`);
  const { results, commands, record, med } = roundResults('session');
  let fairDepth;
  const plan = [
    ['raw-d1', () => runRaw(1)],
    ['mcpload-d1', () => runMcpload(d1Profile)],
    ['mcpload-sat', () => runMcpload()],
    ['raw-dN', () => runRaw(fairDepth)],
    ['autocannon', () => runAutocannon()],
  ].filter(([kind]) => KINDS.has(kind));
  // raw-dN's depth comes from mcpload-sat's first round: it runs after it.
  if (KINDS.has('raw-dN') && !KINDS.has('mcpload-sat')) throw new Error('--kinds: raw-dN needs mcpload-sat');
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}`);
    // Round 1 in order (raw-dN after mcpload-sat), then reversed every other round.
    const order = round % 2 === 1 ? plan : [...plan].reverse();
    for (const [kind, run] of order) {
      const r = await run();
      record(kind, r);
      if (round === 1 && kind === 'mcpload-sat') fairDepth = Math.max(1, Math.round(r.inFlight));
    }
  }
  const ratio = (a, b) => median(results.get(a).map((r, i) => r.rps / results.get(b)[i].rps));
  console.log(
    `\nmedians over ${ROUNDS} rounds (${SECONDS} s each, ${CONNECTIONS} sessions, ${POOL_PER_SESSION * CONNECTIONS} pooled connections each side, ${FRAME_BYTES}-byte ping bodies):\n`,
  );
  console.log('| run | req/s | p50 ms | p99 ms | in-flight/session | gen CPU µs/req | steady µs/req | gen CPU | target CPU | other CPU |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const kind of results.keys()) {
    console.log(
      `| ${kind} | ${fmtInt(med(kind, 'rps'))} | ${fmtMs(med(kind, 'p50us'))} | ${fmtMs(med(kind, 'p99us'))} | ${med(kind, 'inFlight').toFixed(1)} | ` +
        `${med(kind, 'cpuUsPerReq').toFixed(1)} | ${med(kind, 'steadyUsPerReq')?.toFixed(1) ?? ''} | ${pct(med(kind, 'genCpuShare'))} | ${pct(med(kind, 'targetCpuShare'))} | ${pct(med(kind, 'otherCpuShare'))} |`,
    );
  }
  const has = (kind) => results.has(kind);
  const cpu = (a, b, key = 'cpuUsPerReq') => median(results.get(a).map((r, i) => r[key] / results.get(b)[i][key]));
  const line = (a, b, what) => {
    if (has(a) && has(b)) {
      console.log(
        `${a} / ${b}${what}: ${(ratio(a, b) * 100).toFixed(0)}% of its req/s, ${cpu(a, b).toFixed(2)}x its CPU per request ` +
          `(steady part: ${cpu(a, b, 'steadyUsPerReq')?.toFixed(2)}x)`,
      );
    }
  };
  console.log('\nratios (medians of per-round ratios):');
  line('mcpload-d1', 'raw-d1', ' (equal depth: 1 in flight per session)');
  line('mcpload-sat', 'raw-dN', ' (same requests in flight per session)');
  line('mcpload-sat', 'raw-d1', '');
  line('mcpload-d1', 'autocannon', ` (${CONNECTIONS} connections' worth of requests in flight each)`);
  line('mcpload-sat', 'autocannon', '');
  if (fairDepth !== undefined)
    console.log(`fair depth N' = ${fairDepth} (mcpload-sat's in-flight per session in round 1, Little's law: ok/s x mean raw latency / sessions)`);
  console.log('\ncommands (last round):');
  for (const [kind, cmd] of commands) console.log(`  ${kind}: ${cmd}`);
}

(args.client ? rawClient() : args.autocannon ? autocannonClient() : compare())
  .then(() => process.exit(0))
  .catch((err) => {
    console.error('http bench: ' + (err.stack ?? err));
    process.exit(1);
  });
