/**
 * Per-target figures: the requests of a method that names what it acts on (a tool, a prompt, a resource
 * URI) are also counted per name, under a key like `tools/call echo` or `resources/read test://static/1`.
 * The mix is known at start, so each mix entry's key is worked out once here, for the engines (which count
 * per key), the main thread (metrics) and reports alike. The keys are capped: past MAX_TARGETS, the rest
 * of a method's names share one `(other)` target, so a mix drawn from a large discovery cannot grow the
 * report or the /metrics series without bound.
 */
import type { RequestSpec } from './types.js';

/** Distinct target keys at most (per run, per merged report); past it a method's names fold into OTHER_TARGET. */
export const MAX_TARGETS = 100;
/** The target of the names past the cap. */
export const OTHER_TARGET = '(other)';

/** The param that names a request's target, per method (MCP 2025-11-25). */
const TARGET_PARAM: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'resources/subscribe': 'uri',
  'resources/unsubscribe': 'uri',
};

export interface Target {
  /** `method target`: the key of the report's `targets` and of snapshots. */
  key: string;
  method: string;
  /** The tool or prompt name, the resource URI, or OTHER_TARGET. */
  target: string;
}

export function targetKey(method: string, target: string): string {
  return `${method} ${target}`;
}

/** The tool or prompt name or resource URI a request of `method` with `params` acts on; undefined: none. */
export function targetName(method: string, params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const param = Object.hasOwn(TARGET_PARAM, method) ? TARGET_PARAM[method] : undefined;
  const value = param === undefined ? undefined : params?.[param];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Caps a stream of targets: the first MAX_TARGETS distinct keys keep theirs, later ones fold into their
 * method's OTHER_TARGET (which does not count against the cap: one per method).
 */
export class TargetCap {
  private readonly kept = new Set<string>();

  of(method: string, target: string): Target {
    const key = targetKey(method, target);
    if (this.kept.has(key) || target === OTHER_TARGET) return { key, method, target };
    if (this.kept.size < MAX_TARGETS) {
      this.kept.add(key);
      return { key, method, target };
    }
    return { key: targetKey(method, OTHER_TARGET), method, target: OTHER_TARGET };
  }
}

/** Each mix entry's target (undefined: its method names none), capped in mix order. */
export function mixTargets(mix: readonly RequestSpec[]): (Target | undefined)[] {
  const cap = new TargetCap();
  return mix.map((e) => {
    const name = targetName(e.method, e.params);
    return name === undefined ? undefined : cap.of(e.method, name);
  });
}

/** The distinct targets of a mix, in mix order. */
export function distinctTargets(mix: readonly RequestSpec[]): Target[] {
  const out = new Map<string, Target>();
  for (const t of mixTargets(mix)) if (t && !out.has(t.key)) out.set(t.key, t);
  return [...out.values()];
}
