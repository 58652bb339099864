#!/usr/bin/env node
// Two mcpload reports equal field for field: `node same-report.mjs A.json B.json` exits 0 when every
// field of A equals B's (numbers exactly, percentiles included), else 1 with each difference on a line.
// deploy/rehearse.sh compares the watch's cluster report with `mcpload merge` of the shards' own files.
// Every field is compared, none left out.
import { readFileSync } from 'node:fs';

const MAX_SHOWN = 30;

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  process.stderr.write('usage: node same-report.mjs A.json B.json\n');
  process.exit(2);
}
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const left = read(a);
const right = read(b);

const differences = [];
let leaves = 0;
let percentiles = 0;
function compare(x, y, path) {
  if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y)) {
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of keys) {
      const at = Array.isArray(x) ? `${path}[${k}]` : `${path}.${k}`;
      if (!(k in x)) differences.push(`${at}: only in ${b}`);
      else if (!(k in y)) differences.push(`${at}: only in ${a}`);
      else compare(x[k], y[k], at);
    }
    return;
  }
  leaves++;
  if (/\.p\d+$/.test(path)) percentiles++;
  if (!Object.is(x, y)) differences.push(`${path}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
}
compare(left, right, '');

if (differences.length) {
  process.stderr.write(`${a} and ${b} differ in ${differences.length} of ${leaves} fields:\n`);
  for (const d of differences.slice(0, MAX_SHOWN)) process.stderr.write(`  ${d}\n`);
  if (differences.length > MAX_SHOWN) process.stderr.write(`  ... and ${differences.length - MAX_SHOWN} more\n`);
  process.exit(1);
}
process.stdout.write(`same report: ${leaves} fields equal (${percentiles} percentiles), requests sent ${left.requests?.sent}\n`);
