/**
 * CPU time of the calling thread, from /proc/thread-self/stat (Linux). Node 20 has no per-thread CPU
 * clock (process.threadCpuUsage came in Node 23.9) and process.cpuUsage() counts every thread of the
 * process, so an engine reads its own line. Synchronous fs calls run on the calling thread, which is
 * what makes "thread-self" the engine's thread. Once per snapshot interval: the cost does not matter.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond = 0;

function clockTicks(): number {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** Seconds of CPU (user + system) this thread has used, or -1 where /proc does not tell. */
export function threadCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return -1;
  }
}
