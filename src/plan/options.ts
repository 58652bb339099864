/** `mcpload plan`'s options, apart from the command so --help loads the table and nothing else. */
import type { OptionTable, ParsedOptions } from '../config/option-table.js';
import { DEFAULT_METRICS_HOST } from '../config/defaults.js';

export const PLAN_OPTIONS = {
  scale: { type: 'number', describe: "sessions: every phase's clients (and stages) times this, e.g. 0.01 on a laptop (default 1)" },
  timeScale: { type: 'number', describe: 'time: every duration, pause and start offset times this, e.g. 0.05 for a quick rehearsal (default 1)' },
  url: { alias: 'u', type: 'string', array: true, describe: 'target URL for every phase (wins over the file); none in either = the built-in target' },
  workers: { alias: 'w', type: 'number', describe: 'engine threads per process, per phase' },
  processes: { type: 'number', describe: 'engine processes per phase (open-files limit)' },
  localAddress: { type: 'string', array: true, describe: 'source addresses, repeatable, ranges like 127.0.0.2-127.0.0.9' },
  localPorts: { type: 'string', describe: 'source ports on each --local-address (default 10000-65535)' },
  header: { alias: 'H', type: 'string', array: true, describe: "extra header for every phase, repeatable: 'Authorization: Bearer TOKEN'" },
  protocolVersion: { type: 'string', describe: 'MCP revision every phase speaks' },
  report: { type: 'string', describe: "write the plan's JSON report (the total, every phase inside) to this file" },
  html: { type: 'string', describe: "write the plan's HTML report to this file" },
  metricsPort: { type: 'number', default: 0, describe: '/metrics with a phase label on this port (0 = off)' },
  metricsHost: { type: 'string', default: DEFAULT_METRICS_HOST, describe: 'address the metrics endpoint listens on' },
  progressInterval: { type: 'string', default: '5s', describe: 'time between progress lines (one per running phase)' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines' },
  shard: { type: 'string', describe: "run share i of n of every phase ('2/3', or the index with --shards); --metrics-port serves /snapshot for mcpload watch" },
  shards: { type: 'number', describe: 'how many shards, when --shard gives only the index' },
  startAt: { type: 'string', describe: 'start the first phase at this instant (ISO time, or ms since the epoch), so every shard starts together' },
  linger: { type: 'string', describe: 'after the plan, keep /snapshot up until a watch has read the final one, at most this long (default 30s with --shard)' },
} as const satisfies OptionTable;

export type PlanArgs = ParsedOptions<typeof PLAN_OPTIONS>;
