/**
 * Bad input (issue 6), table-driven over the CLI: every case exits 2 with exactly one line on stderr
 * that names what is wrong and how to fix it, never a stack trace. (test/cli.test.ts has the first 14
 * cases, three of them through the real binary; these are the rest, through the same main() in this
 * process, as bin.js calls it: a process each cost a second of CPU, for input that never reaches a run.) An
 * unreachable target is not bad input: exit 3.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runMain } from './helpers/cli.js';
import { deadPort } from './helpers/raw-servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpload-bad-input-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const aDirectory = join(dir, 'a-directory');
mkdirSync(aDirectory);

const PROFILE = 'name: x\nclients: 1\nrate: 1\nmix:\n  - method: ping\n';
const files = {
  malformedYaml: file('malformed.yaml', 'name: x\nclients: [1, 2\n'),
  malformedJson: file('malformed.json', '{"name": "x",'),
  empty: file('empty.yaml', ''),
  negativeClients: file('negative.yaml', PROFILE.replace('clients: 1', 'clients: -1')),
  unknownField: file('unknown.yaml', PROFILE + 'retries: 3\n'),
  missingParams: file('params.yaml', PROFILE.replace('method: ping', 'method: tools/call')),
  badStage: file('stage.yaml', PROFILE + 'stages:\n  - duration: soon\n    clients: 5\n'),
  notPem: file('not.pem', 'this is not a certificate\n'),
};

// A port something already listens on, for --metrics-port.
let busy: Server;
let busyPort = 0;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

interface Case {
  name: string;
  args: () => string[];
  env?: Record<string, string>;
  /** What the one line must say (the problem, and where possible the fix). */
  says: RegExp;
}

const cases: Case[] = [
  // Profile files
  { name: 'malformed YAML', args: () => ['--profile', files.malformedYaml], says: /malformed\.yaml: not valid YAML at line \d+/ },
  { name: 'malformed JSON', args: () => ['--profile', files.malformedJson], says: /malformed\.json: not valid JSON/ },
  { name: 'empty profile file', args: () => ['--profile', files.empty], says: /must be a mapping of fields \(name, clients, rate, mix/ },
  { name: 'schema: negative clients', args: () => ['--profile', files.negativeClients], says: /clients: must be >= 1 \(got -1\)/ },
  { name: 'schema: unknown field', args: () => ['--profile', files.unknownField], says: /unknown field "retries" \(known fields: / },
  {
    name: 'schema: tools/call without params',
    args: () => ['--profile', files.missingParams],
    says: /mix\[0\]\.params: tools\/call needs params\.name, e\.g\./,
  },
  { name: 'schema: stage duration', args: () => ['--profile', files.badStage], says: /stages\[0\]\.duration: must be .*a duration like/ },
  { name: 'unreadable profile (a directory)', args: () => ['--profile', aDirectory], says: /cannot read profile file .*it is a directory/ },
  { name: 'validate: malformed YAML', args: () => ['validate', files.malformedYaml], says: /not valid YAML/ },
  // Numbers
  { name: 'absurd clients', args: () => ['--clients', '1e9'], says: /--clients: must be a whole number from 1 to 1,000,000 \(got 1000000000\)/ },
  { name: 'fractional clients', args: () => ['--clients', '2.5'], says: /--clients: must be a whole number/ },
  { name: 'absurd rate', args: () => ['--rate', '1e12'], says: /--rate: at most 1,000,000 requests per second per client .*add --clients/ },
  { name: 'rate not a number', args: () => ['--rate', 'lots'], says: /--rate: requests per second per client must be above 0 \(got NaN\)/ },
  { name: 'negative duration', args: () => ['--duration=-5s'], says: /--duration: "-5s" is not a duration; write it like/ },
  { name: 'zero timeout', args: () => ['--timeout', '0'], says: /--timeout: "0" is not a duration above zero/ },
  { name: 'zero workers', args: () => ['--workers', '0'], says: /--workers: must be a whole number from 1 to/ },
  { name: 'negative connect rate', args: () => ['--connect-rate', '-1'], says: /--connect-rate: .* 0 \(no limit\) or more/ },
  { name: 'drain timeout not a duration', args: () => ['--drain-timeout', 'forever'], says: /--drain-timeout: "forever" is not a duration/ },
  { name: 'absurd drain timeout', args: () => ['--drain-timeout', '2h'], says: /--drain-timeout: at most 10m/ },
  {
    name: 'more clients than the open-files limit allows',
    args: () => ['--clients', '1000000'],
    says: /open files per process but the limit is .*--processes/,
  },
  // URLs and addresses
  { name: 'URL without a host', args: () => ['--url', 'ws://'], says: /--url: "ws:\/\/" is not a URL; write it like ws:\/\// },
  { name: 'URL port out of range', args: () => ['--url', 'ws://127.0.0.1:99999/mcp/ws'], says: /--url: .* is not a URL/ },
  { name: 'URL with an ftp scheme', args: () => ['--url', 'ftp://127.0.0.1/x'], says: /has scheme ftp; .*use ws:\/\/ or wss:\/\// },
  {
    name: 'transport that contradicts the URL',
    args: () => ['--transport', 'ws', '--url', 'http://127.0.0.1:1/mcp'],
    says: /--transport ws does not match --url http:\/\/127\.0\.0\.1:1\/mcp: give ws:\/\/ or wss:\/\/ URLs/,
  },
  {
    name: 'ws and http URLs mixed',
    args: () => ['--url', 'ws://127.0.0.1:1/mcp/ws', '--url', 'http://127.0.0.1:1/mcp'],
    says: /a run speaks one transport; give only ws\(s\):\/\/ URLs or only http\(s\):\/\/ URLs/,
  },
  { name: 'backwards local address range', args: () => ['--local-address', '127.0.0.9-127.0.0.2'], says: /--local-address: range .* must go up/ },
  // Ports and files
  { name: 'metrics port out of range', args: () => ['--metrics-port', '70000'], says: /--metrics-port: must be a port number from 1 to 65535, or 0/ },
  {
    name: 'metrics port in use',
    args: () => ['--metrics-port', String(busyPort), '--metrics-host', '127.0.0.1'],
    says: /--metrics-port: 127\.0\.0\.1:\d+ is already in use; pick a free port/,
  },
  { name: 'metrics host not an address', args: () => ['--metrics-host', 'not a host!'], says: /--metrics-host: .* is not an address or host name/ },
  {
    name: 'report in a missing directory',
    args: () => ['--report', join(dir, 'nope', 'r.json')],
    says: /--report: cannot write .* does not exist or is not writable; create it/,
  },
  { name: 'report path is a directory', args: () => ['--report', aDirectory], says: /--report: .* is a directory; give a file name/ },
  { name: 'html in a missing directory', args: () => ['--html', join(dir, 'nope', 'r.html')], says: /--html: cannot write/ },
  { name: '--ca file missing', args: () => ['--ca', join(dir, 'missing.pem')], says: /--ca: cannot read .* \(no such file\); give the PEM file/ },
  { name: '--ca unreadable (a directory)', args: () => ['--ca', aDirectory], says: /--ca: cannot read .* \(it is a directory\)/ },
  { name: '--ca not a certificate', args: () => ['--ca', files.notPem], says: /--ca: .* holds no PEM certificate/ },
  { name: 'conflicting --ca and --insecure', args: () => ['--ca', files.notPem, '--insecure'], says: /--ca and --insecure contradict each other/ },
  { name: 'merge: missing report file', args: () => ['merge', join(dir, 'nope.json')], says: /nope\.json: no such file/ },
  // The environment (Swarm replicas are configured by it)
  { name: 'MCPLOAD_CLIENTS negative', args: () => [], env: { MCPLOAD_CLIENTS: '-3' }, says: /--clients: must be a whole number/ },
  { name: 'legacy CLIENT_COUNT not a number', args: () => [], env: { CLIENT_COUNT: 'many' }, says: /--clients: must be a whole number/ },
  { name: 'MCPLOAD_DRAIN_TIMEOUT not a duration', args: () => [], env: { MCPLOAD_DRAIN_TIMEOUT: 'soon' }, says: /--drain-timeout: "soon" is not a duration/ },
  {
    name: 'MCPLOAD_* variable that is no option',
    args: () => [],
    env: { MCPLOAD_CLINETS: '5' },
    says: /environment variable MCPLOAD_CLINETS is not an mcpload option/,
  },
  {
    name: 'MCPLOAD_QUIET not a yes/no value',
    args: () => [],
    env: { MCPLOAD_QUIET: 'loud' },
    says: /environment variable MCPLOAD_QUIET: "loud" is not a yes\/no value; write true or false/,
  },
  { name: '--spin=<not a yes/no value>', args: () => ['--spin=maybe'], says: /--spin: "maybe" is not a yes\/no value; write true or false/ },
];

describe('bad input: exit 2, one line saying what and how to fix it', () => {
  it('has at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));
  for (const c of cases) {
    it(c.name, { timeout: 30_000 }, async () => {
      const args = c.args();
      // Bounded in case the input were (wrongly) accepted: a short run against the built-in target.
      const command = ['merge', 'validate'].includes(args[0]);
      const run = command ? args : [...args, ...(args.some((a) => a.startsWith('--duration')) ? [] : ['--duration', '1s']), '--quiet'];
      const r = await runMain(run, { env: c.env });
      const lines = r.stderr.trim().split('\n');
      expect(r.code, r.stderr).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^mcpload: /);
      expect(lines[0]).toMatch(c.says);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
});

describe('not bad input', () => {
  it('an unreachable target is "could not start": exit 3, with the report, not 2', { timeout: 30_000 }, async () => {
    const dead = await deadPort();
    const r = await runCli(['--url', dead.url, '--clients', '2', '--duration', '1s', '--quiet', '--log-level', 'silent']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/ERROR BREAKDOWN[\s\S]*connect\s+[1-9]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
