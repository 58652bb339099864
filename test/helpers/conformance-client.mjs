#!/usr/bin/env node
/**
 * mcpload as the client of @modelcontextprotocol/conformance's client scenarios:
 *   conformance client --command "node test/helpers/conformance-client.mjs" --scenario tools_call
 * The suite appends the URL of the server it started and names the scenario in MCP_CONFORMANCE_SCENARIO.
 * This runs the built CLI (dist/bin.js) against that URL with one session and a short profile whose
 * mix is what the scenario wants called, and exits with mcpload's exit code. It adds no MCP behaviour
 * of its own: whatever the scenario checks (handshake, SSE resumption, elicitation answers) is mcpload's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';

const call = (name, args = {}) => ({ method: 'tools/call', weight: 1, params: { name, arguments: args } });
/** What each scenario's server wants called; anything else (the auth scenarios) lists tools. */
const MIX = {
  initialize: { method: 'tools/list', weight: 1 },
  tools_call: call('add_numbers', { a: 3, b: 4 }),
  'elicitation-sep1034-client-defaults': call('test_client_elicitation_defaults'),
  'sse-retry': call('test_reconnection'),
};

if (!url || !/^https?:\/\//.test(url)) {
  process.stderr.write(`conformance-client: the last argument must be the server URL, got ${JSON.stringify(url)}\n`);
  process.exit(2);
}
// One session, one request in flight at a time (a due request while one waits is dropped, not sent):
// each scenario server expects its call once or more, never overlapping. The run lasts long enough for
// a slow start on a busy machine.
const profile = {
  name: `conformance-${scenario.replace(/[^a-z0-9-]/gi, '-') || 'unknown'}`,
  clients: 1,
  rate: 1,
  burst: 1,
  maxInFlight: 1,
  timeout: '10s',
  mix: [MIX[scenario] ?? MIX.initialize],
  // A client that declares elicitation answers it: accept, with the requested schema's defaults filled in (SEP-1034).
  ...(scenario.startsWith('elicitation') ? { capabilities: { elicitation: true } } : {}),
};
const dir = mkdtempSync(join(tmpdir(), 'mcpload-conformance-client-'));
const file = join(dir, 'profile.json');
writeFileSync(file, JSON.stringify(profile));
const args = [
  BIN,
  '--url',
  url,
  '--profile',
  file,
  '--duration',
  scenario.startsWith('auth/') ? '1s' : '3s',
  '--drain-timeout',
  '10s',
  '--workers',
  '1',
  '--metrics-port',
  '0',
  '--quiet',
  // The scenario's server sends its elicitation/create unrelated to the call: on the GET stream.
  ...(scenario.startsWith('elicitation') ? ['--http-get-stream'] : []),
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
