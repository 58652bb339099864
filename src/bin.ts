#!/usr/bin/env -S node --v8-pool-size=2
/**
 * The `mcpload` command. `--version` alone is answered before anything else loads (it is what scripts
 * call to check an install); everything else goes through the command line's parser, whose commands
 * load their modules only when they run.
 *
 * The first line starts Node with a V8 background pool of 2 threads instead of Node's default 4. The pool
 * (GC helpers, concurrent compilation) is shared by every engine thread of the process, and 4 of them on a
 * 2-core machine compete with the engines for the cores when a collection runs: at 25 % of the target's max
 * the engines' worst GC second was 6.6 -> 5.0 ms/s (median of the runs) with a pool of 2, throughput the
 * same; the p99 gain one session saw (17-40 %) did not hold against the paced bare client in the next
 * (bench/RESULTS.md, 2026-12-06). 2, not 1, so machines with more cores and engines keep some GC parallelism.
 * It is a process flag, read before any of this code runs, so it lives here;
 * `npx mcpload`, an installed `mcpload` and the container image run with it, child engine processes inherit
 * it, and `node dist/bin.js` runs with Node's default unless given the flag. The report records the size
 * (config.v8PoolSize).
 */
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  const { VERSION } = await import('./shared/version.js');
  process.stdout.write(VERSION + '\n');
} else {
  const { main } = await import('./cli.js');
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mcpload: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
