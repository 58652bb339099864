/**
 * `mcpload discover --write FILE`: a starter profile whose mix calls what the server offers, as
 * ordinary entries (concrete params the user can read and edit), each target probed once. The
 * numbers are a gentle start (5 sessions x 5 req/s); tools left out are listed with the reason.
 */
import type { MixEntry, Profile } from '../shared/types.js';
import type { Connection } from './catalog.js';
import { toolVerdict } from './policy.js';
import { resolveMix } from './resolve.js';

export interface StarterOptions {
  name?: string;
  allowTools: readonly string[];
  seed: number;
  probeTimeoutMs: number;
  /** Relative path or URL of schema/profile.schema.json, for editors. */
  schemaRef: string;
}

/** Weight of each written entry, by method: calls more than lists. */
const WEIGHT: Record<string, number> = { 'tools/call': 10, 'resources/read': 5, 'prompts/get': 5 };
const LIST_WEIGHT = 2;

/** A profile name from the server's name: lowercase, [a-z0-9._-]. */
export function profileName(serverName: string): string {
  const n = serverName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  return (n || 'discovered').slice(0, 100);
}

export async function starterProfile(conn: Connection, o: StarterOptions): Promise<{ text: string; profile: Profile; notes: string[] }> {
  const c = conn.catalog;
  const notes: string[] = [];
  const base: Profile = {
    name: o.name ?? profileName(c.server.name),
    clients: 5,
    rate: 5,
    burst: 1,
    messageSize: 0,
    timeoutMs: 10_000,
    sessionTtlMs: 0,
    maxInFlight: 16,
    mix: Object.keys(WEIGHT).map((method): MixEntry => ({ method, weight: 1, discover: 'all' })),
    reconnect: { initialDelayMs: 100, maxDelayMs: 10_000, maxAttempts: 0 },
    stages: [],
  };
  const resolved = await resolveMix(base, conn, { allowTools: o.allowTools, seed: o.seed, probeTimeoutMs: o.probeTimeoutMs, note: (l) => notes.push(l) });
  const allow = new Set(o.allowTools);
  const mix = resolved.mix.map((e) => ({ ...e, weight: WEIGHT[e.method] ?? LIST_WEIGHT }));
  const lists = (['tools', 'resources', 'prompts'] as const).filter((k) => c.capabilities[k]).map((k) => `${k}/list`);
  for (const m of lists) if (!mix.some((e) => e.method === m)) mix.push({ method: m, weight: LIST_WEIGHT });
  const profile = { ...resolved, mix };
  const lines = [
    `# Written by \`mcpload discover ${c.url}\` from ${c.server.name} ${c.server.version} (protocol ${c.protocolVersion}).`,
    '# Tools called: only those annotated readOnlyHint: true or named with --tools (never a destructiveHint one',
    '# unless named), each with arguments sampled from its inputSchema and probed once. Edit freely.',
    `# yaml-language-server: $schema=${o.schemaRef}`,
    `name: ${profile.name}`,
    `description: ${JSON.stringify(`Starter profile for ${c.server.name} (mcpload discover)`)}`,
    `clients: ${profile.clients}`,
    `rate: ${profile.rate}            # requests/s per client`,
    `burst: ${profile.burst}`,
    `timeout: 10s`,
    `maxInFlight: ${profile.maxInFlight}`,
  ];
  if (o.allowTools.length || o.seed !== 1) {
    lines.push('discovery:', `  seed: ${o.seed}`);
    if (o.allowTools.length) lines.push(`  tools: ${JSON.stringify(o.allowTools)}`);
  }
  lines.push('mix:');
  for (const e of mix) {
    lines.push(`  - method: ${e.method}`, `    weight: ${e.weight}`);
    if (e.params) lines.push(`    params: ${JSON.stringify(e.params)}`);
  }
  const skipped = c.tools.map((t) => ({ t, v: toolVerdict(t, allow) })).filter(({ v }) => !v.call);
  if (skipped.length) lines.push('# Tools not called:');
  for (const { t, v } of skipped) lines.push(`#   ${t.name}: ${v.why}`);
  if (notes.length) lines.push('# Left out or replaced when probed:');
  for (const n of notes) lines.push(`#   ${n.replace(/\n/g, ' ')}`);
  lines.push('# To draw targets from the server at every run start instead, write an entry like', '#   - { method: tools/call, weight: 50, discover: true }');
  return { text: lines.join('\n') + '\n', profile, notes };
}
