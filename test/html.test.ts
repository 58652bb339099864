/**
 * --html: the page opens in headless Chromium (Debian's, driven by playwright-core) with no console errors,
 * no network, every chart drawn, nothing from the report injected. A ramp run and a merged run are looked at
 * as a person would: the wanted line rises, the end does not fall to a false 0, the replicas have a table;
 * screenshots are left in test-output/html/ (their paths are printed).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html.js';
import { mergeReports } from '../src/report/merge.js';
import type { RunReport } from '../src/report/types.js';
import { parseThreshold } from '../src/config/thresholds.js';
import { evaluateThresholds } from '../src/report/thresholds.js';
import { chartData, trimTimeline, type ChartData } from '../src/report/html-data.js';
import { runCli } from './helpers/cli.js';
import { latencies, realReport, syntheticReport, testOutputDir } from './helpers/reports.js';

const CHROMIUM = '/usr/bin/chromium';
const CHARTS = ['chart-latency', 'chart-throughput', 'chart-errors', 'chart-latency-time', 'chart-sessions', 'chart-generator', 'chart-handshake'];
const out = testOutputDir('html');
const dir = mkdtempSync(join(tmpdir(), 'mcpload-html-'));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the HTML report test needs it. Install it with: apt-get install -y --no-install-recommends chromium`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  problems: string[];
  requests: string[];
  dialogs: string[];
}

/** Write the page to a file and open it, collecting console errors, page errors, requests and dialogs. */
async function open(html: string, file: string): Promise<Opened> {
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const opened: Opened = { page, problems: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') opened.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => opened.problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) opened.requests.push(r.url());
  });
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForFunction((ids) => ids.every((id) => document.getElementById(id)?.getAttribute('data-drawn') === '1'), CHARTS, { timeout: 10_000 });
  return opened;
}

/** Per chart: its canvas size, and how many pixels carry each series' colour (so the lines really drew). */
async function inspectCharts(page: Page) {
  return page.evaluate((ids) => {
    const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
    return ids.map((id) => {
      const el = document.getElementById(id)!;
      const canvas = el.querySelector('canvas');
      if (!canvas) return { id, width: 0, height: 0, inked: 0, series: {} };
      const ctx = canvas.getContext('2d')!;
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const colors = (el.getAttribute('data-colors') ?? '').split(' ').filter(Boolean);
      const series: Record<string, number> = Object.fromEntries(colors.map((c) => [c, 0]));
      let inked = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] === 0) continue;
        inked++;
        for (const c of colors) {
          const [r, g, b] = hex(c);
          if (Math.abs(px[i] - r) < 40 && Math.abs(px[i + 1] - g) < 40 && Math.abs(px[i + 2] - b) < 40) series[c]++;
        }
      }
      return { id, width: canvas.width, height: canvas.height, inked, series };
    });
  }, CHARTS);
}

describe('the HTML report of a real run', () => {
  let report: RunReport;
  let opened: Opened;
  beforeAll(async () => {
    report = await realReport(join(dir, 'run.json'), { clients: 10, rate: 100, duration: '3s' });
    report.thresholds = evaluateThresholds(['p99<1s', 'errors<1%', 'rate>=2*target', 'sessions>=100%'].map(parseThreshold), report);
    opened = await open(renderHtml(report), join(out, 'report.html'));
    await opened.page.screenshot({ path: join(out, 'report.png'), fullPage: true });
  }, 60_000);
  afterAll(async () => {
    await opened?.page.close();
  });

  it('opens with no console errors, no page errors and no network', () => {
    expect(opened.problems).toEqual([]);
    expect(opened.requests).toEqual([]);
  });

  it('draws every chart: a sized canvas with each series in its colour', async () => {
    const charts = await inspectCharts(opened.page);
    expect(charts.map((c) => c.id)).toEqual(CHARTS);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.inked, c.id).toBeGreaterThan(1000);
      for (const [color, n] of Object.entries(c.series)) expect(n, `${c.id} series ${color}`).toBeGreaterThan(10);
    }
  });

  it('shows the summary, the thresholds and the tables', async () => {
    const text = await opened.page.innerText('body');
    expect(text).toContain(`mcpload report`);
    expect(text).toContain(report.requests.sent.toLocaleString('en-US'));
    expect(text).toMatch(/rate>=2\*target[\s\S]*failed/);
    expect(text).toMatch(/p99<1s[\s\S]*passed/);
    for (const method of Object.keys(report.methods)) expect(text).toContain(method);
    expect(text).toContain(report.config.urls[0]);
  });
});

describe('what the report holds is text, never markup', () => {
  it('escapes profile names, URLs, method names and thresholds', async () => {
    const evil = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
    const r = syntheticReport({ methods: { [`tools/${evil}`]: [100, 200, 300] }, handshake: [1000] }, { profile: evil, urls: [`ws://h/${evil}`] });
    r.thresholds = [{ expr: evil, metric: 'p99', op: '<', actual: 1, limit: 2, passed: true, pretty: evil, prettyLimit: evil }];
    r.interrupted = evil;
    const html = renderHtml(r);
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).not.toContain('<img src=x');
    const { page, problems, requests, dialogs } = await open(html, join(dir, 'evil.html'));
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.innerText('h1')).toContain(evil);
    expect([problems, requests, dialogs]).toEqual([[], [], []]);
    await page.close();
  });
});

describe('other reports render too', () => {
  it('a merged report says so, and a run with no responses at all still draws', async () => {
    const replicas = [1, 2, 3].map((i) =>
      syntheticReport(
        { methods: { ping: latencies(3000, 500 * i, i) }, handshake: latencies(20, 10_000, i + 10) },
        { startedAt: `2026-01-01T00:00:0${i}.000Z` },
      ),
    );
    const merged = await open(renderHtml(mergeReports(replicas)), join(dir, 'merged.html'));
    expect(await merged.page.innerText('header')).toContain('merged from 3 replicas');
    expect(merged.problems).toEqual([]);
    await merged.page.close();
    const empty = await open(renderHtml(syntheticReport({ methods: {}, handshake: [] }, { clients: 5, seconds: 0 })), join(dir, 'empty.html'));
    expect(empty.problems).toEqual([]);
    await empty.page.close();
  });
});

/** The page's chart numbers, as its script reads them. */
async function pageData(page: Page): Promise<ChartData> {
  return JSON.parse(await page.locator('#mcpload-data').evaluate((el) => el.textContent ?? '')) as ChartData;
}

/** Mean canvas row of the pixels in `color`, in the left and the right quarter of a chart: a rising line is higher (smaller y) on the right. */
async function lineHeights(page: Page, id: string, color: string): Promise<{ left: number; right: number; pixels: number }> {
  return page.evaluate(
    ([id, color]) => {
      const canvas = document.getElementById(id)!.querySelector('canvas')!;
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
      const sides = { left: [0, 0], right: [0, 0] };
      for (let y = 0; y < canvas.height; y++)
        for (let x = 0; x < canvas.width; x++) {
          const i = (y * canvas.width + x) * 4;
          if (px[i + 3] < 200 || Math.abs(px[i] - r) > 12 || Math.abs(px[i + 1] - g) > 12 || Math.abs(px[i + 2] - b) > 12) continue;
          const side = x < canvas.width / 4 ? sides.left : x > (canvas.width * 3) / 4 ? sides.right : undefined;
          if (!side) continue;
          side[0] += y;
          side[1]++;
        }
      return { left: sides.left[0] / sides.left[1], right: sides.right[0] / sides.right[1], pixels: sides.left[1] + sides.right[1] };
    },
    [id, color] as const,
  );
}

describe('a ramp run and a merged run, as a person sees them', () => {
  const rampProfile = join(dir, 'ramp.yaml');
  writeFileSync(
    rampProfile,
    [
      'name: ramp',
      'clients: 20',
      'rate: 2',
      'messageSize: 128',
      'timeout: 5s',
      'mix:',
      '  - method: tools/call',
      '    weight: 1',
      '    params: { name: echo, arguments: { text: hi } }',
      'stages:',
      '  - duration: 4s',
      '    clients: 200',
      '  - duration: 2s',
      '    clients: 200',
      '',
    ].join('\n'),
  );
  const run = (args: string[]) => runCli([...args, '--workers', '1', '--quiet', '--log-level', 'silent'], { timeoutMs: 60_000 });

  it('a 20 → 200 ramp: the header says so, wanted and target rise, the end is not a false 0, legends show values', { timeout: 90_000 }, async () => {
    const json = join(dir, 'ramp.json');
    const html = join(dir, 'ramp.html');
    const r = await run(['--profile', rampProfile, '--report', json, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as RunReport;
    const opened = await open(readFileSync(html, 'utf8'), join(out, 'ramp.html'));
    const png = join(out, 'ramp.png');
    await opened.page.screenshot({ path: png, fullPage: true });
    console.log(`ramp run screenshot: ${png}`);
    expect(opened.problems).toEqual([]);
    expect(await opened.page.innerText('header')).toContain('ramp 20 → 200 in 4s, hold 2s: peak 200 clients × 2/s');

    const data = await pageData(opened.page);
    const { wanted, target, sent } = data.timeline;
    // Wanted follows the stages (20 at the start, 200 by the hold), never the peak drawn flat.
    expect(wanted[0]).toBeLessThan(80);
    expect(wanted.at(-1)).toBe(200);
    expect(new Set(wanted).size).toBeGreaterThanOrEqual(4);
    expect(target[0]).toBeLessThan(target.at(-1)! / 2);
    for (let i = 1; i < wanted.length; i++) expect(wanted[i], `second ${i}`).toBeGreaterThanOrEqual(wanted[i - 1]);
    // ... and the line drawn rises: its pixels sit higher on the right of the chart than on the left.
    const line = await lineHeights(opened.page, 'chart-sessions', '#0ea5e9');
    expect(line.pixels).toBeGreaterThan(20);
    expect(line.left - line.right).toBeGreaterThan(40);

    // The drain after the last second of sending is not drawn as a fall to 0, and the page says what it did.
    expect(report.sendingSeconds).toBeGreaterThan(5.9);
    expect(report.timeline.length).toBeGreaterThan(sent.length);
    expect(sent.at(-1)).toBeGreaterThan(0.5 * Math.max(...sent));
    expect(await opened.page.getAttribute('#timeline-end', 'data-last-second')).toMatch(/^(whole|scaled|dropped)$/);
    expect(await opened.page.innerText('#timeline-end')).toMatch(/Time charts end where sending ended/);

    // Legends carry figures before anything is hovered.
    const legend = await opened.page.locator('.u-legend .u-value').allInnerTexts();
    expect(legend.length).toBeGreaterThan(10);
    for (const v of legend) expect(v.trim(), 'a legend value').not.toMatch(/^(-|—|)$/);
    // The generator's health, as the text report has it.
    expect(await opened.page.innerText('body')).toMatch(/Generator[\s\S]*event loop busy[\s\S]*event loop lag/);
    await opened.page.close();
  });

  it('a merged run: a table with a row per replica, and figures rounded for reading', { timeout: 90_000 }, async () => {
    const a = join(dir, 'replica-a.json');
    const b = join(dir, 'replica-b.json');
    const html = join(dir, 'merged.html');
    // Two replicas at once, uneven: 3 clients × 50/s and 4 × 90/s, so the merged rate per client is 72.857…/s.
    const runs = await Promise.all([
      run(['--clients', '3', '--rate', '50', '--duration', '2s', '--report', a]),
      run(['--clients', '4', '--rate', '90', '--duration', '2s', '--report', b]),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const m = await runCli(['merge', a, b, '--html', html]);
    expect(m.code, m.stderr).toBe(0);
    const opened = await open(readFileSync(html, 'utf8'), join(out, 'merged.html'));
    const png = join(out, 'merged.png');
    await opened.page.screenshot({ path: png, fullPage: true });
    console.log(`merged run screenshot: ${png}`);
    expect(opened.problems).toEqual([]);
    const header = await opened.page.innerText('header');
    expect(header).toContain('merged from 2 replicas');
    expect(header).toContain('7 clients × 72.9/s');
    const rows = opened.page.locator('table.replicas tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toContain('replica-a.json');
    expect(await rows.nth(1).innerText()).toContain('replica-b.json');
    const body = await opened.page.innerText('body');
    expect(body, 'no long unrounded decimals').not.toMatch(/\d\.\d{4,}/);
    await opened.page.close();
  });
});

describe('the end of the timeline', () => {
  const withEnd = (sendingSeconds: number | undefined) => {
    const r = syntheticReport({ methods: { ping: latencies(1000, 500, 1) }, handshake: [1000] }, { seconds: 10 });
    // Second 9 holds what a partial second does: a share of a full one.
    r.timeline[9] = { ...r.timeline[9], sent: 30, ok: 30 };
    r.timeline.push({ ...r.timeline[9], second: 10, sent: 0, ok: 4, failed: 1 });
    return { ...r, sendingSeconds };
  };

  it('scales a last second mostly sent, leaves out one barely sent and the drain, and says which', () => {
    const scaled = trimTimeline(withEnd(9.3 + 0.4));
    expect(scaled.end.lastSecond).toBe('scaled');
    expect(scaled.points.map((p) => p.second)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(scaled.points[9].sent).toBeCloseTo(30 / 0.7, 6);
    expect(scaled.end.note).toMatch(/scaled to a full second \(×1\.43\)/);
    expect(scaled.end.note).toMatch(/4 responses and 1 failures came after that/);

    const dropped = trimTimeline(withEnd(9.2));
    expect(dropped.end.lastSecond).toBe('omitted');
    expect(dropped.points.map((p) => p.second)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(dropped.end.note).toMatch(/only 200 ms of sending: it is left out/);
    expect(dropped.end.afterOk).toBe(34);

    const whole = trimTimeline(withEnd(10.004));
    expect(whole.end.lastSecond).toBe('whole');
    expect(whole.points).toHaveLength(10);

    // A report of an older version does not say when sending ended: drawn as it is.
    expect(trimTimeline(withEnd(undefined)).points).toHaveLength(11);
    expect(chartData(withEnd(undefined)).end.note).toBe('');
  });
});
