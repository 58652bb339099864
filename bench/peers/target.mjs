#!/usr/bin/env node
/**
 * The reference target of `mcpload serve` (same code: dist/reference-server/server.js, one process, defaults),
 * started here only so the runner can read the target's own counters: `mcpload serve` does not expose
 * them. Prints `mcpload serve: listening on URL` on stderr like serve; on an IPC message 'stats'
 * answers { t: performance.now() ms, stats: TargetStats }. Ends on SIGTERM or when its parent goes.
 * Unlike serve's defaults it allows any Origin (see below).
 *
 *   node bench/peers/target.mjs [--port 0]      (needs `npm run build` first)
 */
import { parseArgs } from 'node:util';
import { startTarget } from '../../dist/reference-server/server.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
// Any Origin: Tsung's websocket plugin sends `Origin: 127.0.0.1` (a host, no scheme), which serve's
// default guard refuses with 403 (every Tsung session then fails after connect). Checked once per upgrade.
const target = await startTarget({ host: values.host, port: Number(values.port), allowedOrigins: ['*'] });
process.stderr.write(`mcpload serve: listening on ${target.url}\n`);
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ t: performance.now(), stats: target.stats() });
});
const stop = async () => {
  await target.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.once('disconnect', stop);
