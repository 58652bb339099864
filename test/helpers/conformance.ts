/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, a devDependency) as a child
 * process: Node 20 needs conformance-shim.mjs (fs.globSync) to load it. Results are read from the
 * checks.json files it writes per scenario; a scenario passes when no check says FAILURE.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CONFORMANCE_CLI = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
export const CONFORMANCE_SHIM = join(ROOT, 'test/helpers/conformance-shim.mjs');
/** The --command the suite runs for client scenarios: mcpload, with the scenario's server URL appended. */
export const CONFORMANCE_CLIENT = join(ROOT, 'test/helpers/conformance-client.mjs');

export function requireConformance(): void {
  if (!existsSync(CONFORMANCE_CLI)) throw new Error('@modelcontextprotocol/conformance is missing: run `npm ci` (it is a devDependency)');
}

/**
 * The client scenarios' servers listen on every interface: they run in a private network namespace
 * (unprivileged, `unshare -rn`) whose loopback is brought up first, so nothing is reachable from outside.
 */
const IN_PRIVATE_NETWORK = ['unshare', '-rn', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'];

/** Fails with what to install when a private network namespace cannot be made here. */
export async function requirePrivateNetwork(): Promise<void> {
  const probe = await run(IN_PRIVATE_NETWORK[0], [...IN_PRIVATE_NETWORK.slice(1), 'true'], 10_000);
  if (probe.code !== 0) {
    throw new Error(
      `client scenarios run in a private network namespace: install util-linux (unshare) and iproute2 (ip), and allow user namespaces (${probe.output.trim()})`,
    );
  }
}

/** `node --import shim conformance …args`, in a private network namespace if asked; resolves with its output whatever its exit code. */
export function runConformance(args: string[], timeoutMs: number, privateNetwork = false): Promise<{ code: number | null; output: string }> {
  const node = [process.execPath, '--import', CONFORMANCE_SHIM, CONFORMANCE_CLI, ...args];
  const argv = privateNetwork ? [...IN_PRIVATE_NETWORK, ...node] : node;
  return run(argv[0], argv.slice(1), timeoutMs);
}

function run(command: string, argv: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The scenario names `conformance list --server` (or `--client`) prints. */
export async function listScenarios(side: 'server' | 'client'): Promise<string[]> {
  const { output } = await runConformance(['list', `--${side}`], 30_000);
  return [...output.matchAll(/^ {2}- (\S+) \[/gm)].map((m) => m[1]);
}

export interface ConformanceCheck {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

export function resultsDir(): string {
  return mkdtempSync(join(tmpdir(), 'mcpload-conformance-'));
}

/**
 * Each scenario's checks from an output directory: the suite writes `<prefix><scenario>-<timestamp>/checks.json`
 * (prefix `server-` for server scenarios; auth scenarios nest one directory deeper, `auth/...`).
 */
export function readResults(dir: string, prefix: string): Map<string, ConformanceCheck[]> {
  const results = new Map<string, ConformanceCheck[]>();
  const stamp = /-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = String(entry).split('\\').join('/');
    if (!path.endsWith('/checks.json')) continue;
    const scenario = path.slice(0, -'/checks.json'.length).replace(stamp, '');
    const name = scenario.startsWith(prefix) ? scenario.slice(prefix.length) : scenario;
    results.set(name, JSON.parse(readFileSync(join(dir, path), 'utf8')) as ConformanceCheck[]);
  }
  return results;
}

/** The checks that failed or warned (a warning is a SHOULD not met: priming events, retry, resumption). */
export function failures(checks: ConformanceCheck[]): string[] {
  return checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.id} ${c.status}: ${c.errorMessage ?? ''}`);
}

/** README's "Conformance" table: `| server | scenario | why |` rows, the exceptions a side is allowed (`auth/*` covers a family). */
export function readmeExceptions(side: 'server' | 'client'): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| (server|client) \| `([^`]+)` \| (.+) \|$/gm)];
  return new Map(rows.filter((r) => r[1] === side).map((r) => [r[2], r[3]]));
}

function covers(exception: string, scenario: string): boolean {
  return exception.endsWith('/*') ? scenario.startsWith(exception.slice(0, -1)) : exception === scenario;
}

/**
 * Scenario verdicts (what failed, empty = passed) against README's exceptions: the scenarios that failed
 * without an exception, and the exceptions no failing scenario needs any more (stale: README must drop them).
 */
export function judge(verdicts: Record<string, string[]>, exceptions: Map<string, string>): { unexpected: Record<string, string[]>; stale: string[] } {
  const excepted = (s: string) => [...exceptions.keys()].some((e) => covers(e, s));
  const unexpected = Object.fromEntries(Object.entries(verdicts).filter(([s, failed]) => failed.length > 0 && !excepted(s)));
  const stale = [...exceptions.keys()].filter((e) => !Object.entries(verdicts).some(([s, failed]) => failed.length > 0 && covers(e, s)));
  return { unexpected, stale };
}
