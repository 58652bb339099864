/**
 * `--html FILE`: one self-contained page (uPlot and the data inlined, no network needed to open it) with the
 * run's summary and charts. Everything from the report that is text (profile names, URLs, method names,
 * thresholds) is escaped; the chart numbers travel as a JSON block the page script parses, never as markup.
 */
import { formatMicros } from '../config/units.js';
import { OUTCOMES } from '../shared/counters.js';
import type { LatencySummary } from '../shared/stats.js';
import { chartAssets } from './html-assets.js';
import { CLIENT_SCRIPT } from './html-client.js';
import { chartData, type ChartData } from './html-data.js';
import { PAGE_CSS } from './html-style.js';
import type { MethodReport, RunReport } from './types.js';
import { figure, loadLine } from './text.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** JSON that can sit inside <script type="application/json"> whatever strings it holds. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const rate = (n: number) => (n >= 100 ? int(n) : n.toFixed(1));
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB/s`;

function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const LATENCY_HEAD = ['', 'count', 'min', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'];
function latencyRow(label: string, l: LatencySummary): string[] {
  return [esc(label), int(l.count), ...[l.min, l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.mean].map((v) => (l.count ? esc(formatMicros(v)) : '-'))];
}

function card(label: string, value: string, note = '', cls = ''): string {
  return `<div class="card ${cls}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="note">${esc(note)}</div></div>`;
}

function cards(r: RunReport): string {
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
  // The closed model has no schedule: nothing dropped, no target rate, latency is the response time from the send.
  if (r.model === 'closed') {
    return [
      card('requests sent', int(r.requests.sent), `${int(r.requests.ok)} ok, ${int(r.requests.failed)} failed`),
      card('success', pct(r.requests.successRate), 'ok / (ok + failed)', r.requests.successRate < 1 && r.requests.failed > 0 ? 'warn' : ''),
      card('throughput', `${rate(r.throughput.requestsPerSecond)} req/s`, `closed model: ${int(r.config.concurrency ?? 1)} in flight per session`),
      card('latency p50', r.latency.raw.count ? formatMicros(r.latency.raw.p50) : '-', 'response time from the send'),
      card('latency p99', r.latency.raw.count ? formatMicros(r.latency.raw.p99) : '-', 'response time from the send'),
      card('sessions', `${int(r.sessions.peak)} / ${int(r.sessions.wanted)}`, `peak of wanted; ${int(r.sessions.reconnects)} reconnects`),
      card('errors', int(errors), errors ? 'see the breakdown below' : 'none', errors ? 'bad' : ''),
      generatorCard(r),
    ].join('\n');
  }
  return [
    card('requests sent', int(r.requests.sent), `${int(r.requests.ok)} ok, ${int(r.requests.failed)} failed, ${int(r.requests.dropped)} dropped`),
    card('success', pct(r.requests.successRate), 'ok / (ok + failed)', r.requests.successRate < 1 && r.requests.failed > 0 ? 'warn' : ''),
    card(
      'throughput',
      `${rate(r.throughput.requestsPerSecond)} req/s`,
      `${pct(r.throughput.achievedRatio)} of ${rate(r.throughput.targetRequestsPerSecond)} target`,
    ),
    card(
      'latency p50',
      r.latency.corrected.count ? formatMicros(r.latency.corrected.p50) : '-',
      `raw ${r.latency.raw.count ? formatMicros(r.latency.raw.p50) : '-'}`,
    ),
    card(
      'latency p99',
      r.latency.corrected.count ? formatMicros(r.latency.corrected.p99) : '-',
      `raw ${r.latency.raw.count ? formatMicros(r.latency.raw.p99) : '-'}`,
    ),
    card('sessions', `${int(r.sessions.peak)} / ${int(r.sessions.wanted)}`, `peak of wanted; ${int(r.sessions.reconnects)} reconnects`),
    card('errors', int(errors), errors ? 'see the breakdown below' : 'none', errors ? 'bad' : ''),
    generatorCard(r),
  ].join('\n');
}

/** The generator's own health: was mcpload, not the target, the limit? */
function generatorCard(r: RunReport): string {
  const g = r.generator;
  if (!g) return '';
  const limited = g.limitedSeconds > 0;
  return card(
    'generator',
    limited ? `limited ${int(g.limitedSeconds)} s` : `loop ≤ ${Math.round(g.maxLoopUtilization * 100)}%`,
    `${limited ? `loop ≤ ${Math.round(g.maxLoopUtilization * 100)}%, ` : ''}lag ≤ ${formatMicros(g.maxLoopLagMs * 1000)}${g.engineCpuSeconds.length ? `, CPU ${g.cpuSeconds.toFixed(1)} s` : ''}`,
    limited ? 'warn' : '',
  );
}

function thresholds(r: RunReport): string {
  if (!r.thresholds?.length) return '';
  const rows = r.thresholds.map((t) => [
    `<code>${esc(t.expr)}</code>`,
    esc(t.pretty),
    esc(`${t.op} ${t.prettyLimit}`),
    t.passed ? '<span class="pass">✓ passed</span>' : '<span class="fail">✗ failed</span>',
  ]);
  return `<section><h2>Thresholds</h2>${table(['threshold', 'actual', 'limit', 'result'], rows, 'thresholds')}</section>`;
}

function chartBox(id: string, title: string, note: string, wide = false): string {
  return `<figure class="chart-box${wide ? ' wide' : ''}"><figcaption><h3>${esc(title)}</h3><p>${esc(note)}</p></figcaption><div class="chart" id="${id}"></div></figure>`;
}

function charts(r: RunReport, data: ChartData): string {
  const closed = r.model === 'closed';
  const spectrum =
    r.model === 'closed'
      ? 'HdrHistogram percentile spectrum of the response time from the send (closed model: no schedule, so corrected and raw are the same).'
      : 'HdrHistogram percentile spectrum. Corrected: from the intended send time (coordinated omission corrected); raw: from the actual send time.';
  const end = data.end.note ? `<p class="trim" id="timeline-end" data-last-second="${esc(data.end.lastSecond)}">${esc(data.end.note)}</p>` : '';
  return `<section><h2>Charts</h2>${end}<div class="charts">
${chartBox('chart-latency', 'Latency by percentile', spectrum, true)}
${chartBox(
  'chart-throughput',
  'Requests per second',
  closed
    ? 'Requests sent and answered ok in each second.'
    : 'Requests sent and answered ok in each second, the target the open sessions were asked to send, and the requests dropped (due but not sent).',
)}
${chartBox('chart-errors', 'Failed requests per second', 'RPC errors, tool errors (isError results), timeouts and requests lost to closed connections.')}
${chartBox('chart-latency-time', 'Latency over time', 'Corrected p50 and p99 of the responses in each second.', true)}
${chartBox('chart-sessions', 'Open sessions', 'Peak open MCP sessions in each second, against the number the stages wanted then.')}
${chartBox('chart-generator', 'Generator health', "mcpload's own engines: CPU (100% = one core), the busiest event loop's busy share, and its worst lag.")}
${chartBox('chart-handshake', 'Handshake latency by percentile', 'Connect + initialize, per session (reconnects included).', true)}
</div></section>`;
}

function details(r: RunReport): string {
  const latency = table(
    LATENCY_HEAD,
    r.model === 'closed'
      ? [latencyRow('response', r.latency.raw), latencyRow('handshake', r.sessions.handshake)]
      : [latencyRow('corrected', r.latency.corrected), latencyRow('raw', r.latency.raw), latencyRow('handshake', r.sessions.handshake)],
    'num',
  );
  // The closed model drops nothing: no dropped column.
  const outcomes = r.model === 'closed' ? OUTCOMES.filter((o) => o.name !== 'dropped') : OUTCOMES;
  const methodRow = (name: string, m: MethodReport) => [
    `<code>${esc(name)}</code>`,
    ...outcomes.map((o) => int(m[o.name] ?? 0)),
    m.latency.corrected.count ? esc(formatMicros(m.latency.corrected.p50)) : '-',
    m.latency.corrected.count ? esc(formatMicros(m.latency.corrected.p99)) : '-',
    m.latency.corrected.count ? esc(formatMicros(m.latency.corrected.max)) : '-',
  ];
  const methodHead = ['method', ...outcomes.map((o) => o.label), 'p50', 'p99', 'max'];
  const methodRows = Object.entries(r.methods).map(([name, m]) => methodRow(name, m));
  const methods = methodRows.length ? table(methodHead, methodRows, 'num') : '<p>No requests.</p>';
  const targetRows = Object.entries(r.targets ?? {}).map(([key, t]) => methodRow(key, t));
  const targets = targetRows.length ? `<h3>By tool, prompt and resource</h3>${table(['target', ...methodHead.slice(1)], targetRows, 'num')}` : '';
  // Flow steps: corrected p50/p99 (from when the flow meant to send them) beside raw, and time to first progress.
  const us = (n: number, count: number) => (count ? esc(formatMicros(n)) : '-');
  const stepRows = Object.entries(r.steps ?? {}).map(([key, st]) => [
    `<code>${esc(key)}</code>`,
    int(st.sent),
    int(st.ok),
    us(st.latency.corrected.p50, st.latency.corrected.count),
    us(st.latency.corrected.p99, st.latency.corrected.count),
    us(st.latency.raw.p50, st.latency.raw.count),
    us(st.latency.raw.p99, st.latency.raw.count),
    st.progress ? us(st.progress.firstProgress.p50, st.progress.firstProgress.count) : '-',
  ]);
  const steps = stepRows.length
    ? `<h3>Flow steps${r.flows ? ` (${int(r.flows.started)} flows started, ${int(r.flows.completed)} completed)` : ''}</h3>${table(
        ['step', 'sent', 'ok', 'corrected p50', 'corrected p99', 'raw p50', 'raw p99', 'first progress p50'],
        stepRows,
        'num',
      )}`
    : '';
  const reasons = r.errorDetails?.length
    ? `<h3>Most frequent reasons</h3>${table(
        ['method', 'type', 'code', 'message', 'count'],
        r.errorDetails.map((d) => [
          `<code>${esc(d.target !== undefined ? `${d.method} ${d.target}` : d.method)}</code>`,
          esc(d.type),
          d.code !== undefined ? esc(d.code) : '',
          esc(d.message || '(no message)'),
          int(d.count),
        ]),
        'narrow',
      )}`
    : '';
  const errors = table(
    ['type', 'count'],
    Object.entries(r.errors).map(([type, n]) => [esc(type), int(n)]),
    'num narrow',
  );
  const c = r.config;
  const config = table(
    ['setting', 'value'],
    [
      ['profile', esc(r.profile)],
      ['clients', esc(loadLine(r))],
      ['message size', `${int(c.messageSize)} B`],
      ['target', c.urls.map((u) => `<code>${esc(u)}</code>`).join('<br>')],
      ['protocol version', esc(c.protocolVersion)],
      ['engine threads', int(c.workers)],
      ['connect rate', c.connectRate ? `${esc(figure(c.connectRate))}/s` : 'unlimited'],
      ['bytes', `${mb(r.throughput.bytesSentPerSecond)} sent, ${mb(r.throughput.bytesReceivedPerSecond)} received`],
      ['sessions', `${int(r.sessions.established)} established, ${int(r.sessions.reconnects)} reconnects`],
      ['started', esc(r.startedAt)],
      ['ended', esc(r.endedAt)],
    ],
    'narrow',
  );
  return `<section><h2>Latency</h2>${latency}</section>
${replicas(r)}
<section><h2>Methods</h2>${methods}${targets}${steps}</section>
${generator(r)}
<section class="two"><div><h2>Errors by type</h2>${errors}${reasons}</div><div><h2>Run</h2>${config}</div></section>`;
}

/** A merged report: one row per replica, so an uneven replica shows. */
function replicas(r: RunReport): string {
  const rows = r.merged?.byReplica;
  if (!rows?.length) return '';
  const closed = r.model === 'closed';
  const lat = (us: number, sent: number) => (sent > 0 ? esc(formatMicros(us)) : '-');
  const body = rows.map((x) => [
    `<code>${esc(x.source)}</code>`,
    esc(x.profile),
    esc(x.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
    `${esc(figure(x.durationSeconds))} s`,
    int(x.clients),
    int(x.sent),
    int(x.ok),
    int(x.failed),
    ...(closed ? [] : [int(x.dropped)]),
    closed || x.targetRequestsPerSecond <= 0
      ? `${esc(figure(x.requestsPerSecond))}/s`
      : `${esc(figure(x.requestsPerSecond))}/s of ${esc(figure(x.targetRequestsPerSecond))}/s`,
    lat(x.p50, x.ok + x.failed),
    lat(x.p99, x.ok + x.failed),
    x.limitedSeconds === undefined
      ? '-'
      : x.limitedSeconds > 0
        ? `<span class="fail">limited ${int(x.limitedSeconds)} s</span>`
        : `ok (loop ≤ ${Math.round((x.maxLoopUtilization ?? 0) * 100)}%)`,
  ]);
  const head = [
    'replica',
    'profile',
    'started',
    'window',
    'clients',
    'sent',
    'ok',
    'failed',
    ...(closed ? [] : ['dropped']),
    'rate',
    'p50',
    'p99',
    'generator',
  ];
  return `<section><h2>Replicas</h2>${table(head, body, 'num replicas')}</section>`;
}

/** How mcpload itself did, as the text report tells it. */
function generator(r: RunReport): string {
  const g = r.generator;
  if (!g) return '';
  const rows = [
    ['engine CPU', g.engineCpuSeconds.length ? `${g.cpuSeconds.toFixed(1)} s (${g.cpuPerRequestUs.toFixed(1)} µs per request)` : 'not known on this OS'],
    ...(g.engineCpuSeconds.length > 1 ? [['per engine', g.engineCpuSeconds.map((c) => `${c.toFixed(1)} s`).join(', ')]] : []),
    ['event loop busy', `≤ ${Math.round(g.maxLoopUtilization * 100)}%`],
    ['event loop lag', `≤ ${formatMicros(g.maxLoopLagMs * 1000)}`],
    ...(g.maxGcMsPerSecond !== undefined ? [['GC pauses', `≤ ${g.maxGcMsPerSecond.toFixed(1)} ms per second, ${(g.gcSeconds ?? 0).toFixed(2)} s in all`]] : []),
    ['rate limited by mcpload', g.limitedSeconds > 0 ? `${int(g.limitedSeconds)} s` : 'never'],
  ].map(([k, v]) => [esc(k), esc(v)]);
  const warning = g.warning ? `<p class="banner">${esc(g.warning)}</p>` : '';
  return `<section><h2>Generator</h2>${warning}${table(['', 'value'], rows, 'narrow')}</section>`;
}

function verdict(r: RunReport): string {
  if (!r.thresholds?.length) return '';
  const failed = r.thresholds.filter((t) => !t.passed).length;
  return failed
    ? `<span class="badge fail">${failed} of ${r.thresholds.length} thresholds failed</span>`
    : `<span class="badge pass">all ${r.thresholds.length} thresholds passed</span>`;
}

/** The whole page for one report (a run's or a merge's). */
export function renderHtml(r: RunReport): string {
  const assets = chartAssets();
  const title = `mcpload report: ${r.profile}`;
  const data = chartData(r);
  const sub = [
    loadLine(r),
    `${r.durationSeconds.toFixed(1)} s`,
    `started ${r.startedAt}`,
    ...(r.merged ? [`merged from ${r.merged.replicas} replicas`] : []),
  ].join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${assets.css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<h1>mcpload report <span class="profile">${esc(r.profile)}</span> ${verdict(r)}</h1>
<p class="sub">${esc(sub)}</p>
${r.interrupted ? `<p class="banner">Interrupted by ${esc(r.interrupted)}: the numbers cover the run until then.</p>` : ''}
</header>
<main>
<section class="cards">${cards(r)}</section>
${thresholds(r)}
${charts(r, data)}
${details(r)}
</main>
<footer>Written by ${esc(r.tool.name)} ${esc(r.tool.version)} (report version ${esc(r.reportVersion)}). Charts by uPlot ${esc(assets.version)} (${esc(assets.license)} license), inlined.</footer>
<script type="application/json" id="mcpload-data">${scriptJson(data)}</script>
<script>${assets.js}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
