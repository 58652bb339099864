/** `mcpload serve` as a real process (the built CLI) on a free port, and raw HTTP to it with any Host. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { BIN } from './cli.js';
import { until } from './engine-run.js';

export interface Serve {
  child: ChildProcess;
  /** ws://127.0.0.1:PORT/mcp/ws */
  wsUrl: string;
  /** http://127.0.0.1:PORT/mcp */
  httpUrl: string;
  /** Stops it (SIGTERM, by PID) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** `limitMs`: how long it may take to listen (a busy machine starts processes slowly). */
export async function startServe(args: string[] = [], limitMs = 10_000): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await until(() => /listening on .*http:\/\/[^ ,)]+/.test(stderr) || child.exitCode !== null, limitMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (child.exitCode !== null) throw new Error(`mcpload serve exited with ${child.exitCode}: ${stderr}`);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
    await exited;
  };
  return { child, wsUrl: /(ws:\/\/[^ ,)]+)/.exec(stderr)![1], httpUrl: /(http:\/\/[^ ,)]+)/.exec(stderr)![1], stop };
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP request through node:http, which (unlike fetch) lets a test set Host. */
export function rawRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export function initializeBody(id = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcpload-test', version: '1' } },
  });
}
