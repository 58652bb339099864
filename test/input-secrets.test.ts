/**
 * Headers are checked at input and secrets never reach a message. Before: a header value with CR/LF,
 * a control byte or a non-Latin-1 character crashed every engine (exit 3, "ERROR BREAKDOWN none"),
 * `--header 'Authorization Bearer TOKEN'` printed the token, and URL passwords appeared in bad-input lines.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { UsageError } from '../src/shared/errors.js';
import { runCli } from './helpers/cli.js';

const SECRET = 's3cr3t-T0KEN-value';
function refusal(raw: Parameters<typeof resolveRunOptions>[0]): string {
  try {
    resolveRunOptions({ profile: 'low-load', duration: '1s', ...raw });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('--header values are checked at input, never echoed', () => {
  it.each([
    [
      'CR LF (header injection)',
      `Authorization: Bearer ${SECRET}\r\nX-Evil: 1`,
      /^--header Authorization: its value has a control character \(0x0d: CR\) at position \d+/,
    ],
    ['a lone LF', `X-Token: ${SECRET}\nmore`, /^--header X-Token: its value has a control character \(0x0a: LF\)/],
    ['NUL', `X-Token: ${SECRET}\u0000`, /^--header X-Token: its value has a control character \(0x00: not allowed\)/],
    ['DEL', `X-Token: ${SECRET}\u007f`, /^--header X-Token: its value has a control character \(0x7f: not allowed\)/],
    ['beyond Latin-1', `X-Token: ${SECRET}€`, /^--header X-Token: its value has "€", which is not Latin-1/],
    ['no colon', `Authorization Bearer ${SECRET}`, /^--header: "Authorization …" is not a header; write it like/],
    ['a bad name', `Bad Name: ${SECRET}`, /^--header: "Bad …" is not a header/],
  ])('%s: one line without the value', (_what, header, says) => {
    const message = refusal({ header: [header] });
    expect(message).toMatch(says);
    expect(message).not.toContain(SECRET);
    expect(message).not.toMatch(/[\r\n]/);
  });

  it('Latin-1 and tabs are fine (what Node sends)', () => {
    const opts = resolveRunOptions({ profile: 'low-load', duration: '1s', header: ['X-Name: caf\u00e9\tau lait', 'Authorization: Bearer abc'] });
    expect(opts.headers).toEqual({ 'X-Name': 'caf\u00e9\tau lait', Authorization: 'Bearer abc' });
  });

  it('from the environment too: MCPLOAD_HEADER with CR LF is exit 2 and one line, before any session', async () => {
    const r = await runCli(['--profile', 'low-load', '--clients', '1', '--duration', '1s', '--quiet'], {
      env: { MCPLOAD_HEADER: `Authorization: Bearer ${SECRET}\r\nX-Evil: 1` },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^mcpload: --header Authorization: its value has a control character \(0x0d: CR\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });
});

describe('URL passwords never reach a bad-input line', () => {
  it.each([
    ['not a URL', `ws://user:${SECRET}@[bad`],
    ['a scheme mcpload does not speak', `ftp://user:${SECRET}@127.0.0.1:8080/mcp`],
    ['a transport that does not match', `ws://user:${SECRET}@127.0.0.1:8080/mcp/ws`, { transport: 'http' }],
  ])('%s', (_what, url, extra = {}) => {
    const message = refusal({ url: [url], ...extra });
    expect(message).toMatch(/^--(url|transport)/);
    expect(message).not.toContain(SECRET);
    expect(message).toContain('redacted@');
  });
});
