/**
 * Wires an Engine to whatever carries its messages: a worker thread's parentPort (worker.ts), or the
 * IPC channel of an engine host process that runs its one engine on its own main thread
 * (main/engine-host.ts). No logic of its own.
 */
import type { EngineToMain, MainToEngine } from '../shared/messages.js';
import { deathReason } from '../shared/errors.js';
import { kernelThread } from '../shared/kernel-thread.js';
import { Engine } from './engine.js';

export function serveEngine(post: (msg: EngineToMain) => void, listen: (onMessage: (msg: MainToEngine) => void) => void): void {
  let engine: Engine | undefined;
  let engineId = -1;
  listen((msg) => {
    try {
      switch (msg.type) {
        case 'start':
          engineId = msg.config.engineId;
          engine = new Engine(msg.config, {
            snapshot: (snapshot) => post({ type: 'snapshot', snapshot }),
            note: (message) => post({ type: 'note', engineId: msg.config.engineId, message }),
          });
          engine.start();
          break;
        case 'stop':
          void engine?.stop(msg.drainMs);
          break;
      }
    } catch (err) {
      post({ type: 'fatal', engineId, message: deathReason(err) });
    }
  });
  post({ type: 'ready', thread: kernelThread() });
}
