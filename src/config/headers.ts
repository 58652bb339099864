/**
 * --header 'Name: value': checked at input, so a value that no HTTP stack would send (CR, LF, NUL and
 * other control bytes, characters beyond Latin-1) is one line and exit 2 instead of a crash in every
 * engine. A message never repeats a header's value: it may be a token.
 */
import { UsageError } from '../shared/errors.js';

/** An HTTP token (RFC 9110 §5.6.2): what a header name may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node's HTTP stack accepts in a header value (its checkInvalidHeaderChar): tab, visible ASCII, Latin-1. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export function parseHeaders(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of values) {
    const i = h.indexOf(':');
    const name = (i < 0 ? h : h.slice(0, i)).trim();
    if (i <= 0 || !TOKEN.test(name)) {
      // Only the first word: without a colon the rest may be the secret itself ('Authorization Bearer TOKEN').
      const shown = /^\S{0,40}/.exec(h.trim())?.[0] ?? '';
      throw new UsageError(`--header: "${shown}${shown.length < h.trim().length ? ' …' : ''}" is not a header; write it like 'Authorization: Bearer TOKEN'`);
    }
    const value = h.slice(i + 1).trim();
    const bad = INVALID_VALUE_CHAR.exec(value);
    if (bad) {
      const code = bad[0].codePointAt(0) ?? 0;
      const what =
        code < 0x20 || code === 0x7f
          ? `a control character (0x${code.toString(16).padStart(2, '0')}: ${code === 10 ? 'LF' : code === 13 ? 'CR' : 'not allowed'})`
          : `"${bad[0]}", which is not Latin-1`;
      throw new UsageError(`--header ${name}: its value has ${what} at position ${bad.index + 1}; header values are tab, printable ASCII and Latin-1 only`);
    }
    out[name] = value;
  }
  return out;
}
