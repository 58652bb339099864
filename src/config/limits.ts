/**
 * The machine's walls, read at start so a run that cannot fit is refused with one line instead of
 * failing thousands of connects: the open-files limit of this process (one descriptor per socket)
 * and the ephemeral port range (one port per connection per source/destination address pair).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../shared/errors.js';

/** Descriptors a process needs besides its sessions: stdio, threads' pipes, the metrics server, logs. */
export const FD_RESERVE = 200;

export interface FileLimit {
  soft: number;
  hard: number;
}

/** This process's open-files limit, from /proc/self/limits (Linux); undefined where it cannot be read. */
export function openFilesLimit(procLimits = '/proc/self/limits'): FileLimit | undefined {
  try {
    const line = readFileSync(procLimits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const m = line && /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return undefined;
    const num = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
    return { soft: num(m[1]), hard: num(m[2]) };
  } catch {
    return undefined;
  }
}

/** How many ephemeral ports the kernel hands out per address pair (net.ipv4.ip_local_port_range). */
export function ephemeralPorts(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): number | undefined {
  try {
    const [low, high] = readFileSync(rangeFile, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(low) && Number.isFinite(high) && high >= low ? high - low + 1 : undefined;
  } catch {
    return undefined;
  }
}

export interface CapacityPlan {
  /** Peak concurrent sessions of the run. */
  sessions: number;
  /** Processes the sessions are spread over. */
  processes: number;
  /** Sockets per session in this process: 2 when the built-in target runs in-process (both ends). */
  socketsPerSession: number;
  /** Distinct (source address, target URL) pairs the sessions are spread over. */
  addressPairs: number;
}

/**
 * Refuse a run this machine cannot hold, saying which wall, what the run needs, and how to get past it.
 * Returns quietly when it fits (or when the limits cannot be read).
 */
export function checkCapacity(plan: CapacityPlan, limit = openFilesLimit(), ports = ephemeralPorts()): void {
  const perProcess = Math.ceil(plan.sessions / plan.processes) * plan.socketsPerSession + FD_RESERVE;
  if (limit && perProcess > limit.soft) {
    const raise =
      limit.hard > limit.soft
        ? `raise it with \`ulimit -n ${Math.min(limit.hard, perProcess)}\` (hard limit ${limit.hard})${perProcess > limit.hard ? ' and ' : ' or '}`
        : '';
    const perProcessFit = Math.max(1, Math.floor((Math.max(limit.soft, limit.hard) - FD_RESERVE) / plan.socketsPerSession));
    const needProcesses = Math.ceil(plan.sessions / perProcessFit);
    throw new UsageError(
      `${plan.sessions.toLocaleString('en-US')} sessions need about ${perProcess.toLocaleString('en-US')} open files per process but the limit is ${limit.soft.toLocaleString('en-US')}: ` +
        `${raise}spread the run over more processes (--processes ${needProcesses}${plan.socketsPerSession > 1 ? ', with the target in its own processes: mcpload serve' : ''})`,
    );
  }
  if (ports && Math.ceil(plan.sessions / plan.addressPairs) > ports) {
    const needPairs = Math.ceil(plan.sessions / ports);
    throw new UsageError(
      `${plan.sessions.toLocaleString('en-US')} sessions over ${plan.addressPairs} source/target address pair(s) need more than the ${ports.toLocaleString('en-US')} ephemeral ports one pair has: ` +
        `spread them over at least ${needPairs} pairs with more --local-address (e.g. --local-address 127.0.0.2-127.0.0.${1 + needPairs}) or more --url`,
    );
  }
}
