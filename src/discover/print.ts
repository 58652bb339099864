/** `mcpload discover`'s printout: what the server offers, and which tools a run may call and why. */
import type { Catalog, Tool } from './catalog.js';
import { toolVerdict } from './policy.js';

/** Longest description shown on one line. */
const MAX_DESCRIPTION = 70;

function short(text: string | undefined): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > MAX_DESCRIPTION ? t.slice(0, MAX_DESCRIPTION - 1) + '…' : t;
}

function hints(tool: Tool): string {
  const a = tool.annotations ?? {};
  const on = (['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const).filter((k) => a[k] !== undefined).map((k) => `${k}=${a[k]}`);
  return on.length ? on.join(' ') : 'no annotations';
}

function argumentsOf(tool: Tool): string {
  const props = (tool.inputSchema?.properties ?? {}) as Record<string, { type?: unknown }>;
  const required = new Set(Array.isArray(tool.inputSchema?.required) ? (tool.inputSchema.required as string[]) : []);
  const names = Object.keys(props);
  if (names.length === 0) return 'no arguments';
  return names.map((n) => `${n}${required.has(n) ? '*' : ''}: ${typeof props[n]?.type === 'string' ? props[n].type : 'any'}`).join(', ');
}

export function renderCatalog(c: Catalog, allowTools: readonly string[]): string {
  const allow = new Set(allowTools);
  const lines = [`${c.server.name} ${c.server.version} at ${c.url} (protocol ${c.protocolVersion})`];
  const width = Math.min(32, Math.max(8, ...c.tools.map((t) => t.name.length), ...c.prompts.map((p) => p.name.length)));
  lines.push(`tools (${c.tools.length}):`);
  for (const t of c.tools) {
    const v = toolVerdict(t, allow);
    lines.push(`  ${t.name.padEnd(width)}  ${short(t.description)}`);
    lines.push(`  ${''.padEnd(width)}  ${hints(t)}; args ${argumentsOf(t)} (* required)`);
    lines.push(`  ${''.padEnd(width)}  ${v.call ? 'called by discover entries' : 'NOT called'}: ${v.why}`);
  }
  lines.push(`resources (${c.resources.length}):`);
  for (const r of c.resources) lines.push(`  ${r.uri}${r.name ? `  ${r.name}` : ''}${r.mimeType ? `  (${r.mimeType})` : ''}`);
  lines.push(`resource templates (${c.templates.length}):`);
  for (const t of c.templates) lines.push(`  ${t.uriTemplate}${t.name ? `  ${t.name}` : ''}`);
  lines.push(`prompts (${c.prompts.length}):`);
  for (const p of c.prompts) {
    const args = (p.arguments ?? []).map((a) => a.name + (a.required ? '*' : '')).join(', ');
    lines.push(`  ${p.name.padEnd(width)}  ${args ? `args ${args}  ` : ''}${short(p.description)}`);
  }
  for (const p of c.problems) lines.push(`problem: ${p}`);
  return lines.join('\n') + '\n';
}
