/**
 * Which tools discovery may call. Safety first: a tool is called only when it is annotated
 * `readOnlyHint: true` or named in the allowlist (--tools, the profile's discovery.tools); a tool
 * annotated `destructiveHint: true` only when named, whatever else it says. MCP's own defaults for
 * a tool without annotations are "not read-only, destructive", so such a tool is not called either.
 */
import type { Tool } from './catalog.js';

export interface ToolVerdict {
  call: boolean;
  /** Why, in a few words, for the printout and the written profile's comments. */
  why: string;
}

export function toolVerdict(tool: Tool, allow: ReadonlySet<string>): ToolVerdict {
  const a = tool.annotations ?? {};
  if (allow.has(tool.name)) return { call: true, why: 'allow-listed' };
  if (a.destructiveHint === true) return { call: false, why: 'destructive (destructiveHint): only called when named in --tools' };
  if (a.readOnlyHint === true) return { call: true, why: 'read-only' };
  return { call: false, why: 'not annotated readOnlyHint: true; name it in --tools to call it' };
}
