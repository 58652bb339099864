/**
 * A preload (`node --require bench/heap-stats.cjs ...`) for memory benches: every thread of every
 * process that loads it (worker threads and forked children inherit --require) writes its V8 heap
 * statistics to $BENCH_HEAP_DIR/<pid>-<threadId>.json once a second, so a bench can split a
 * process's RSS into V8's pages (per isolate) and the rest (malloc, stacks, files) at the same
 * moments it reads /proc/<pid>/smaps. Without BENCH_HEAP_DIR it does nothing. The timer is unref'd.
 */
'use strict';
const dir = process.env.BENCH_HEAP_DIR;
if (dir) {
  const { writeFileSync, renameSync } = require('node:fs');
  const { join } = require('node:path');
  const v8 = require('node:v8');
  const { threadId } = require('node:worker_threads');
  const file = join(dir, `${process.pid}-${threadId}.json`);
  const write = () => {
    try {
      const h = v8.getHeapStatistics();
      const m = process.memoryUsage();
      const body = JSON.stringify({
        pid: process.pid,
        threadId,
        at: Date.now(),
        used: h.used_heap_size,
        total: h.total_heap_size,
        physical: h.total_physical_size,
        malloced: h.malloced_memory,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        spaces: Object.fromEntries(
          v8.getHeapSpaceStatistics().map((x) => [x.space_name, { size: x.space_size, used: x.space_used_size, physical: x.physical_space_size }]),
        ),
      });
      writeFileSync(file + '.tmp', body);
      renameSync(file + '.tmp', file);
    } catch {}
  };
  write();
  setInterval(write, 1000).unref();
}
