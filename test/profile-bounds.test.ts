/**
 * A profile's numbers have the bounds of their flags: a rate no flag would accept is bad input in a
 * profile file too (`mcpload validate` and a run), not a run that never ends. Before these bounds,
 * `rate: 1e300` spun an engine at 100 % and ignored SIGTERM, and `rate: 1e12` ran 3 s in 8 s.
 */
import { describe, expect, it } from 'vitest';
import { validateProfile } from '../src/config/profile.js';
import { resolveRunOptions } from '../src/config/options.js';
import { UsageError } from '../src/shared/errors.js';

const base = { name: 'bounds', clients: 1, rate: 10, mix: [{ method: 'ping' }] };
const profileError = (raw: object): string | undefined => {
  try {
    validateProfile({ ...base, ...raw }, 'bounds.yaml');
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
};
const flagError = (raw: object): string | undefined => {
  try {
    resolveRunOptions({ profile: 'low-load', duration: '1s', ...raw });
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
};

describe('profile numbers are bounded like their flags', () => {
  it.each([1e300, 1e12, 1_000_001])('rate %d is refused in a profile, in one line, as it is on the command line', (rate) => {
    const inProfile = profileError({ rate });
    expect(inProfile).toMatch(/^bounds\.yaml: rate: must be <= 1000000/);
    expect(inProfile).not.toContain('\n');
    expect(flagError({ rate })).toMatch(/^--rate: at most 1,000,000/);
  });

  it('the largest rate the flag accepts is accepted in a profile', () => {
    expect(profileError({ rate: 1_000_000 })).toBeUndefined();
    expect(flagError({ rate: 1_000_000 })).toBeUndefined();
  });

  it('stage rates, bursts, weights and reconnect attempts are bounded too', () => {
    expect(profileError({ rate: 10, stages: [{ duration: '1s', clients: 1, rate: 1e12 }] })).toMatch(/stages\[0\]\.rate: must be <= 1000000/);
    expect(profileError({ rate: 10, burst: 1e12 })).toMatch(/burst: must be <= 1000000/);
    expect(profileError({ rate: 10, mix: [{ method: 'ping', weight: 1e300 }] })).toMatch(/mix\[0\]\.weight: must be <= 1000000/);
    expect(profileError({ rate: 10, reconnect: { maxAttempts: 1e12 } })).toMatch(/reconnect\.maxAttempts: must be <= 1000000/);
  });

  it('clients have the same upper bound as --clients', () => {
    expect(profileError({ clients: 1_000_001 })).toMatch(/clients: must be <= 1000000/);
    expect(flagError({ clients: 1_000_001 })).toMatch(/^--clients: must be a whole number from 1 to 1,000,000/);
    expect(profileError({ clients: 1_000_000 })).toBeUndefined();
  });
});
