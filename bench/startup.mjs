/**
 * Start-up time of the command: `mcpload --version` and `mcpload --help` against `node -e 0` (the floor: a
 * Node process that loads nothing), wall time of each, interleaved rounds, medians. The goal (issue 19):
 * `--version` at most 2× `node -e 0`.
 *
 *   npm run build && flock /tmp/mcpload-bench.lock node bench/startup.mjs --rounds 15
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, median } from './lib.mjs';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const ROUNDS = Math.max(5, Number(args.rounds));
const BIN = join(ROOT, 'dist', 'bin.js');

const CASES = [
  ['node -e 0', ['-e', '0']],
  ['mcpload --version', [BIN, '--version']],
  ['mcpload --help', [BIN, '--help']],
];

function wallMs(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

// One warm-up of each (the page cache), then interleaved rounds so a disturbance hits every case alike.
for (const [, argv] of CASES) wallMs(argv);
const samples = CASES.map(() => []);
for (let round = 0; round < ROUNDS; round++) CASES.forEach(([, argv], i) => samples[i].push(wallMs(argv)));

const floor = median(samples[0]);
console.log(`# ${new Date().toISOString()}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load ${loadavg()[0].toFixed(2)}`);
console.log(`# ${ROUNDS} interleaved rounds, wall time of each process (spawn to exit), medians\n`);
console.log('| command | median ms | min ms | max ms | ÷ node -e 0 |');
console.log('|---|---:|---:|---:|---:|');
CASES.forEach(([name], i) => {
  const s = samples[i];
  const m = median(s);
  console.log(`| \`${name}\` | ${m.toFixed(1)} | ${Math.min(...s).toFixed(1)} | ${Math.max(...s).toFixed(1)} | ${(m / floor).toFixed(2)} |`);
});
const ratio = median(samples[1]) / floor;
console.log(`\n--version ÷ node -e 0 = ${ratio.toFixed(2)} (goal ≤ 2): ${ratio <= 2 ? 'met' : 'NOT met'}`);
