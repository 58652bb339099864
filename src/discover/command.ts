/**
 * `mcpload discover URL [--write FILE]`: print what a server offers; write a starter profile.
 * Bad input exits 2, a server that cannot be reached or refuses the handshake 3, one line each.
 */
import { relative, dirname } from 'node:path';
import { DEFAULT_PROTOCOL_VERSION } from '../config/defaults.js';
import { parseHeaders } from '../config/headers.js';
import { parseDuration } from '../config/units.js';
import { profileSchemaPath, parseProfile } from '../config/profile.js';
import { writeOutput } from '../config/outputs.js';
import { EXIT, UsageError, describe } from '../shared/errors.js';
import { checkUrl } from './peer.js';
import { discover } from './catalog.js';
import { renderCatalog } from './print.js';
import { starterProfile } from './starter.js';
import { PROBE_TIMEOUT_MS } from './run.js';

export interface DiscoverArgs {
  url: string;
  write?: string;
  tools?: string[];
  seed?: number;
  header?: string[];
  timeout?: string;
  probeTimeout?: string;
  protocolVersion?: string;
  frameTerminator?: string;
  name?: string;
}

function ms(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const v = parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
  if (v === undefined || v <= 0) throw new UsageError(`--${flag}: "${value}" is not a duration above zero; write it like 500ms or 5s`);
  return v;
}

export async function discoverCommand(a: DiscoverArgs, out: (text: string) => void, err: (line: string) => void): Promise<number> {
  checkUrl(a.url);
  if (a.write !== undefined && /\.json$/i.test(a.write))
    throw new UsageError(`--write: the starter profile is YAML (with comments); name it .yaml (got ${a.write})`);
  const tools = (a.tools ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  const seed = a.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: must be a whole number from 0 (got ${a.seed})`);
  if (a.name !== undefined && !/^[a-z0-9][a-z0-9._-]*$/.test(a.name))
    throw new UsageError(`--name: "${a.name}" is not a profile name; use lowercase letters, digits, '.', '_' and '-'`);
  const timeoutMs = ms('timeout', a.timeout, 10_000);
  const probeTimeoutMs = ms('probe-timeout', a.probeTimeout, PROBE_TIMEOUT_MS);
  const protocolVersion = a.protocolVersion ?? DEFAULT_PROTOCOL_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(protocolVersion))
    throw new UsageError(`--protocol-version: an MCP revision looks like ${DEFAULT_PROTOCOL_VERSION} (got ${protocolVersion})`);
  const frameTerminator = a.frameTerminator === 'none' ? 'none' : 'newline';
  const conn = await discover({ url: a.url, headers: parseHeaders(a.header ?? []), protocolVersion, timeoutMs, frameTerminator });
  try {
    out(renderCatalog(conn.catalog, tools));
    if (!a.write) return EXIT.ok;
    const schemaRef = relative(dirname(a.write), profileSchemaPath()) || profileSchemaPath();
    const starter = await starterProfile(conn, { name: a.name, allowTools: tools, seed, probeTimeoutMs, schemaRef });
    parseProfile(starter.text, a.write); // what we write must load: a failure here is our bug, said in one line
    try {
      writeOutput(a.write, starter.text);
    } catch (e) {
      throw new UsageError(`--write: could not write ${a.write} (${describe(e)})`);
    }
    for (const n of starter.notes) err(`mcpload discover: ${n}`);
    const calls = starter.profile.mix.filter((e) => e.params).length;
    err(
      `mcpload discover: wrote ${a.write} (profile ${starter.profile.name}, ${starter.profile.mix.length} mix entries, ${calls} of them calls); run it with: mcpload --profile ${a.write} --url ${a.url}`,
    );
    return EXIT.ok;
  } finally {
    await conn.peer.close().catch(() => {});
  }
}
