/**
 * The built-in target of a plan: started once for every phase that names no url (one process, or
 * several sharing the port), and restartable on the same port for a failover window with no setup.
 */
import { startTargetCluster } from '../reference-server/cluster.js';
import { startTarget } from '../reference-server/server.js';

/** How long a restarted target stays down: long enough for every session to notice. */
export const RESTART_DOWN_MS = 1000;

export class PlanTarget {
  private closeCurrent: () => Promise<void> = () => Promise.resolve();
  private port = 0;
  wsUrl = '';
  httpUrl = '';

  private constructor(private readonly processes: number) {}

  static async start(processes: number): Promise<PlanTarget> {
    const t = new PlanTarget(processes);
    await t.listen();
    return t;
  }

  private async listen(): Promise<void> {
    if (this.processes === 1) {
      const target = await startTarget({ host: '127.0.0.1', port: this.port });
      this.port = target.port;
      this.wsUrl = target.url;
      this.httpUrl = target.httpUrl;
      this.closeCurrent = () => target.close();
      return;
    }
    const cluster = await startTargetCluster({ port: this.port }, ['127.0.0.1'], this.processes);
    this.wsUrl = cluster.urls[0];
    this.port = Number(new URL(this.wsUrl).port);
    this.httpUrl = this.wsUrl.replace(/^ws/, 'http').replace(/\/[^:]*$/, '/mcp');
    this.closeCurrent = () => cluster.close();
  }

  /** A failover: every session is cut, the target is down for RESTART_DOWN_MS, then listens again on the same port. */
  async restart(): Promise<void> {
    await this.closeCurrent();
    this.closeCurrent = () => Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, RESTART_DOWN_MS));
    await this.listen();
  }

  close(): Promise<void> {
    return this.closeCurrent();
  }
}
