/**
 * `fs` plus `globSync(patterns, { cwd })` for the conformance suite on Node 20 (see conformance-shim.mjs):
 * fs.readdirSync({ recursive: true }) filtered by a small glob-to-RegExp (`**`, `*`, `?`), which covers
 * what the suite asks of it (`**\/checks.json`). Paths come back relative to cwd, as Node 22's do.
 */
import fs from 'node:fs';
import { sep } from 'node:path';

export * from 'node:fs';
export default fs;

function globToRegExp(pattern) {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of directories, none included.
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globSync(patterns, options = {}) {
  const res = (Array.isArray(patterns) ? patterns : [patterns]).map(globToRegExp);
  const entries = fs.readdirSync(options.cwd ?? process.cwd(), { recursive: true }).map((p) => String(p).split(sep).join('/'));
  return entries.filter((p) => res.some((re) => re.test(p))).map((p) => p.split('/').join(sep));
}
