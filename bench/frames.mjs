#!/usr/bin/env node
/**
 * Frame building alone (issue 16): ns per request frame of a fixed mix entry (FrameTemplate: the id
 * spliced in) against a templated one (TemplatedFrame: holes filled), in one process, interleaved
 * rounds, medians. Isolates the hot-path cost of templates from the target and the network.
 *
 *   npm run build && node bench/frames.mjs [--rounds 7] [--frames 200000] [--size 2048]
 */
import { parseArgs } from 'node:util';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, median } from './lib.mjs';
import { parseProfile } from '../dist/config/profile.js';
import { FrameTemplate } from '../dist/worker/frames.js';
import { TemplatedFrame } from '../dist/worker/templated-frame.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, frames: { type: 'string', default: '200000' }, size: { type: 'string', default: '2048' } },
});
const ROUNDS = Number(args.rounds);
const FRAMES = Number(args.frames);
const SIZE = Number(args.size);
const TEXT = 's{{session}} r{{seq}} {{randString 8}} {{pick a b c}} {{row.word}}';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-frames-'));
writeFileSync(join(dir, 'words.csv'), 'word\n' + Array.from({ length: 1000 }, (_, i) => `word${i}`).join('\n') + '\n');
const profile = parseProfile(
  `name: frames\nclients: 1\nrate: 1\nmix:\n  - { method: tools/call, params: { name: echo, arguments: { text: "" } } }\n` +
    `  - { method: tools/call, params: { name: echo, arguments: { text: "${TEXT}" } }, data: words.csv }\n`,
  join(dir, 'frames.yaml'),
);
rmSync(dir, { recursive: true, force: true });
const fixed = new FrameTemplate(profile.mix[0], SIZE, 'newline');
const templated = new TemplatedFrame(profile.mix[1], SIZE, 'newline', undefined, 0, 1);

function time(t) {
  const s = { slot: 3, seq: 0 };
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 1; i <= FRAMES; i++) {
    s.seq = i;
    bytes += t.frame(i, s).length;
  }
  const ns = Number(process.hrtime.bigint() - start) / FRAMES;
  if (bytes !== FRAMES * SIZE) throw new Error(`frames are not ${SIZE} B`);
  return ns;
}

console.log(`# frame building, fixed vs templated  ${new Date().toISOString()}`);
console.log(machineLine());
console.log(`command: node bench/frames.mjs --rounds ${ROUNDS} --frames ${FRAMES} --size ${SIZE}`);
console.log(`templated text: ${TEXT} (1,000-row CSV)`);
time(fixed);
time(templated); // warm-up
const f = [];
const t = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2) {
    t.push(time(templated));
    f.push(time(fixed));
  } else {
    f.push(time(fixed));
    t.push(time(templated));
  }
}
console.log(`fixed      median ${median(f).toFixed(0)} ns/frame  (${f.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`templated  median ${median(t).toFixed(0)} ns/frame  (${t.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`templated / fixed: ${(median(t) / median(f)).toFixed(2)}x; extra ${(median(t) - median(f)).toFixed(0)} ns per request`);
// On a shared machine the fastest round is the least disturbed: the closest to the code's own cost.
const min = (xs) => Math.min(...xs);
console.log(`fastest rounds: fixed ${min(f).toFixed(0)} ns, templated ${min(t).toFixed(0)} ns (${(min(t) / min(f)).toFixed(2)}x)`);
console.log(`load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
