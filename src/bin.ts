#!/usr/bin/env node
/**
 * The `mcpload` command. `--version` alone is answered before anything else loads (it is what scripts
 * call to check an install); everything else goes through the command line's parser, whose commands
 * load their modules only when they run.
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
