/** The text report, in the old simulator's sections so existing readers find their numbers. */
import { formatMicros } from '../config/units.js';
import { OUTCOMES, failedOf } from '../shared/counters.js';
import { describeDetail } from '../shared/error-details.js';
import type { LatencySummary } from '../shared/stats.js';
import type { MethodReport, RunReport } from './types.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const rate = (n: number) => (n >= 100 ? int(n) : n.toFixed(1));
/** The outcomes on each method's line (counters.ts `text`). */
const METHOD_LINE = OUTCOMES.filter((o) => o.text);

function latencyLine(label: string, l: LatencySummary): string {
  const cols = [
    ['min', l.min],
    ['p50', l.p50],
    ['p90', l.p90],
    ['p95', l.p95],
    ['p99', l.p99],
    ['p99.9', l.p999],
    ['max', l.max],
    ['mean', l.mean],
  ] as const;
  return `  ${label.padEnd(11)}` + cols.map(([k, v]) => `${k} ${formatMicros(v)}`.padEnd(15)).join('');
}

/** A figure as a person reads it: 74.28571428571429 -> 74.3, 1500 -> 1,500, 0.25 -> 0.25. */
export function figure(n: number): string {
  return Math.abs(n) >= 100 ? int(n) : String(+n.toPrecision(3));
}

/** `100 clients`, or with stages `ramp 20 → 100 in 10s → 200 in 10s, hold 10s: peak 200 clients`. */
export function clientsLine(r: RunReport): string {
  const c = r.config;
  const stages = c.stages ?? [];
  if (stages.length === 0) return `${int(c.clients)} clients`;
  const secs = (v: number) => (v >= 120 && v % 60 === 0 ? `${v / 60}m` : `${figure(v)}s`);
  let previous = c.clients;
  const steps = stages.map((st) => {
    const rate = st.rate !== undefined ? ` @ ${figure(st.rate)}/s` : '';
    const step = st.clients === previous && !rate ? `, hold ${secs(st.durationSeconds)}` : ` → ${int(st.clients)}${rate} in ${secs(st.durationSeconds)}`;
    previous = st.clients;
    return step;
  });
  return `ramp ${int(c.clients)}${steps.join('')}: peak ${int(Math.max(c.clients, ...stages.map((st) => st.clients)))} clients`;
}

/** `100 clients × 50/s`, or in the closed model `100 clients × 4 in flight, think 100ms`. */
export function loadLine(r: RunReport): string {
  const c = r.config;
  if (c.arrivalRate !== undefined) return `${figure(c.arrivalRate)} sessions/s arriving`;
  if (r.model !== 'closed') return `${clientsLine(r)} × ${figure(c.ratePerClient)}/s`;
  const t = c.thinkTimeMs ?? { min: 0, max: 0 };
  const ms = (v: number) => (v >= 1000 && v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`);
  const think = t.max === 0 ? '' : `, think ${t.min === t.max ? ms(t.min) : `${ms(t.min)}-${ms(t.max)}`}`;
  return `${clientsLine(r)} × ${c.concurrency ?? 1} in flight${think} (closed model)`;
}

/** A method's (or target's) counts on its line: the `text` outcomes, failed, p50 and p99 (raw in the closed model: no schedule). */
function methodFigures(m: MethodReport, closed: boolean): string {
  const counts = METHOD_LINE.map((o) => `${o.name} ${int(m[o.name] ?? 0)}`);
  counts.push(`failed ${int(failedOf(m))}`);
  const l = closed ? m.latency.raw : m.latency.corrected;
  return `${counts.join(', ')}, p50 ${formatMicros(l.p50)}, p99 ${formatMicros(l.p99)}`;
}

/** The FLOW section: flows started and completed, each step (corrected and raw p50/p99), progress timing. */
function flowLines(r: RunReport, out: string[]): void {
  if (!r.steps && !r.progress) return;
  out.push('', 'FLOW (step latency corrected: from when the flow meant to send it; raw: from its send)');
  if (r.flows)
    out.push(
      `  flows       ${int(r.flows.started)} started, ${int(r.flows.completed)} completed${r.flows.abandoned ? `, ${int(r.flows.abandoned)} abandoned (no connection after their attempts)` : ''}`,
    );
  const progressLine = (label: string, p: NonNullable<RunReport['progress']>) =>
    `${label}progress: first p50 ${formatMicros(p.firstProgress.p50)} p99 ${formatMicros(p.firstProgress.p99)}, gap p50 ${formatMicros(p.gap.p50)} p99 ${formatMicros(p.gap.p99)}, total p50 ${formatMicros(p.total.p50)} p99 ${formatMicros(p.total.p99)} (${int(p.notifications)} notifications)`;
  for (const [key, st] of Object.entries(r.steps ?? {})) {
    out.push(`  ${key}: ${methodFigures(st, false)}, raw p50 ${formatMicros(st.latency.raw.p50)} p99 ${formatMicros(st.latency.raw.p99)}`);
    if (st.progress) out.push(progressLine('    ', st.progress));
  }
  if (r.progress) out.push(progressLine("  all requests' ", r.progress));
}

export function renderReport(r: RunReport): string {
  const out: string[] = [];
  const closed = r.model === 'closed';
  const head = `mcpload report: profile ${r.profile}, ${loadLine(r)}, ${r.durationSeconds.toFixed(1)}s`;
  out.push('', head + (r.interrupted ? ` (interrupted by ${r.interrupted})` : ''), '='.repeat(head.length));
  if (r.warmup) {
    const w = r.warmup;
    out.push(
      '',
      `warm-up ${figure(w.seconds)}s before measuring: ${int(w.sent)} sent, ${int(w.ok)} ok, ${int(w.failed)} failed, ${int(w.dropped)} dropped (in none of the figures below)`,
    );
  }
  out.push('', 'REQUEST METRICS');
  out.push(`  sent        ${int(r.requests.sent)}`);
  out.push(`  ok          ${int(r.requests.ok)}`);
  out.push(`  failed      ${int(r.requests.failed)}`);
  if (!closed) out.push(`  dropped     ${int(r.requests.dropped)}  (due but not sent: in-flight bound or bucket overflow)`);
  if (r.requests.queued) out.push(`  queued      ${int(r.requests.queued)}  (not sent: still waiting inside mcpload for a connection at their timeout)`);
  out.push(`  success     ${pct(r.requests.successRate)}`);
  if (closed) {
    // No schedule, so nothing to correct for: a slow server slows the senders, which is the closed model.
    out.push('', 'LATENCY METRICS (response time from the send; closed model: no schedule, no coordinated-omission correction)');
    out.push(latencyLine('response', r.latency.raw));
  } else {
    out.push('', 'LATENCY METRICS (corrected: from the intended send time; raw: from the actual send time)');
    out.push(latencyLine('corrected', r.latency.corrected));
    out.push(latencyLine('raw', r.latency.raw));
  }
  for (const [name, m] of Object.entries(r.methods)) {
    out.push(`  ${name}: ${methodFigures(m, closed)}`);
    // Its tools, prompts or resources, under it.
    for (const [key, t] of Object.entries(r.targets ?? {})) if (t.method === name) out.push(`    ${key}: ${methodFigures(t, closed)}`);
  }
  flowLines(r, out);
  const t = r.throughput;
  out.push('', 'THROUGHPUT');
  if (closed) out.push(`  requests    ${rate(t.requestsPerSecond)} req/s`);
  else out.push(`  requests    ${rate(t.requestsPerSecond)} req/s of ${rate(t.targetRequestsPerSecond)} target (${pct(t.achievedRatio)})`);
  out.push(`  bytes       ${(t.bytesSentPerSecond / 1e6).toFixed(2)} MB/s sent, ${(t.bytesReceivedPerSecond / 1e6).toFixed(2)} MB/s received`);
  const g = r.generator;
  if (g) {
    const cpu = g.engineCpuSeconds.length ? `engine CPU ${g.cpuSeconds.toFixed(1)} s (${g.cpuPerRequestUs.toFixed(1)} µs/request), ` : '';
    const gc = g.maxGcMsPerSecond === undefined ? '' : `, GC ≤ ${g.maxGcMsPerSecond.toFixed(1)} ms/s`;
    out.push(`  generator   ${cpu}event loop busy ≤ ${Math.round(g.maxLoopUtilization * 100)}%, lag ≤ ${formatMicros(g.maxLoopLagMs * 1000)}${gc}`);
    if (g.warning) out.push(`  WARNING     ${g.warning}`);
  }
  out.push('', 'SESSIONS');
  out.push(`  peak        ${int(r.sessions.peak)} of ${int(r.sessions.wanted)} wanted`);
  const subprotocols = Object.entries(r.sessions.subprotocols ?? {}).map(([name, n]) => `${name} ${int(n)}`);
  out.push(
    `  established ${int(r.sessions.established)}, reconnects ${int(r.sessions.reconnects)}${subprotocols.length ? `; subprotocol ${subprotocols.join(', ')}` : ''}`,
  );
  for (const e of r.lostEngines ?? []) {
    out.push(
      `  WARNING     engine ${e.engineId} was lost at ${e.second}s with ${int(e.sessions)} open sessions and ${int(e.inFlight)} requests in flight; its figures since its last snapshot (up to 1 s) are missing`,
    );
  }
  out.push(latencyLine('handshake', r.sessions.handshake));
  if (r.streams) {
    out.push('', 'STREAMING');
    const events = Object.entries(r.streams.events).filter(([, n]) => n > 0);
    if (events.length) out.push(`  events      ${events.map(([name, n]) => `${name} ${int(n)}`).join(', ')}`);
    for (const [kind, l] of Object.entries(r.streams.latency)) out.push(latencyLine(kind, l));
  }
  out.push('', 'ERROR BREAKDOWN');
  const errors = Object.entries(r.errors);
  if (errors.every(([, n]) => n === 0)) out.push('  none');
  else for (const [type, n] of errors) out.push(`  ${type.padEnd(11)} ${int(n)}`);
  if (r.errorDetails?.length) {
    out.push('  reasons (the most frequent of each method; messages redacted and cut):');
    for (const d of r.errorDetails) out.push(`    ${int(d.count)} × ${describeDetail(d)}`);
  }
  out.push('');
  return out.join('\n');
}
