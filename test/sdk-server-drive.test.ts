/**
 * mcpload drives the official MCP SDK McpServer (over the ws adapter in helpers) through the whole
 * run path: engine threads, handshake, the profile's request mix, reports. Zero protocol errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRunOptions, start } from '../src/index.js';
import { startSdkWsServer, type SdkWsServer } from './helpers/sdk-ws-server.js';

let server: SdkWsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('mcpload against the SDK McpServer', () => {
  for (const profile of ['normal', 'high-load', 'low-load']) {
    it(`runs the ${profile} profile with zero errors`, async () => {
      server = await startSdkWsServer();
      const opts = resolveRunOptions({ profile, url: [server.url], clients: 4, rate: 50, duration: '1.5s', workers: 2, quiet: true });
      const { report, exitCode } = await start(opts).result;
      expect(exitCode).toBe(0);
      expect(report.sessions.established).toBe(4);
      expect(report.errors).toEqual({ connect: 0, handshake: 0, timeout: 0, protocol: 0, rpc: 0, tool: 0, closed: 0, lost: 0 });
      expect(report.requests.sent).toBeGreaterThan(100);
      expect(report.requests.ok).toBe(report.requests.sent);
      // Every method of the profile's mix was sent and answered successfully.
      for (const entry of opts.profile.mix) {
        const m = report.methods[entry.method];
        expect(m.sent, entry.method).toBeGreaterThan(0);
        expect(m.ok, entry.method).toBe(m.sent);
      }
    });
  }
});
