/**
 * The official MCP conformance suite, both ways. Server scenarios (every one, pending included) against
 * `mcpload serve --fixtures` over Streamable HTTP on 127.0.0.1: each must pass with no failed check and
 * no warning (the suite warns for SHOULDs: priming events, `retry`, resumption).
 * Client scenarios with mcpload as the client (test/helpers/conformance-client.mjs), each in a private
 * network namespace: each must pass as the suite judges it (exit 0: no failure, no warning, mcpload
 * exit 0). Except, on either side, the scenarios README's "Conformance" table lists with the reason;
 * an exception that passes is stale and fails the test too.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONFORMANCE_CLIENT,
  failures,
  judge,
  listScenarios,
  readmeExceptions,
  readResults,
  requireConformance,
  requirePrivateNetwork,
  resultsDir,
  runConformance,
} from './helpers/conformance.js';
import { startServe, type Serve } from './helpers/serve.js';

let serve: Serve | undefined;
let dir: string | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('@modelcontextprotocol/conformance server scenarios', () => {
  it('all pass against `mcpload serve --fixtures`, but those README excepts', { timeout: 240_000 }, async () => {
    requireConformance();
    const scenarios = await listScenarios('server');
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    serve = await startServe(['--fixtures']);
    dir = resultsDir();
    const run = await runConformance(['server', '--url', serve.httpUrl, '--suite', 'all', '-o', dir], 200_000);
    const results = readResults(dir, 'server-');

    const verdicts = Object.fromEntries(
      scenarios.map((s) => {
        const checks = results.get(s);
        if (!checks) return [s, ['did not run: ' + run.output.slice(-400)]];
        return [s, failures(checks)];
      }),
    );
    const { unexpected, stale } = judge(verdicts, readmeExceptions('server'));
    expect(unexpected).toEqual({});
    // An exception that passes now is stale: README must drop it.
    expect(stale).toEqual([]);
  });
});

/** Runs `task` over `items`, `width` at a time (each client scenario starts the suite and mcpload; the machine has two cores). */
async function inBatches<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  return out;
}

describe('@modelcontextprotocol/conformance client scenarios', () => {
  it('all pass with mcpload as the client, but those README excepts', { timeout: 400_000 }, async () => {
    requireConformance();
    await requirePrivateNetwork();
    const scenarios = await listScenarios('client');
    expect(scenarios.length).toBeGreaterThanOrEqual(4);
    const out = (dir = resultsDir());
    const command = `${process.execPath} ${CONFORMANCE_CLIENT}`;
    const verdicts = Object.fromEntries(
      await inBatches(scenarios, 3, async (s) => {
        const run = await runConformance(['client', '--command', command, '--scenario', s, '--timeout', '30000', '-o', out], 60_000, true);
        const checks = readResults(out, '').get(s);
        const failed = checks ? failures(checks) : [];
        if (run.code !== 0 && failed.length === 0) failed.push(`exit ${run.code}: ${run.output.slice(-300)}`);
        return [s, failed] as const;
      }),
    );
    const { unexpected, stale } = judge(verdicts, readmeExceptions('client'));
    expect(unexpected).toEqual({});
    expect(stale).toEqual([]);
  });
});
