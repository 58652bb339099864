#!/usr/bin/env node
import { main } from './cli.js';

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`mcpload: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
