/**
 * @modelcontextprotocol/server-everything (a devDependency) over Streamable HTTP, as a child process
 * bound to 127.0.0.1 (it has no host option: test/fixtures/loopback-listen.mjs forces it) on a port
 * the kernel picks. A missing package fails with a line saying what to install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('../fixtures/loopback-listen.mjs', import.meta.url));

export interface ServerEverything {
  url: string;
  /** Sessions it initialized (it logs each id on stdout). */
  sessionIds(): string[];
  /** End every session it holds with a DELETE, as if it had restarted: its answer to their ids is then a 400. */
  forgetSessions(): Promise<void>;
  close(): Promise<void>;
}

export async function startServerEverything(): Promise<ServerEverything> {
  if (!existsSync(ENTRY)) throw new Error('server-everything is missing: npm install (it is a devDependency: @modelcontextprotocol/server-everything)');
  const child: ChildProcess = spawn(process.execPath, ['--import', PRELOAD, ENTRY, 'streamableHttp'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ids: string[] = [];
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
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
    const timer = setTimeout(() => reject(new Error(`server-everything did not listen within 15 s: ${stderr}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /loopback-listen (\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited (${code}): ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}/mcp`;
  return {
    url,
    sessionIds: () => [...ids],
    forgetSessions: async () => {
      await Promise.all(ids.map((id) => fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id } }).then((r) => r.arrayBuffer())));
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
