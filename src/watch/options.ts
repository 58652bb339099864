/** `mcpload watch`'s options, declared once (the command line and MCPLOAD_* variables derive from this table). */
import type { OptionTable } from '../config/option-table.js';

export const WATCH_OPTIONS = {
  from: { type: 'string', array: true, describe: "a replica's metrics endpoint (http://host:9464), repeatable or a,b" },
  dns: { type: 'string', describe: 'every A/AAAA record of NAME[:port] is a replica: tasks.<service> on Swarm, a headless Service on Kubernetes' },
  dnsServer: { type: 'string', describe: 'ask this DNS server (HOST[:port]) instead of the system resolver' },
  threshold: { type: 'string', array: true, describe: "pass/fail criterion on the merged cluster, repeatable: 'p99<500ms', 'errors<1%'; any failure exits 1" },
  report: { type: 'string', describe: 'write the merged JSON report here at the end' },
  html: { type: 'string', describe: 'write the merged HTML report here at the end' },
  duration: { type: 'string', describe: 'watch at most this long, then report what the replicas did so far (default: until every replica finished)' },
  wait: { type: 'string', default: '60s', describe: 'how long to wait for replicas (listed, or shards of the declared count) that have not answered yet' },
  lostAfter: {
    type: 'string',
    default: '5s',
    describe: 'a replica that stops answering for this long before its run finished has vanished (the verdict fails)',
  },
  progressInterval: { type: 'string', default: '5s', describe: 'time between cluster progress lines' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines' },
} as const satisfies OptionTable;
