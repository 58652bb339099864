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
  /** The built-in target runs in this (the coordinator's) process and holds one socket per session. */
  targetInProcess: boolean;
  /** Target URLs the sessions are spread over. */
  urls: number;
  /** Source addresses given with --local-address (0: the kernel picks address and port). */
  localAddresses: number;
  /** Size of the source port range mcpload binds from when source addresses are given. */
  localPorts: number;
}

/**
 * Refuse a run this machine cannot hold, saying which wall, what the run needs, and how to get past it.
 * Returns quietly when it fits (or when the limits cannot be read).
 */
export function checkCapacity(plan: CapacityPlan, limit = openFilesLimit(), ephemeral = ephemeralPorts()): void {
  // With the built-in target and engines in one process, each session holds both ends.
  const socketsPerSession = plan.targetInProcess && plan.processes === 1 ? 2 : 1;
  const perProcess = Math.ceil(plan.sessions / plan.processes) * socketsPerSession + FD_RESERVE;
  if (limit && plan.targetInProcess && plan.processes > 1 && plan.sessions + FD_RESERVE > limit.soft) {
    throw new UsageError(
      `the built-in target holds all ${plan.sessions.toLocaleString('en-US')} sessions in one process but the open-files limit is ${limit.soft.toLocaleString('en-US')}: ` +
        `run the target on its own (mcpload serve --processes ${Math.ceil(plan.sessions / (limit.soft - FD_RESERVE))}) and give its address with --url`,
    );
  }
  if (limit && perProcess > limit.soft) {
    const raise =
      limit.hard > limit.soft
        ? `raise it with \`ulimit -n ${Math.min(limit.hard, perProcess)}\` (hard limit ${limit.hard})${perProcess > limit.hard ? ' and ' : ' or '}`
        : '';
    const perProcessFit = Math.max(1, Math.floor((Math.max(limit.soft, limit.hard) - FD_RESERVE) / socketsPerSession));
    const needProcesses = Math.ceil(plan.sessions / perProcessFit);
    throw new UsageError(
      `${plan.sessions.toLocaleString('en-US')} sessions need about ${perProcess.toLocaleString('en-US')} open files per process but the limit is ${limit.soft.toLocaleString('en-US')}: ` +
        `${raise}spread the run over more processes (--processes ${needProcesses}${socketsPerSession > 1 ? ', with the target in its own processes: mcpload serve' : ''})`,
    );
  }
  if (plan.localAddresses > 0) {
    // mcpload names the source port: each source address has the configured range, whatever the target.
    const perAddress = Math.ceil(plan.sessions / plan.localAddresses);
    if (perAddress > plan.localPorts) {
      const need = Math.ceil(plan.sessions / plan.localPorts);
      throw new UsageError(
        `${plan.sessions.toLocaleString('en-US')} sessions over ${plan.localAddresses} source address(es) need ${perAddress.toLocaleString('en-US')} ports each but the source port range has ${plan.localPorts.toLocaleString('en-US')}: ` +
          `give at least ${need} --local-address (e.g. --local-address 127.0.0.2-127.0.0.${1 + need})`,
      );
    }
  } else if (ephemeral && Math.ceil(plan.sessions / plan.urls) > ephemeral) {
    const need = Math.ceil(plan.sessions / ephemeral);
    throw new UsageError(
      `${plan.sessions.toLocaleString('en-US')} sessions over ${plan.urls} target URL(s) need more than the ${ephemeral.toLocaleString('en-US')} ephemeral ports one address pair has: ` +
        `spread them over source addresses (e.g. --local-address 127.0.0.2-127.0.0.${1 + need}) or more --url`,
    );
  }
}
