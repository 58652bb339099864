/**
 * What a server offers: the handshake (initialize, notifications/initialized), then tools (with
 * annotations), resources, resource templates and prompts, each list followed through `nextCursor`.
 * The list calls go through a bottleneck limiter: a few at once, never a burst at someone's server.
 */
import Bottleneck from 'bottleneck';
import { StartError, describe } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { checkUrl, type Answer, type Peer, type PeerOptions } from './peer.js';
import { WsPeer } from './ws-peer.js';
import { HttpPeer } from './http-peer.js';

/** A tool as tools/list describes it. */
export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean; title?: string };
}
export interface Resource {
  uri: string;
  name?: string;
  mimeType?: string;
}
export interface ResourceTemplate {
  uriTemplate: string;
  name?: string;
}
export interface Prompt {
  name: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
}

export interface Catalog {
  url: string;
  server: { name: string; version: string };
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  tools: Tool[];
  resources: Resource[];
  templates: ResourceTemplate[];
  prompts: Prompt[];
  /** What went wrong on the way (a list answered with an error, a page limit hit), one line each. */
  problems: string[];
}

/** A list longer than this many pages is cut (a server whose cursor never ends). */
export const MAX_PAGES = 100;

export interface Connection {
  peer: Peer;
  catalog: Catalog;
  limiter: Bottleneck;
}

export interface ConnectOptions extends PeerOptions {
  protocolVersion: string;
  timeoutMs: number;
}

/** Connect, shake hands and list everything. The caller closes `peer` (and may probe with it first). */
export async function discover(o: ConnectOptions): Promise<Connection> {
  const u = checkUrl(o.url);
  const peer: Peer = u.protocol === 'ws:' || u.protocol === 'wss:' ? await WsPeer.open(o) : new HttpPeer(o);
  try {
    const init = await peer
      .request('initialize', { protocolVersion: o.protocolVersion, capabilities: {}, clientInfo: { name: 'mcpload', version: VERSION } }, o.timeoutMs)
      .catch((err: unknown) => {
        throw err instanceof StartError ? err : new StartError(`initialize at ${o.url} failed: ${describe(err)}`);
      });
    if (init.error) throw new StartError(`initialize at ${o.url} was refused: ${init.error.code} ${init.error.message}`);
    const r = init.result ?? {};
    const protocolVersion = typeof r.protocolVersion === 'string' ? r.protocolVersion : o.protocolVersion;
    peer.setProtocolVersion(protocolVersion);
    await peer.notify('notifications/initialized');
    const info = (r.serverInfo ?? {}) as { name?: unknown; version?: unknown };
    const capabilities = (r.capabilities ?? {}) as Record<string, unknown>;
    const catalog: Catalog = {
      url: o.url,
      server: { name: typeof info.name === 'string' ? info.name : 'unnamed', version: typeof info.version === 'string' ? info.version : '' },
      protocolVersion,
      capabilities,
      tools: [],
      resources: [],
      templates: [],
      prompts: [],
      problems: [],
    };
    const limiter = new Bottleneck({ maxConcurrent: 4 });
    const list = <T>(method: string, key: string, into: T[]) => limiter.schedule(() => listAll(peer, method, key, into, catalog.problems, o.timeoutMs));
    await Promise.all([
      capabilities.tools ? list('tools/list', 'tools', catalog.tools) : undefined,
      capabilities.resources ? list('resources/list', 'resources', catalog.resources) : undefined,
      capabilities.resources ? list('resources/templates/list', 'resourceTemplates', catalog.templates) : undefined,
      capabilities.prompts ? list('prompts/list', 'prompts', catalog.prompts) : undefined,
    ]);
    return { peer, catalog, limiter };
  } catch (err) {
    await peer.close().catch(() => {});
    throw err;
  }
}

/** One list method, page after page, into `into`; a failure becomes a problem line, not an exception. */
async function listAll<T>(peer: Peer, method: string, key: string, into: T[], problems: string[], timeoutMs: number): Promise<void> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let answer: Answer;
    try {
      answer = await peer.request(method, cursor === undefined ? undefined : { cursor }, timeoutMs);
    } catch (err) {
      problems.push(`${method}: ${describe(err)}`);
      return;
    }
    if (answer.error) {
      problems.push(`${method}: error ${answer.error.code} ${answer.error.message}`);
      return;
    }
    const items = answer.result?.[key];
    if (Array.isArray(items)) into.push(...(items.filter((i) => i !== null && typeof i === 'object') as T[]));
    const next = answer.result?.nextCursor;
    if (typeof next !== 'string' || next === '') return;
    cursor = next;
  }
  problems.push(`${method}: stopped after ${MAX_PAGES} pages (the server's nextCursor never ended)`);
}
