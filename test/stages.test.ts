/** Stages ramp clients and rate linearly, k6-style; a run with stages follows them. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plannedClients, plannedRate, stagesDurationMs } from '../src/config/stages.js';
import { loadProfile } from '../src/config/profile.js';
import type { Profile } from '../src/shared/types.js';
import { runCli } from './helpers/cli.js';

const base: Profile = { ...loadProfile('low-load'), clients: 10, rate: 5 };

describe('stage maths', () => {
  const profile: Profile = {
    ...base,
    stages: [
      { durationMs: 1000, clients: 110 },
      { durationMs: 2000, clients: 110, rate: 25 },
      { durationMs: 1000, clients: 0 },
    ],
  };

  it('ramps clients from the profile clients through each stage target', () => {
    expect(stagesDurationMs(profile)).toBe(4000);
    expect(plannedClients(profile, 0)).toBe(10);
    expect(plannedClients(profile, 500)).toBe(60);
    expect(plannedClients(profile, 1000)).toBe(110);
    expect(plannedClients(profile, 2500)).toBe(110);
    expect(plannedClients(profile, 3500)).toBe(55);
    expect(plannedClients(profile, 4000)).toBe(0);
    expect(plannedClients(profile, 9999)).toBe(0);
  });

  it('ramps the rate where a stage sets one and keeps it where a stage does not', () => {
    expect(plannedRate(profile, 0)).toBe(5);
    expect(plannedRate(profile, 999)).toBe(5);
    expect(plannedRate(profile, 2000)).toBe(15);
    expect(plannedRate(profile, 3000)).toBe(25);
    expect(plannedRate(profile, 3500)).toBe(25);
  });

  it('without stages, the profile holds', () => {
    expect(plannedClients(base, 12345)).toBe(10);
    expect(plannedRate(base, 12345)).toBe(5);
    expect(stagesDurationMs(base)).toBe(0);
  });
});

describe('a run with stages', () => {
  it('ramps sessions up to the last stage and lasts as long as the stages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpload-stages-'));
    const file = join(dir, 'ramp.yaml');
    writeFileSync(
      file,
      [
        'name: ramp',
        'clients: 2',
        'rate: 20',
        'timeout: 2s',
        'mix:',
        '  - method: ping',
        'stages:',
        '  - { duration: 1s, clients: 8 }',
        '  - { duration: 1s, clients: 8 }',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'ramp.json');
    const r = await runCli(['--profile', file, '--report', report, '--quiet', '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.sessions.wanted).toBe(8);
    expect(json.sessions.established).toBe(8);
    expect(json.sessions.peak).toBe(8);
    // The stages last 2 s; sending stops then (the measured window starts at the first session).
    expect(json.durationSeconds).toBeGreaterThan(1.5);
    expect(json.durationSeconds).toBeLessThan(3); // not the default 60 s
    expect(json.requests.ok).toBe(json.requests.sent);
  });

  it('raises the rate of sessions that are already open when a stage ramps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpload-stages-'));
    const file = join(dir, 'rate.yaml');
    writeFileSync(
      file,
      [
        'name: rate-ramp',
        'clients: 4',
        'rate: 10',
        'timeout: 2s',
        'mix:',
        '  - method: ping',
        'stages:',
        '  - { duration: 1s, clients: 4 }',
        '  - { duration: 1s, clients: 4, rate: 100 }',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'rate.json');
    const r = await runCli(['--profile', file, '--report', report, '--quiet', '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    // 4 clients × (1 s at 10/s + 1 s ramping 10 → 100/s, 55/s on average) ≈ 260 due; at a fixed 10/s it
    // would be 80. Counted as due (sent + dropped): with a burst of 1, a loaded machine's late ticks drop some.
    const due = json.requests.sent + json.requests.dropped;
    expect(due).toBeGreaterThan(180);
    expect(due).toBeLessThan(300);
    expect(json.requests.sent).toBeGreaterThan(80);
  });
});
