/**
 * The plan's page: the total's HTML report (report/html.ts) with a plan section in front of it: the
 * verdict per phase, the plan's timeline with a band per phase, and a small chart per phase (requests
 * and open sessions per second). Plain inline SVG, so it needs nothing beyond the page itself.
 */
import { esc, renderHtml } from './html.js';
import type { PhaseReport, RunReport } from './types.js';
import type { TimelinePoint } from '../main/aggregate.js';
import { verdictRows } from './plan-text.js';

const W = 900;
const H = 160;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7'];

function polyline(points: TimelinePoint[], x: (s: number) => number, value: (p: TimelinePoint) => number, max: number, color: string): string {
  if (points.length === 0 || max <= 0) return '';
  const pts = points.map((p) => `${x(p.second).toFixed(1)},${(H - 20 - (value(p) / max) * (H - 40)).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`;
}

/** The plan's timeline: requests/s of the total, a shaded band per phase's window. */
function timeline(total: RunReport, phases: PhaseReport[]): string {
  const startMs = Date.parse(total.startedAt);
  const span = Math.max(1, (Date.parse(total.endedAt) - startMs) / 1000);
  const x = (s: number) => 40 + (s / span) * (W - 60);
  const bands = phases
    .map((p, i) => {
      const from = (Date.parse(p.report.startedAt) - startMs) / 1000;
      const to = (Date.parse(p.report.endedAt) - startMs) / 1000;
      const color = COLORS[i % COLORS.length];
      const row = i % 3;
      return `<rect class="band" x="${x(from).toFixed(1)}" y="${4 + row * 12}" width="${Math.max(2, x(to) - x(from)).toFixed(1)}" height="${H - 24 - row * 12}" fill="${color}" fill-opacity="0.15" stroke="${color}"/><text x="${(x(from) + 3).toFixed(1)}" y="${14 + row * 12}" font-size="11" fill="${color}">${esc(p.name)}</text>`;
    })
    .join('');
  const max = Math.max(0, ...total.timeline.map((p) => p.sent));
  return `<svg class="plan-timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="plan timeline">${bands}${polyline(total.timeline, x, (p) => p.sent, max, '#333')}<text x="40" y="${H - 4}" font-size="11">0 s</text><text x="${W - 60}" y="${H - 4}" font-size="11">${span.toFixed(0)} s</text><text x="4" y="${H / 2}" font-size="11">req/s</text></svg>`;
}

/** One phase: requests sent per second and open sessions per second over the phase. */
function phaseChart(p: PhaseReport, i: number): string {
  const tl = p.report.timeline;
  const span = Math.max(1, ...tl.map((q) => q.second));
  const x = (s: number) => 40 + (s / span) * (W - 60);
  const color = COLORS[i % COLORS.length];
  const sent = polyline(tl, x, (q) => q.sent, Math.max(0, ...tl.map((q) => q.sent)), color);
  const open = polyline(tl, x, (q) => q.sessionsOpen, Math.max(0, ...tl.map((q) => q.sessionsOpen)), '#999');
  return `<figure class="phase-chart"><figcaption>${esc(p.name)}: requests/s (colour) and open sessions (grey), ${span} s</figcaption><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="phase ${esc(p.name)}">${sent}${open}</svg></figure>`;
}

function planSection(total: RunReport): string {
  const plan = total.plan!;
  const rows = verdictRows(total)
    .map((cells) => `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('');
  const head = ['phase', 'start', 'sent', 'success', 'p50', 'p95', 'p99', 'failover', 'verdict'].map((h) => `<th>${h}</th>`).join('');
  return `<section class="plan"><h2>Plan ${esc(plan.name)}: ${plan.passed ? 'passed' : 'failed'}</h2>
<table class="verdicts"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>
<h3>Timeline</h3>${timeline(total, plan.phases)}
<h3>Phases</h3>${plan.phases.map(phaseChart).join('')}</section>`;
}

export function renderPlanHtml(total: RunReport): string {
  const page = renderHtml(total);
  if (!total.plan) return page;
  return page.replace('<main>', `<main>\n${planSection(total)}`);
}
