/**
 * Where the replicas are: a list of URLs (`--from`), or every A and AAAA record of a DNS name
 * (`--dns`: Swarm's `tasks.<service>`, a Kubernetes headless Service), asked again every second so
 * replicas that appear or go are seen. Each replica is its `/snapshot` URL.
 */
import { Resolver } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
import { DEFAULT_METRICS_PORT } from '../config/defaults.js';
import { UsageError, redactSecrets } from '../shared/errors.js';

export interface ReplicaFinder {
  /** The replicas' /snapshot URLs now; a DNS name that does not answer gives none (they may not be up yet). */
  find(): Promise<string[]>;
  /** What it looks at, for messages. */
  readonly describe: string;
}

/** `http://host:9464`, `host:9464` or a full `.../snapshot` URL -> the /snapshot URL. */
export function snapshotUrl(from: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(from) ? from : `http://${from}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--from: "${redactSecrets(from)}" is not a URL; write a replica's metrics endpoint like http://10.0.0.5:9464`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`--from: "${redactSecrets(from)}" is not http(s)://; give a replica's metrics endpoint like http://10.0.0.5:9464`);
  if (!u.port && u.protocol === 'http:') u.port = String(DEFAULT_METRICS_PORT);
  if (u.pathname === '/' || u.pathname === '/metrics') u.pathname = '/snapshot';
  return u.toString();
}

/** `NAME[:port]` -> name and port (default: the metrics port). */
export function parseDnsName(value: string): { name: string; port: number } {
  const m = /^([A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?)(?::(\d+))?$/.exec(value.trim());
  const port = m?.[3] !== undefined ? Number(m[3]) : DEFAULT_METRICS_PORT;
  if (!m || !(port >= 1 && port <= 65535))
    throw new UsageError(`--dns: "${value}" is not NAME[:port]; write it like tasks.mcpload:9464 (Swarm) or mcpload-shards.default.svc:9464 (Kubernetes)`);
  return { name: m[1], port };
}

/** `HOST[:port]` of a DNS server (an IPv6 address in brackets with a port: [::1]:5353). */
export function parseDnsServer(value: string): string {
  const v = value.trim();
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(v) ?? /^([0-9.]+)(?::(\d+))?$/.exec(v) ?? (isIPv6(v) ? [v, v] : null);
  const host = m?.[1];
  const port = m?.[2] !== undefined ? Number(m[2]) : 53;
  if (!host || !isIP(host) || !(port >= 1 && port <= 65535))
    throw new UsageError(`--dns-server: "${value}" is not an IP address with an optional port; write it like 127.0.0.1:5353 or [::1]:53`);
  // dns.Resolver.setServers takes a port after the address ([::1]:53 for IPv6).
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function urlsFinder(from: readonly string[]): ReplicaFinder {
  const urls = [...new Set(from.map(snapshotUrl))];
  return { find: () => Promise.resolve(urls), describe: urls.join(', ') };
}

export function dnsFinder(dns: string, server: string | undefined): ReplicaFinder {
  const { name, port } = parseDnsName(dns);
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  if (server !== undefined) resolver.setServers([parseDnsServer(server)]);
  // No record (yet), or the server does not know the name: no replicas now, not an error.
  const none = (): string[] => [];
  return {
    describe: `${name}:${port} (DNS${server ? ` via ${server}` : ''})`,
    async find() {
      const [v4, v6] = await Promise.all([resolver.resolve4(name).catch(none), resolver.resolve6(name).catch(none)]);
      return [...v4.map((a) => `http://${a}:${port}/snapshot`), ...v6.map((a) => `http://[${a}]:${port}/snapshot`)];
    },
  };
}
