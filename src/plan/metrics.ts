/**
 * The plan's /metrics: one RunMetrics per phase (main/metrics-registry.ts: everything read at scrape
 * time from the phase's Aggregate), each with a `phase` label, served as one exposition: each metric
 * family once, with every phase's samples. The label's values are the plan's phase names (at most 50),
 * so Grafana can split and sum by phase. Process metrics are taken from the first phase only.
 */
import { createServer, type Server } from 'node:http';
import { RunMetrics } from '../main/metrics.js';
import type { Aggregate } from '../main/aggregate.js';
import { UsageError, describe } from '../shared/errors.js';
import { distinctTargets } from '../shared/targets.js';
import type { Plan } from './file.js';

export interface PhaseSource {
  phase: string;
  aggregate: Aggregate | undefined;
}

/** Families in order, each with its HELP/TYPE lines and samples. */
function families(text: string): Map<string, { head: string[]; samples: string[] }> {
  const out = new Map<string, { head: string[]; samples: string[] }>();
  let current: { head: string[]; samples: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^# (HELP|TYPE) (\S+)/.exec(line);
    if (m) {
      current = out.get(m[2]) ?? { head: [], samples: [] };
      out.set(m[2], current);
      current.head.push(line);
    } else current?.samples.push(line);
  }
  return out;
}

export class PlanMetrics {
  private readonly phases: { name: string; metrics: RunMetrics }[];

  constructor(plan: Plan, aggregates: () => PhaseSource[]) {
    this.phases = plan.phases.map((p) => {
      const metrics = new RunMetrics({
        clientType: p.opts.profile.name,
        methods: [...new Set(p.opts.profile.mix.map((e) => e.method))],
        targets: distinctTargets(p.opts.profile.mix),
        aggregate: () => aggregates().find((a) => a.phase === p.name)?.aggregate,
      });
      metrics.registry.setDefaultLabels({ phase: p.name });
      return { name: p.name, metrics };
    });
  }

  async scrape(): Promise<string> {
    const merged = new Map<string, { head: string[]; samples: string[] }>();
    for (const [i, p] of this.phases.entries()) {
      for (const [name, f] of families(await p.metrics.scrape())) {
        if (i > 0 && !name.startsWith('mcp_')) continue;
        const into = merged.get(name);
        if (into) into.samples.push(...f.samples);
        else merged.set(name, { head: f.head, samples: [...f.samples] });
      }
    }
    return [...merged.values()].map((f) => [...f.head, ...f.samples].join('\n')).join('\n') + '\n';
  }
}

/** /metrics and /healthz for the plan, and /snapshot (the plan so far, for mcpload watch); a port in use is one line, exit 2. */
export async function servePlanMetrics(
  metrics: PlanMetrics,
  host: string,
  port: number,
  snapshot?: () => { status: number; body: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.scrape().then(
        (text) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`scrape failed: ${describe(err)}\n`),
      );
    } else if (path === '/healthz' || path === '/health') res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    else if (path === '/snapshot' && snapshot) {
      let answer: { status: number; body: string };
      try {
        answer = snapshot();
      } catch (err) {
        answer = { status: 500, body: JSON.stringify({ error: `snapshot failed: ${describe(err)}` }) };
      }
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
    } else
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: mcpload serves /metrics${snapshot ? ', /snapshot' : ''}, /healthz and /health\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`--metrics-port: ${host}:${port} is already in use; pick a free port, or 0 to turn the metrics endpoint off`)
          : new UsageError(`--metrics-port: cannot listen on ${host}:${port} (${describe(err)})`),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
