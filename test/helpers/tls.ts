/**
 * A wss:// MCP server on 127.0.0.1 with a self-signed certificate made for the test by the
 * `openssl` CLI, in a temporary directory. It answers `initialize` and every request, and records
 * the upgrade headers it saw (to check that secrets are sent, and sent only to the server).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SelfSigned {
  dir: string;
  certFile: string;
  keyFile: string;
}

/** A self-signed certificate for 127.0.0.1 (an EC key, quick to make), valid for one day. */
export function selfSigned(name = 'server'): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), `mcpload-tls-${name}-`));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { dir, certFile, keyFile };
}

export interface WssServer {
  url: string;
  /** Upgrade headers of every connection, in order. */
  readonly headers: IncomingHttpHeaders[];
  readonly stats: { sessions: number; requests: number };
  close(): Promise<void>;
}

export async function startWssServer(cert: SelfSigned): Promise<WssServer> {
  const headers: IncomingHttpHeaders[] = [];
  const stats = { sessions: 0, requests: 0 };
  const sockets = new Set<WebSocket>();
  const https: Server = createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) });
  // A client that refuses the certificate resets the TLS handshake: not this server's problem.
  https.on('tlsClientError', () => {});
  const wss = new WebSocketServer({ server: https, perMessageDeflate: false, handleProtocols: (p) => (p.has('mcp') ? 'mcp' : false) });
  wss.on('connection', (socket, req) => {
    headers.push(req.headers);
    sockets.add(socket);
    stats.sessions++;
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        const msg = JSON.parse(line) as { id?: unknown; method?: string; params?: { protocolVersion?: string } };
        if (msg.id === undefined) continue;
        stats.requests++;
        const result =
          msg.method === 'initialize'
            ? { protocolVersion: msg.params?.protocolVersion ?? '2025-11-25', capabilities: {}, serverInfo: { name: 'wss-test', version: '0' } }
            : {};
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }) + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const port = (https.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    url: `wss://127.0.0.1:${port}/mcp/ws`,
    headers,
    stats,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close();
        https.close(() => resolve());
        https.closeAllConnections();
      })),
  };
}
