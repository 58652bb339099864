/** mcpload's version, read once from package.json; the same relative path works from src/ (tests) and dist/. */
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION = packageVersion();

/**
 * The MCP revisions with initialize that mcpload speaks, newest first: an initialize answer that
 * agrees on any other (except the one asked for with --protocol-version) fails the handshake, as
 * the lifecycle's version negotiation says a client that does not support the server's version should.
 */
export const MCP_REVISIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
