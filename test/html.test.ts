/**
 * --html: the page opens in headless Chromium (Debian's, driven by playwright-core) with no console errors,
 * no network, every chart drawn, nothing from the report injected; a screenshot is left in test-output/html/.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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
import { latencies, realReport, syntheticReport, testOutputDir } from './helpers/reports.js';

const CHROMIUM = '/usr/bin/chromium';
const CHARTS = ['chart-latency', 'chart-throughput', 'chart-errors', 'chart-latency-time', 'chart-sessions', 'chart-handshake'];
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
