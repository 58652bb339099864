/**
 * The metrics endpoint: `/metrics` (Prometheus text exposition of the run's own Registry) and
 * `/healthz` or `/health` (erlmcp's name; 200 while the server is up), and `/snapshot` (the run so far, report format). The run starts it before the engines and closes it
 * once the report is written, so scrapes during the drain still see the numbers grow.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { UsageError, describe } from '../shared/errors.js';
import { RunMetrics, type MetricsSource } from './metrics-registry.js';

export type { MetricsSource } from './metrics-registry.js';
export { RunMetrics } from './metrics-registry.js';
export { LATENCY_BUCKETS_MS } from './metrics-buckets.js';

export interface MetricsServerOptions {
  host: string;
  /** 0 = any free port (the bound one is in `port` and `url`). */
  port: number;
  source: MetricsSource;
  /** The port was not asked for (the command line's default): when it is in use, listen on a free one instead. */
  orFreePort?: boolean;
  /** `GET /snapshot`: the run so far as JSON (index.ts builds it in the report's format); absent: 404. */
  snapshot?: () => SnapshotAnswer;
}

/** One answer of `GET /snapshot`: 200 with the report so far, or 503 while the run has not started. */
export interface SnapshotAnswer {
  status: number;
  body: string;
}

export class MetricsServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly metrics: RunMetrics,
    readonly host: string,
    /** The bound port. */
    readonly port: number,
    /** The default port it would have taken, had that one not been in use (orFreePort). */
    readonly busyPort?: number,
  ) {}

  /** Listen; a port in use or an address that is not this machine's is a UsageError (one line, exit 2). */
  static async start(opts: MetricsServerOptions): Promise<MetricsServer> {
    const metrics = new RunMetrics(opts.source);
    const server = createServer((req, res) => handle(metrics, req, res, opts.snapshot));
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    let instead: number | undefined;
    try {
      await listen(opts.port);
    } catch (err) {
      const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!(busy && opts.orFreePort)) throw listenError(err as NodeJS.ErrnoException, opts.host, opts.port);
      instead = opts.port;
      await listen(0).catch((again: NodeJS.ErrnoException) => {
        throw listenError(again, opts.host, 0);
      });
    }
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : opts.port;
    return new MetricsServer(server, metrics, opts.host, port, instead);
  }

  get url(): string {
    const host = isIPv6(this.host) ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}/metrics`;
  }

  /** Stop listening; a scrape in progress completes, idle keep-alive connections close. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }
}

function handle(metrics: RunMetrics, req: IncomingMessage, res: ServerResponse, snapshot: (() => SnapshotAnswer) | undefined): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('use GET\n');
  } else if (path === '/metrics') {
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      (err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`scrape failed: ${describe(err)}\n`),
    );
  } else if (path === '/snapshot' && snapshot) {
    let answer: SnapshotAnswer;
    try {
      answer = snapshot();
    } catch (err) {
      answer = { status: 500, body: JSON.stringify({ error: `snapshot failed: ${describe(err)}` }) };
    }
    res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : answer.body);
  } else if (path === '/healthz' || path === '/health') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: mcpload serves /metrics${snapshot ? ', /snapshot' : ''}, /healthz and /health\n`);
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new UsageError(`--metrics-port: ${host}:${port} is already in use; pick a free port with --metrics-port, or 0 to turn the metrics endpoint off`);
    case 'EACCES':
      return new UsageError(`--metrics-port: no permission to listen on port ${port}; use a port above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError(`--metrics-host: cannot listen on "${host}" (${err.code}); use an address of this machine, like 0.0.0.0 or 127.0.0.1`);
    default:
      return new UsageError(`metrics endpoint: cannot listen on ${host}:${port}: ${err.message}`);
  }
}
