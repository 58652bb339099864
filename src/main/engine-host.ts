/**
 * A child process that hosts engine threads for a coordinator in another process (`--processes`),
 * when it has more than one engine (one runs on a host's own main thread: worker/engine-process.ts): it only
 * relays messages. Signals are the coordinator's to handle: a Ctrl-C, a `kill -- -PGID`,
 * systemd or a container runtime signal the whole process group, and the coordinator stops the
 * engines through their messages, drains them and reports. The host ends when the coordinator
 * disconnects (at the end of the run, or when the coordinator itself is gone).
 */
import type { Worker } from 'node:worker_threads';
import type { EngineToMain, HostMessage, HostReply } from '../shared/messages.js';
import { deathReason } from '../shared/errors.js';
import { newEngineWorker } from './engines.js';

const workers = new Map<number, Worker>();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
for (const engineId of (process.argv[2] ?? '').split(',').filter(Boolean).map(Number)) {
  const worker = newEngineWorker(engineId);
  workers.set(engineId, worker);
  const reply = (msg: EngineToMain) => {
    if (process.connected) process.send?.({ engineId, msg } satisfies HostReply);
  };
  worker.on('message', reply);
  worker.on('error', (err) => reply({ type: 'fatal', engineId, message: deathReason(err) }));
  // A thread that ends without an error is lost too (the coordinator takes the first fatal only).
  worker.on('exit', (code) => reply({ type: 'fatal', engineId, message: `engine thread exited (code ${code})` }));
}
process.on('message', (m: HostMessage) => workers.get(m.engineId)?.postMessage(m.msg));
// The coordinator went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
