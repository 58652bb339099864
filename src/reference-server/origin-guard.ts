/**
 * Host and Origin validation against DNS rebinding (2025-11-25, basic/transports, "Security Warning"):
 * a web page on evil.example.com whose name resolves to 127.0.0.1 must not reach a local target.
 *
 * Host: bound to loopback, the target answers only loopback names (localhost, 127.0.0.0/8, [::1]);
 * bound elsewhere it takes any Host unless told which. Origin: absent is fine (non-browser clients
 * send none); present, it must be a loopback origin unless told which. Either fails with 403.
 * `*` in a list allows anything. Checked once per HTTP request and once per WebSocket upgrade.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { UsageError } from '../shared/errors.js';

export const ANY = '*';

function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** `127.0.0.1:8080` -> `127.0.0.1`, `[::1]:8080` -> `[::1]`. */
function hostnameOf(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

export function isLoopbackBind(host: string): boolean {
  return isLoopbackName(host.toLowerCase());
}

/** One line for a list entry that can never match, before anything listens. */
export function checkAllowLists(hosts: readonly string[] | undefined, origins: readonly string[] | undefined): void {
  for (const h of hosts ?? []) {
    if (h !== ANY && (h.length === 0 || /[/\s]/.test(h)))
      throw new UsageError(`--allowed-hosts: "${h}" is not a host name (write it like example.com or example.com:8080, or * for any)`);
  }
  for (const o of origins ?? []) {
    if (o === ANY) continue;
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== o.replace(/\/$/, '')) {
      throw new UsageError(`--allowed-origins: "${o}" is not an origin (write it like https://app.example.com, scheme and host with no path, or * for any)`);
    }
  }
}

export class OriginGuard {
  private readonly hosts: Set<string> | undefined;
  private readonly origins: Set<string> | undefined;
  private readonly loopbackHostsOnly: boolean;
  private readonly anyOrigin: boolean;
  /** The last Host header that passed: clients send the same one on every request. */
  private lastGoodHost: string | undefined;

  constructor(bindHost: string, allowedHosts: readonly string[] | undefined, allowedOrigins: readonly string[] | undefined) {
    this.hosts = allowedHosts && !allowedHosts.includes(ANY) ? new Set(allowedHosts.map((h) => h.toLowerCase())) : undefined;
    this.loopbackHostsOnly = allowedHosts === undefined && isLoopbackBind(bindHost);
    this.origins = allowedOrigins && !allowedOrigins.includes(ANY) ? new Set(allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase())) : undefined;
    this.anyOrigin = allowedOrigins?.includes(ANY) ?? false;
  }

  /** Why the request is refused, or undefined when it may go on. */
  refusal(headers: IncomingHttpHeaders): string | undefined {
    const host = headers.host;
    if (host !== this.lastGoodHost) {
      if (!this.hostAllowed(host)) return `Host ${JSON.stringify(host ?? '')} is not allowed (mcpload serve --allowed-hosts)`;
      this.lastGoodHost = host;
    }
    const origin = headers.origin;
    if (origin === undefined || this.anyOrigin) return undefined;
    return this.originAllowed(origin) ? undefined : `Origin ${JSON.stringify(origin)} is not allowed (mcpload serve --allowed-origins)`;
  }

  private hostAllowed(host: string | undefined): boolean {
    if (this.hosts) return host !== undefined && (this.hosts.has(host.toLowerCase()) || this.hosts.has(hostnameOf(host)));
    if (!this.loopbackHostsOnly) return true;
    return host !== undefined && isLoopbackName(hostnameOf(host));
  }

  private originAllowed(origin: string): boolean {
    if (this.origins) return this.origins.has(origin.toLowerCase());
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackName(url.hostname);
  }
}
