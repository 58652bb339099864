/** Engine thread entry: wires an Engine to the parent port. No logic of its own. */
import { parentPort } from 'node:worker_threads';
import type { EngineToMain, MainToEngine } from '../shared/messages.js';
import { deathReason } from '../shared/errors.js';
import { Engine } from './engine.js';

const port = parentPort;
if (!port) throw new Error('worker.js runs inside a worker thread');

let engine: Engine | undefined;
let engineId = -1;
const post = (msg: EngineToMain) => port.postMessage(msg);

port.on('message', (msg: MainToEngine) => {
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

post({ type: 'ready' });
