/** Engine thread entry: wires an Engine to the parent port. No logic of its own. */
import { parentPort } from 'node:worker_threads';
import type { MainToEngine } from '../shared/messages.js';
import { serveEngine } from './serve.js';

const port = parentPort;
if (!port) throw new Error('worker.js runs inside a worker thread');
serveEngine(
  (msg) => port.postMessage(msg),
  (onMessage) => port.on('message', (msg: MainToEngine) => onMessage(msg)),
);
