/**
 * A server's words reach log lines redacted first and cut after: before, an error body was cut to 200
 * characters and then redacted, so a 500 body echoing the request's headers showed the start of the
 * bearer token and of the cookie (the cut had split them, and the redaction looks for whole values).
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const TOKEN = 'tok3n-9f8e7d6c5b4a39281706';
const COOKIE = 'c00kie-1a2b3c4d5e6f7a8b9c0d';
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

describe('a 500 body that echoes the request headers', () => {
  it('never shows any part of a header value in a log line', async () => {
    // Echoes the headers after 180 characters of padding, so a 200-character cut falls inside the token.
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${'x'.repeat(180)} authorization: ${req.headers.authorization} cookie: ${req.headers.cookie}`);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const r = await runCli([
      '--url',
      `http://127.0.0.1:${port}/mcp`,
      '--profile',
      'low-load',
      '--clients',
      '1',
      '--duration',
      '1s',
      '--quiet',
      '--header',
      `Authorization: Bearer ${TOKEN}`,
      '--header',
      `Cookie: session=${COOKIE}`,
    ]);
    expect(r.stderr).toMatch(/HTTP 500: x{100}/);
    expect(r.stderr).toContain('[redacted]');
    for (const secret of [TOKEN, COOKIE]) {
      expect(r.stderr + r.stdout).not.toContain(secret.slice(0, 8));
    }
  });
});
