#!/usr/bin/env node
/**
 * What the tool-error check adds to a tools/call answer on the fast path (issue 16): the time of
 * `resultId()` alone (what every success response pays) and of `resultId()` + `mayBeToolError()` (what a
 * tools/call success pays since), per call, on the frames `mcpload serve` answers the echo tool with (short,
 * and with a 2 KB text). In-process, one core; medians over rounds.
 *
 * Then the 2026-07-28 check (issue 17): `resultId()` + `saysComplete()` (the `"resultType":"complete"` byte
 * check every 2026-07-28 success pays), on a frame with resultType first (mcpload serve) and one with it
 * last (found by the scan), short and 2 KB.
 *
 *   npm run build && node bench/tool-error-scan.mjs [--rounds 7] [--calls 2000000]
 */
import { parseArgs } from 'node:util';
import { machineLine, median } from './lib.mjs';
import { mayBeToolError, resultId, saysComplete } from '../dist/worker/session/fast-response.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, calls: { type: 'string', default: '2000000' } } });
const ROUNDS = Number(args.rounds);
const CALLS = Number(args.calls);
const frame = (text) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 123456, result: { content: [{ type: 'text', text }] } }) + '\n');
const FRAMES = { 'echo, empty text': frame(''), 'echo, 2 KB text': frame('x'.repeat(1900)) };

function time(fn, buf) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) sink += fn(buf);
  const ns = Number(process.hrtime.bigint() - t0) / CALLS;
  if (sink === 42) console.log('');
  return ns;
}
const fast = (buf) => resultId(buf);
const withCheck = (buf) => {
  const id = resultId(buf);
  return id >= 0 && !mayBeToolError(buf) ? id : -1;
};

console.log(`# tool-error scan  ${new Date().toISOString()}`);
console.log(machineLine());
console.log(`command: node bench/tool-error-scan.mjs --rounds ${ROUNDS} --calls ${CALLS}\n`);
console.log('| frame | bytes | resultId ns/call | + mayBeToolError ns/call | added ns |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, buf] of Object.entries(FRAMES)) {
  if (!(withCheck(buf) > 0)) throw new Error(`${name}: not a fast-path frame`);
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(time(fast, buf));
    b.push(time(withCheck, buf));
  }
  const [ma, mb] = [median(a), median(b)];
  console.log(`| ${name} | ${buf.length} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(mb - ma).toFixed(1)} |`);
}

const stateless = (first, text) =>
  Buffer.from(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 123456,
      result: first ? { resultType: 'complete', content: [{ type: 'text', text }] } : { content: [{ type: 'text', text }], resultType: 'complete' },
    }) + '\n',
  );
const STATELESS = {
  'resultType first, empty text': stateless(true, ''),
  'resultType last, empty text': stateless(false, ''),
  'resultType first, 2 KB text': stateless(true, 'x'.repeat(1900)),
  'resultType last, 2 KB text': stateless(false, 'x'.repeat(1900)),
};
const withResultType = (buf) => {
  const id = resultId(buf);
  return id >= 0 && saysComplete(buf) ? id : -1;
};
console.log('\n| 2026-07-28 frame | bytes | resultId ns/call | + saysComplete ns/call | added ns |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, buf] of Object.entries(STATELESS)) {
  if (!(withResultType(buf) > 0)) throw new Error(`${name}: not a fast-path frame`);
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(time(fast, buf));
    b.push(time(withResultType, buf));
  }
  const [ma, mb] = [median(a), median(b)];
  console.log(`| ${name} | ${buf.length} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(mb - ma).toFixed(1)} |`);
}
