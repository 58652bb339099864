/** Threads and child processes of a running process, read from Linux /proc (the tests of src/main/priority.ts). */
import { readFileSync, readdirSync } from 'node:fs';

export interface Thread {
  pid: number;
  tid: number;
  nice: number;
}

/** A thread's nice: field 19 of /proc/PID/task/TID/stat, the 17th after the command's ')'. */
export function niceOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** Every thread of `pid` with its nice; one that ends between the listing and the read is left out. */
export function threadsOf(pid: number): Thread[] {
  const out: Thread[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      out.push({ pid, tid, nice: niceOf(pid, tid) });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** The direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
