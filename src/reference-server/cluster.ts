/**
 * `mcpload serve --processes N --host A --host B`: the reference target over several processes
 * (node:cluster, the port shared, connections dealt round-robin by the primary so every process
 * gets an even share of the open-files limit) and several listen addresses, so one machine can host
 * a 100K-session target.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { TargetOptions } from './server.js';

export interface ClusterTarget {
  urls: string[];
  /** Stop every process (SIGTERM, by PID). Idempotent. */
  close(): Promise<void>;
}

/** Messages from a target process to the primary. */
export type TargetProcessMessage = { listening: string[] } | { failed: string };

export async function startTargetCluster(opts: Partial<TargetOptions>, hosts: string[], processes: number): Promise<ClusterTarget> {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./server-process.js', import.meta.url)),
    args: [JSON.stringify({ opts, hosts })],
    silent: false,
  });
  const workers: Worker[] = [];
  const listening = Array.from({ length: processes }, () => {
    const worker = cluster.fork();
    workers.push(worker);
    return new Promise<string[]>((resolve, reject) => {
      worker.on('message', (m: TargetProcessMessage) => ('listening' in m ? resolve(m.listening) : reject(new Error(m.failed))));
      worker.on('exit', (code) => reject(new Error(`target process exited with code ${code} before listening`)));
    });
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    ).then(() => undefined));
  try {
    const urls = await Promise.all(listening);
    // Every process listens on the same shared ports: the first one's URLs are everyone's.
    return { urls: urls[0], close };
  } catch (err) {
    await close();
    throw err;
  }
}
