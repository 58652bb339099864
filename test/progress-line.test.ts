/** The terminal status line fits any width (parts drop out, least important first; never wrapped); the plain line has everything. */
import { describe, expect, it } from 'vitest';
import { plainLine, terminalLine, type ProgressFigures } from '../src/main/progress.js';

const busy: ProgressFigures = {
  elapsedS: 754,
  totalS: 3600,
  stage: 2,
  stages: 3,
  wanted: 100_000,
  open: 98_765,
  connecting: 1_235,
  failedSessions: 12,
  sent: 123_456_789,
  ok: 123_400_000,
  dropped: 5_678,
  errors: 56_789,
  errorKinds: [
    ['timeout', 50_000],
    ['connect', 6_000],
    ['handshake', 789],
  ],
  rate: 987_654,
  targetRate: 1_000_000,
  p50: 1234,
  p99: 45_678,
  generatorLimited: true,
  loopBusy: 0.97,
};

describe('the status line', () => {
  it('fits every width from 20 to 200 columns, keeping time, sessions and rate first', () => {
    for (let width = 20; width <= 200; width++) {
      const line = terminalLine(busy, width);
      expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width - 1);
      expect(line, `${width}`).toMatch(/^running /);
      if (width >= 40) expect(line, `${width}`).toContain('12m34s/1h00m00s');
    }
    // At 80 columns the details go before the figures: sessions, rate and errors stay.
    expect(terminalLine(busy, 80)).toBe('running 12m34s/1h00m00s  sessions 98,765/100,000  987,654 req/s  err 56,789');
    expect(terminalLine({ ...busy, connecting: 0, failedSessions: 0, errors: 0, errorKinds: [], generatorLimited: false }, 80)).toBe(
      'running 12m34s/1h00m00s  sessions 98,765/100,000  987,654 req/s  err 0',
    );
    const wide = terminalLine(busy, 200);
    expect(wide).toMatch(
      /^running \[=+> +\] 12m34s\/1h00m00s {2}stage 2\/3 {2}sessions .* p99 45\.7ms {2}err 56,789 \(timeout 50,000, …\) {2}generator-limited$/,
    );
  });

  it('the plain line carries every figure and every error kind', () => {
    const line = plainLine(busy);
    expect(line).toContain('[12m34s/1h00m00s  21%] sessions 98,765/100,000 (1,235 connecting, 12 failed) | stage 2/3');
    expect(line).toContain('err 56,789 (timeout 50,000, connect 6,000, handshake 789)');
    expect(line).toContain('dropped 5,678 | 987,654 req/s (target 1,000,000) | p50 1.23ms p99 45.7ms | WARNING: generator-limited (engine busy 97%)');
  });

  it('an unlimited run shows the time alone, and no bar', () => {
    const line = terminalLine({ ...busy, totalS: Infinity, stages: 0, generatorLimited: false }, 120);
    expect(line).toMatch(/^running 12m34s {2}sessions/);
  });
});
