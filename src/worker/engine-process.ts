/**
 * Entry of an engine host process (`--processes`) that runs its one engine on its own main thread,
 * its messages straight on the IPC channel (main/engines.ts forks it; several engines a process go
 * to main/engine-host.ts, which relays threads). Relaying one thread's messages cost a second V8
 * heap, and each snapshot was deserialized there and serialized again: that thread made so little
 * garbage that it hardly ever collected, and the buffers of those copies filled glibc's main arena
 * for minutes (bench/soak.mjs --smaps; bench/RESULTS.md, "soak").
 *
 * As engine-host.ts does: signals are the coordinator's (it stops the engine through its messages),
 * and the process ends when the coordinator disconnects.
 */
import type { HostMessage, HostReply } from '../shared/messages.js';
import { deathReason } from '../shared/errors.js';
import { serveEngine } from './serve.js';

const engineId = Number(process.argv[2]);
const reply = (msg: HostReply['msg']) => {
  if (process.connected) process.send?.({ engineId, msg } satisfies HostReply);
};

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
process.on('disconnect', () => process.exit(0));
// What a thread's 'error' event tells: the engine's crash as its fatal; then the process ends, as the thread would.
process.on('uncaughtException', (err) => {
  const exit = () => process.exit(1);
  if (!process.connected) exit();
  process.send?.({ engineId, msg: { type: 'fatal', engineId, message: deathReason(err) } } satisfies HostReply, undefined, undefined, exit);
  setTimeout(exit, 1000).unref();
});
serveEngine(reply, (onMessage) => process.on('message', (m: HostMessage) => onMessage(m.msg)));
