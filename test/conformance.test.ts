/**
 * The official MCP conformance suite's server scenarios (every one, pending included) against
 * `mcpload serve --fixtures` over Streamable HTTP on 127.0.0.1. Each must pass (no FAILURE check),
 * except the ones README's "Conformance" table lists for the server side, with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { failures, listScenarios, readmeExceptions, readResults, requireConformance, resultsDir, runConformance } from './helpers/conformance.js';
import { startServe, type Serve } from './helpers/serve.js';

let serve: Serve | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

describe('@modelcontextprotocol/conformance server scenarios', () => {
  it('all pass against `mcpload serve --fixtures`, but those README excepts', { timeout: 240_000 }, async () => {
    requireConformance();
    const scenarios = await listScenarios('server');
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    serve = await startServe(['--fixtures']);
    const dir = resultsDir();
    const run = await runConformance(['server', '--url', serve.httpUrl, '--suite', 'all', '-o', dir], 200_000);
    const results = readResults(dir, 'server-');
    const excepted = readmeExceptions('server');
    const verdicts = Object.fromEntries(
      scenarios.map((s) => {
        const checks = results.get(s);
        if (!checks) return [s, ['did not run: ' + run.output.slice(-400)]];
        return [s, failures(checks)];
      }),
    );
    const unexpected = Object.fromEntries(Object.entries(verdicts).filter(([s, failed]) => failed.length > 0 && !excepted.has(s)));
    expect(unexpected).toEqual({});
    // An exception that passes now is stale: README must drop it.
    const stale = [...excepted.keys()].filter((s) => verdicts[s]?.length === 0);
    expect(stale).toEqual([]);
  });
});
