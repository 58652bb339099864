/**
 * wss:// and secrets (issue 6), through the real CLI: certificates are verified by default, `--ca`
 * trusts a given CA, `--insecure` turns verification off explicitly; header values and URL
 * credentials never show up in logs, the printed report or the report files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/report/types.js';
import { runCli } from './helpers/cli.js';
import { selfSigned, startWssServer, type SelfSigned, type WssServer } from './helpers/tls.js';

let cert: SelfSigned;
let otherCa: SelfSigned;
beforeAll(() => {
  cert = selfSigned('server');
  otherCa = selfSigned('other');
});
const servers: WssServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function wss(): Promise<WssServer> {
  const s = await startWssServer(cert);
  servers.push(s);
  return s;
}

const RUN = ['--clients', '2', '--rate', '20', '--duration', '1s', '--workers', '1', '--quiet'];
const readReport = (file: string): RunReport => JSON.parse(readFileSync(file, 'utf8')) as RunReport;

describe('wss:// certificate verification', () => {
  it('refuses a self-signed certificate by default: connect errors, exit 3', { timeout: 60_000 }, async () => {
    const server = await wss();
    const report = join(cert.dir, 'refused.json');
    const r = await runCli(['--url', server.url, ...RUN, '--report', report]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/self[- ]signed certificate/);
    const json = readReport(report);
    expect(json.errors.connect).toBeGreaterThanOrEqual(2);
    expect(json.sessions.established).toBe(0);
    expect(server.stats.sessions).toBe(0);
  });

  it('accepts it with --ca cert.pem: every request answered, no errors', { timeout: 60_000 }, async () => {
    const server = await wss();
    const report = join(cert.dir, 'ca.json');
    const r = await runCli(['--url', server.url, ...RUN, '--ca', cert.certFile, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const json = readReport(report);
    expect(json.sessions.established).toBe(2);
    expect(json.requests.sent).toBeGreaterThan(0);
    expect(json.requests.ok).toBe(json.requests.sent);
    expect(Object.values(json.errors).every((n) => n === 0)).toBe(true);
  });

  it('still refuses it with --ca of another CA', { timeout: 60_000 }, async () => {
    const server = await wss();
    const r = await runCli(['--url', server.url, ...RUN, '--ca', otherCa.certFile]);
    expect(r.code).toBe(3);
    expect(server.stats.sessions).toBe(0);
  });

  it('accepts it with an explicit --insecure', { timeout: 60_000 }, async () => {
    const server = await wss();
    const r = await runCli(['--url', server.url, ...RUN, '--insecure']);
    expect(r.code, r.stderr).toBe(0);
    // Two clients, and the discovery session at run start (the normal profile's `discover: fallback` entries).
    expect(server.stats.sessions).toBe(3);
  });
});

describe('secrets stay out of logs and reports', () => {
  it('an Authorization header is sent to the server and appears nowhere in the output', { timeout: 60_000 }, async () => {
    const server = await wss();
    const files = (run: string) => [join(cert.dir, `secret-${run}.json`), join(cert.dir, `secret-${run}.html`)];
    const args = (run: string) => [
      '--header',
      'Authorization: Bearer s3cr3t-t0ken',
      '--log-level',
      'trace',
      '--report',
      files(run)[0],
      '--html',
      files(run)[1],
    ];
    const ok = await runCli(['--url', server.url, ...RUN, '--ca', cert.certFile, ...args('ok')]);
    expect(ok.code, ok.stderr).toBe(0);
    // Each run's discovery session (the normal profile's `discover: fallback` entries) sends it too.
    expect(server.headers.map((h) => h.authorization)).toEqual(Array(server.headers.length).fill('Bearer s3cr3t-t0ken'));
    expect(server.headers.length).toBeGreaterThanOrEqual(2);
    // And when things go wrong (every connect fails and is logged), with credentials in the URL too.
    const failing = server.url.replace('wss://', 'wss://alice:hunter2-pw@');
    const bad = await runCli(['--url', failing, ...RUN, ...args('bad')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/connect|certificate/);
    const written = [...files('ok'), ...files('bad')].map((f) => readFileSync(f, 'utf8'));
    for (const out of [ok.stdout, ok.stderr, bad.stdout, bad.stderr, ...written]) {
      expect(out).not.toContain('s3cr3t');
      expect(out).not.toContain('hunter2');
    }
  });
});
