/**
 * vitest globalSetup: fail at once when dist/ is older than src/. Engine threads and child processes
 * run the build in dist/ while the tests import src/, so a bare `npx vitest` after an edit would test
 * stale engines without a word. `npm test` builds first, and CI always does: not checked there.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time of a file under `dir` (0: no files, or no such folder). */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  if (process.env.CI || process.env.npm_lifecycle_event === 'test') return;
  const built = newestMtimeMs(join(ROOT, 'dist'));
  if (built >= newestMtimeMs(join(ROOT, 'src'))) return;
  process.stderr.write('dist/ is older than src/: run npm run build (npm test does)\n');
  process.exit(1);
}
