/** One process of `mcpload serve --processes N`: a target on every host, reporting its URLs to the primary. */
import { startTarget, type RunningTarget, type TargetOptions } from './server.js';
import type { TargetProcessMessage } from './cluster.js';

const { opts, hosts } = JSON.parse(process.argv[2] ?? '{}') as { opts: Partial<TargetOptions>; hosts: string[] };
const send = (m: TargetProcessMessage) => process.send?.(m);
const targets: RunningTarget[] = [];

try {
  for (const host of hosts) targets.push(await startTarget({ ...opts, host }));
  send({ listening: targets.map((t) => t.url) });
} catch (err) {
  send({ failed: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

const stop = () => {
  void Promise.all(targets.map((t) => t.close())).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
// Ctrl-C reaches the whole process group; the primary decides when to stop.
process.on('SIGINT', () => {});
process.on('disconnect', stop);
