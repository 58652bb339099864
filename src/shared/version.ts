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
