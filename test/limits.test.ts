/** The open-files and port walls: read from /proc, and runs that cannot fit are refused with one line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCapacity, ephemeralPorts, openFilesLimit } from '../src/config/limits.js';
import { UsageError } from '../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-limits-'));

describe('reading the limits', () => {
  it('reads this process limit from /proc/self/limits', () => {
    const limit = openFilesLimit();
    expect(limit).toBeDefined();
    expect(limit!.soft).toBeGreaterThan(0);
    expect(limit!.hard).toBeGreaterThanOrEqual(limit!.soft);
  });

  it('parses unlimited and a missing file', () => {
    const f = join(dir, 'limits');
    writeFileSync(
      f,
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 unlimited            files\n',
    );
    expect(openFilesLimit(f)).toEqual({ soft: 1024, hard: Infinity });
    expect(openFilesLimit(join(dir, 'nope'))).toBeUndefined();
  });

  it('reads the ephemeral port range', () => {
    const f = join(dir, 'range');
    writeFileSync(f, '32768\t60999\n');
    expect(ephemeralPorts(f)).toBe(28232);
    expect(ephemeralPorts()).toBeGreaterThan(0);
  });
});

describe('checkCapacity', () => {
  const limit = { soft: 20_000, hard: 20_000 };
  const plan = { sessions: 10_000, processes: 1, targetInProcess: false, urls: 1, localAddresses: 0, localPorts: 55_536 };

  it('accepts a run that fits', () => {
    expect(() => checkCapacity(plan, limit, 28_232)).not.toThrow();
    expect(() => checkCapacity({ ...plan, sessions: 100_000, processes: 6, localAddresses: 4 }, limit, 28_232)).not.toThrow();
  });

  it('refuses more sessions than the open-files limit allows, saying how many processes would do', () => {
    const err = capture(() => checkCapacity({ ...plan, sessions: 100_000 }, limit, 1_000_000));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/100,000 sessions need about 100,200 open files per process but the limit is 20,000/);
    expect(err.message).toMatch(/--processes 6/);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('suggests ulimit when the hard limit allows it', () => {
    const err = capture(() => checkCapacity({ ...plan, sessions: 5000 }, { soft: 1024, hard: 65536 }, 28_232));
    expect(err.message).toMatch(/ulimit -n 5200/);
  });

  it('counts both ends when the built-in target shares the process', () => {
    expect(() => checkCapacity({ ...plan, sessions: 9_900, targetInProcess: true }, limit, 28_232)).not.toThrow();
    const err = capture(() => checkCapacity({ ...plan, sessions: 10_000, targetInProcess: true }, limit, 28_232));
    expect(err.message).toMatch(/mcpload serve/);
    const alone = capture(() => checkCapacity({ ...plan, sessions: 30_000, processes: 2, targetInProcess: true, localAddresses: 2 }, limit, 28_232));
    expect(alone.message).toMatch(/the built-in target holds all 30,000 sessions in one process .*\(mcpload serve --processes 2\)/);
  });

  it('refuses more sessions per address pair than there are ephemeral ports when the kernel picks ports', () => {
    const err = capture(() => checkCapacity({ ...plan, sessions: 60_000, processes: 4 }, limit, 28_232));
    expect(err.message).toMatch(/need more than the 28,232 ephemeral ports/);
    expect(err.message).toMatch(/127\.0\.0\.2-127\.0\.0\.4/);
    expect(() => checkCapacity({ ...plan, sessions: 50_000, processes: 4, urls: 2 }, limit, 28_232)).not.toThrow();
  });

  it('with source addresses, budgets the source port range per address', () => {
    expect(() => checkCapacity({ ...plan, sessions: 100_000, processes: 6, localAddresses: 2 }, limit, 28_232)).not.toThrow();
    const err = capture(() => checkCapacity({ ...plan, sessions: 100_000, processes: 6, localAddresses: 1 }, limit, 28_232));
    expect(err.message).toMatch(/need 100,000 ports each but the source port range has 55,536: give at least 2 --local-address/);
  });
});

function capture(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}
