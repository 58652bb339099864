/**
 * The profile template in README's Profiles section is a start people copy: it must validate and, run
 * against the built-in target, be clean (no drops, no errors). Before, it carried a 900 ms read pause and
 * stages to 1,000 clients: copied as is it gave p50 391 ms and 1,490 dropped.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe("README's profile template", () => {
  it('validates and runs clean against the built-in target', async () => {
    const at = readme.indexOf('A starting point (copy it');
    expect(at).toBeGreaterThan(0);
    const yaml = /```yaml\n([^]*?)```/.exec(readme.slice(at))![1];
    expect(yaml).not.toMatch(/slowRead/);
    const dir = mkdtempSync(join(tmpdir(), 'mcpload-template-'));
    const file = join(dir, 'my-profile.yaml');
    writeFileSync(file, yaml);
    const ok = await runCli(['validate', file]);
    expect(ok.code, ok.stderr).toBe(0);
    // Its first seconds, short: the stages ramp from 10 clients.
    const report = join(dir, 'run.json');
    const r = await runCli(['--profile', file, '--duration', '3s', '--workers', '1', '--quiet', '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.requests.sent).toBeGreaterThan(0);
    expect(json.requests.dropped).toBe(0);
    expect(json.requests.failed).toBe(0);
  });
});
