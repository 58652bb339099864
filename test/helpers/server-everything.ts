/**
 * @modelcontextprotocol/server-everything, the MCP project's reference server, from node_modules,
 * bound to 127.0.0.1 by a preload (it has no host option): over Streamable HTTP (its own
 * streamableHttp mode), or over WebSocket as stdio behind supergateway --outputTransport ws.
 * A missing package fails with a line saying what to install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const modulePath = (rel: string) => fileURLToPath(new URL(`../../node_modules/${rel}`, import.meta.url));
const EVERYTHING = modulePath('@modelcontextprotocol/server-everything/dist/index.js');
const SUPERGATEWAY = modulePath('supergateway/dist/index.js');
const PRELOAD = fileURLToPath(new URL('../fixtures/listen-loopback.mjs', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export type EverythingTransport = 'http' | 'ws';

export interface EverythingServer {
  url: string;
  /** What it wrote on stderr so far (for a failing test's message). */
  log(): string;
  /** Sessions it initialized (Streamable HTTP: it logs each id on stdout). */
  sessionIds(): string[];
  /** End every session it holds with a DELETE, as if it had restarted: its answer to their ids is then a 400. */
  forgetSessions(): Promise<void>;
  close(): Promise<void>;
}

function need(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${pkg} is not installed: run \`npm install\` (it is a devDependency of mcpload; or \`npm install -D ${pkg}\`)`);
}

export async function startEverything(transport: EverythingTransport): Promise<EverythingServer> {
  need(EVERYTHING, '@modelcontextprotocol/server-everything');
  let args: string[];
  if (transport === 'http') args = ['--import', PRELOAD, EVERYTHING, 'streamableHttp'];
  else {
    need(SUPERGATEWAY, 'supergateway');
    // supergateway spawns the stdio server through a shell: quote the paths.
    const stdio = `"${process.execPath}" "${EVERYTHING}" stdio`;
    args = ['--import', PRELOAD, SUPERGATEWAY, '--stdio', stdio, '--outputTransport', 'ws', '--port', '0', '--logLevel', 'none'];
  }
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ids: string[] = [];
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    let nl: number;
    while ((nl = stdout.indexOf('\n')) !== -1) {
      const m = /Session initialized with ID: (\S+)/.exec(stdout.slice(0, nl));
      if (m) ids.push(m[1]);
      stdout = stdout.slice(nl + 1);
    }
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server-everything (${transport}) did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /MCPLOAD_LISTENING (\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything (${transport}) exited with ${code} before listening: ${stderr}`));
    });
  });
  const url = transport === 'http' ? `http://127.0.0.1:${port}/mcp` : `ws://127.0.0.1:${port}/message`;
  const forgetSessions = async () => {
    await Promise.all(ids.map((id) => fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id } }).then((r) => r.arrayBuffer())));
  };
  return { url, log: () => stderr, sessionIds: () => [...ids], forgetSessions, close: () => stop(child) };
}

/** SIGTERM (supergateway ends its stdio child on it), SIGKILL if it lingers. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
