/** Which kernel thread runs the caller: what an engine tells the coordinator so it can keep that thread's priority (main/priority.ts). */
import { readlinkSync } from 'node:fs';

/** A thread as Linux knows it: its process and its own thread id. */
export interface KernelThread {
  pid: number;
  tid: number;
}

/** The calling thread's ids from /proc/thread-self (the link reads `PID/task/TID`); undefined where there is none. */
export function kernelThread(): KernelThread | undefined {
  try {
    const m = /^(?:\/proc\/)?(\d+)\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return m ? { pid: Number(m[1]), tid: Number(m[2]) } : undefined;
  } catch {
    return undefined;
  }
}
