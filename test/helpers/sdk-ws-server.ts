/**
 * The official SDK McpServer served over WebSocket, so mcpload can be tested against the real SDK.
 *
 * The SDK ships no WebSocket server transport, so WebSocketServerTransport adapts one server-side
 * `ws` socket to the SDK Transport interface. Each connection gets its own McpServer registering
 * the same surface as the reference target (src/reference-server/handlers.ts): tool `echo`, resources
 * mcpload://resources/1..10, prompt `greeting`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import WebSocket, { WebSocketServer } from 'ws';
import { z } from 'zod';

export interface WebSocketServerTransportOptions {
  /** End every frame sent with `\n` (erlmcp style, the default) or send bare JSON (SDK client style). */
  frameTerminator?: '\n' | '';
}

/** The SDK Transport around one accepted ws socket. */
export class WebSocketServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly terminator: string;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    opts: WebSocketServerTransportOptions = {},
  ) {
    this.terminator = opts.frameTerminator ?? '\n';
  }

  async start(): Promise<void> {
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.onerror?.(new Error('binary frame received; MCP over WebSocket uses text frames'));
        return;
      }
      // A frame may hold several newline-delimited messages, and may or may not end with `\n`.
      for (const line of (data as Buffer).toString().split('\n')) {
        if (line.trim() === '') continue;
        let message: JSONRPCMessage;
        try {
          message = JSONRPCMessageSchema.parse(JSON.parse(line));
        } catch (error) {
          this.onerror?.(error as Error);
          continue;
        }
        this.onmessage?.(message);
      }
    });
    this.socket.on('error', (error) => this.onerror?.(error));
    this.socket.on('close', () => this.closeOnce());
    if (this.socket.readyState !== WebSocket.OPEN) this.closeOnce();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== WebSocket.OPEN) {
        reject(new Error('Not connected'));
        return;
      }
      this.socket.send(JSON.stringify(message) + this.terminator, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.socket.close();
    this.closeOnce();
  }

  private closeOnce(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}

const RESOURCE_COUNT = 10;

/** A McpServer with the same tools, resources and prompts as the reference target. */
export function createSdkMcpServer(): McpServer {
  const server = new McpServer({ name: 'sdk-target', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the text it is given.', inputSchema: { text: z.string().describe('Text to echo back') } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  for (let n = 1; n <= RESOURCE_COUNT; n++) {
    const uri = `mcpload://resources/${n}`;
    server.registerResource(`resource-${n}`, uri, { mimeType: 'text/plain' }, async () => ({
      contents: [{ uri, mimeType: 'text/plain', text: `resource ${n}` }],
    }));
  }
  server.registerPrompt('greeting', { description: 'A greeting for someone.', argsSchema: { name: z.string().describe('Who to greet') } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}` } }],
  }));
  return server;
}

export interface SdkWsServer {
  url: string;
  close(): Promise<void>;
  /** Open WebSocket sessions. */
  sessions(): number;
}

/** `register`: more tools, resources or prompts on each session's McpServer (test/flows.test.ts). */
export async function startSdkWsServer(
  opts: { path?: string; frameTerminator?: '\n' | ''; register?: (server: McpServer) => void } = {},
): Promise<SdkWsServer> {
  const path = opts.path ?? '/mcp/ws';
  const sockets = new Set<WebSocket>();
  const http = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mcp') ? 'mcp' : false),
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '/').split('?')[0] !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => {});
      // One McpServer per session: an SDK Server object serves exactly one transport.
      const server = createSdkMcpServer();
      opts.register?.(server);
      void server.connect(new WebSocketServerTransport(ws, { frameTerminator: opts.frameTerminator }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}${path}`,
    sessions: () => sockets.size,
    close: () =>
      (closing ??= (async () => {
        for (const ws of sockets) ws.terminate();
        sockets.clear();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })()),
  };
}
