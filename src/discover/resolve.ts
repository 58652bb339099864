/**
 * Mix entries that draw their targets from discovery (`discover: true`, or `discover: fallback`
 * when the named target is missing) become ordinary mix entries, once, before any engine starts:
 * the engines build their frames from them as from any other entry, so nothing costs per request.
 *
 * Every target discovery picks is probed once (one call, answered ok, and for tools/call not
 * `isError`, within the probe timeout) before it joins the mix, so a run does not start by
 * measuring a tool that fails for want of the right arguments or takes seconds by design.
 */
import { StartError, describe } from '../shared/errors.js';
import type { FlowStep, MixEntry, Profile } from '../shared/types.js';
import type { Catalog, Connection } from './catalog.js';
import { toolVerdict } from './policy.js';
import { argumentsFit, promptArguments, promptArgumentsFit, sampleArguments } from './sample.js';

/** Targets one entry is spread over at most. */
export const MAX_TARGETS = 20;
/** Calls in flight while probing. */
const PROBE_CONCURRENCY = 4;

export interface ResolveOptions {
  /** Tool names the user allowed beyond the read-only ones. */
  allowTools: readonly string[];
  seed: number;
  /** How long a probe call may take; a slower target is left out. 0: no probing. */
  probeTimeoutMs: number;
  note: (line: string) => void;
}

/** A target for one discover entry, before probing. */
interface Candidate {
  params: Record<string, unknown>;
  /** How it is named in notes: the tool, URI or prompt. */
  label: string;
}

/** The methods a `discover` entry may have, and the list method each falls back to when nothing is found. */
export const DISCOVERABLE: Readonly<Record<string, { capability: string; list: string }>> = {
  'tools/call': { capability: 'tools', list: 'tools/list' },
  'resources/read': { capability: 'resources', list: 'resources/list' },
  'prompts/get': { capability: 'prompts', list: 'prompts/list' },
};

/**
 * The profile with every discover entry replaced by ordinary entries drawn from `conn`, and every
 * discover flow step by a step that picks among the targets found (FlowStep `also`).
 */
export async function resolveMix(profile: Profile, conn: Connection, o: ResolveOptions): Promise<Profile> {
  const resolve = resolver(conn, o);
  const out = await Promise.all(profile.mix.map((entry, i) => (entry.discover ? resolve(entry, `mix[${i}] ${entry.method}`) : Promise.resolve([entry]))));
  let mix = out.flat();
  // (A flow-only profile has no mix to fill.)
  if (mix.length === 0 && profile.mix.length > 0) {
    o.note(`no mix entry has anything to call at ${conn.catalog.url}; sending ping instead`);
    mix = [{ method: 'ping', weight: 1 }];
  }
  const flow = profile.flow && (await resolveFlow(profile.flow, resolve));
  return flow ? { ...profile, mix, flow } : { ...profile, mix };
}

type Resolve = (entry: MixEntry, where: string) => Promise<MixEntry[]>;

/** The flow with each discover request step resolved: its first target as the step, the others in `also`. */
async function resolveFlow(steps: FlowStep[], resolve: Resolve): Promise<FlowStep[]> {
  return Promise.all(
    steps.map(async (st): Promise<FlowStep> => {
      if (st.kind === 'repeat' || st.kind === 'parallel') return { ...st, steps: await resolveFlow(st.steps, resolve) };
      if (st.kind !== 'request' || st.discover === undefined) return st;
      const { discover: _d, also: _a, ...step } = st;
      const found = await resolve({ ...step, discover: st.discover, weight: 1 }, `flow step ${JSON.stringify(st.key)}`);
      // Nothing to call: the step goes out as written (its errors are counted like any request's).
      if (found.length === 0) return step;
      const [first, ...rest] = found.map((e) => ({ ...withoutTarget(step), method: e.method, ...(e.params ? { params: e.params } : {}) }));
      return rest.length > 0 ? { ...first, kind: 'request', key: st.key, also: rest.map(({ kind: _k, key: _key, ...spec }) => spec) } : first;
    }),
  );
}

/** A step's spec without the target discovery replaces. */
function withoutTarget<T extends { params?: unknown }>(step: T): Omit<T, 'params'> {
  const { params: _p, ...rest } = step;
  return rest;
}

/** Resolves one discover entry into ordinary entries ([] when it is dropped); probes are shared across entries. */
function resolver(conn: Connection, o: ResolveOptions): Resolve {
  const allow = new Set(o.allowTools);
  conn.limiter.updateSettings({ maxConcurrent: PROBE_CONCURRENCY });
  const probed = new Map<string, Promise<string | undefined>>();
  const probe = (method: string, params: Record<string, unknown>) => {
    const key = method + JSON.stringify(params);
    let p = probed.get(key);
    if (!p)
      probed.set(
        key,
        (p = o.probeTimeoutMs > 0 ? conn.limiter.schedule({ weight: 1 }, () => probeOnce(conn, method, params, o.probeTimeoutMs)) : Promise.resolve(undefined)),
      );
    return p;
  };
  return async (entry, where) => {
    // The server would not list this family (an error, a timeout): nothing is known, so keep what was written.
    const fam = DISCOVERABLE[entry.method];
    const unlisted = conn.catalog.problems.find((p) => p.startsWith(fam.list + ':'));
    if (entry.discover === 'fallback' && (unlisted || !conn.catalog.capabilities[fam.capability])) {
      o.note(`${where}: kept as written (${unlisted ?? `the server declares no ${fam.capability} capability, so nothing can be listed`})`);
      return [plain(entry, entry.params)];
    }
    const kept = keptAsNamed(entry, conn.catalog, allow);
    if (kept === true) return [plain(entry, entry.params)];
    const candidates = kept ? [kept] : candidatesFor(entry, conn.catalog, allow, o);
    const good: Candidate[] = [];
    for (const c of candidates) {
      const problem = await probe(entry.method, c.params);
      if (problem) o.note(`${where}: left out ${c.label}: ${problem}`);
      else good.push(c);
    }
    const asked = namedTarget(entry);
    if (good.length === 0) {
      if (asked && entry.discover === 'all') throw new StartError(`${where}: the server at ${conn.catalog.url} offers no usable ${asked}`);
      if (conn.catalog.capabilities[fam.capability]) {
        o.note(`${where}: the server offers nothing this entry can call${asked ? ` (no ${asked})` : ''}; sending ${fam.list} instead`);
        return [{ method: fam.list, weight: entry.weight }];
      }
      o.note(`${where}: the server has no ${fam.capability} capability; entry dropped`);
      return [];
    }
    if (asked && !kept) o.note(`${where}: the server has no ${asked}; ${good.length} discovered instead: ${good.map((g) => g.label).join(', ')}`);
    else if (kept && entry.discover === 'fallback')
      o.note(`${where}: ${asked} takes other arguments here; calling it with ${JSON.stringify(kept.params.arguments)}`);
    else if (!kept) o.note(`${where}: ${good.length} discovered: ${good.map((g) => g.label).join(', ')}`);
    const share = entry.weight / good.length;
    return good.map((g) => plain(entry, g.params, share));
  };
}

/** The entry with `params` for its target, without the discover mark: what else it asks (progress, cancelAfter, data) stays. */
function plain(entry: MixEntry, params: Record<string, unknown> | undefined, weight = entry.weight): MixEntry {
  const { discover: _d, params: _p, ...rest } = entry;
  const e: MixEntry = { ...rest, weight };
  if (params) e.params = params;
  return e;
}

/** "tool echo", "resource mcpload://…", "prompt greeting": what the entry's params name, if anything. */
function namedTarget(entry: MixEntry): string | undefined {
  const p = entry.params ?? {};
  if (entry.method === 'resources/read') return typeof p.uri === 'string' ? `resource ${p.uri}` : undefined;
  if (typeof p.name !== 'string') return undefined;
  return `${entry.method === 'tools/call' ? 'tool' : 'prompt'} ${p.name}`;
}

/**
 * A fallback entry whose named target the server has: true when its params fit as given; a candidate
 * with sampled arguments when the target is there but wants other arguments; undefined when it is missing.
 * A `discover: true` entry that names a target (an explicit name) has its arguments sampled.
 */
function keptAsNamed(entry: MixEntry, catalog: Catalog, allow: ReadonlySet<string>): true | Candidate | undefined {
  const p = entry.params ?? {};
  const fallback = entry.discover === 'fallback';
  switch (entry.method) {
    case 'tools/call': {
      const tool = catalog.tools.find((t) => t.name === p.name);
      if (!tool) return undefined;
      // The profile named this tool with these arguments and the server has just that: keep it
      // (a name in the profile is explicit), unless the server says the tool is destructive.
      const fits = p.arguments !== undefined && argumentsFit(tool.inputSchema, p.arguments);
      if (fallback && fits && (tool.annotations?.destructiveHint !== true || allow.has(tool.name))) return true;
      // Other arguments: the name was written for another server, so the tool must be callable by the discovery rules.
      if (fallback && !toolVerdict(tool, allow).call) return undefined;
      const args = p.arguments !== undefined && !fallback ? p.arguments : undefined;
      const sampled = args ?? sampleArguments(tool.inputSchema, 1);
      return sampled === undefined ? undefined : { params: { name: tool.name, arguments: sampled }, label: `tool ${tool.name}` };
    }
    case 'resources/read':
      if (typeof p.uri !== 'string') return undefined;
      return catalog.resources.some((r) => r.uri === p.uri) ? true : undefined;
    case 'prompts/get': {
      const prompt = catalog.prompts.find((x) => x.name === p.name);
      if (!prompt) return undefined;
      if (promptArgumentsFit(prompt, p.arguments)) return true;
      return { params: { name: prompt.name, arguments: promptArguments(prompt, 1) }, label: `prompt ${prompt.name}` };
    }
  }
  return undefined;
}

function candidatesFor(entry: MixEntry, catalog: Catalog, allow: ReadonlySet<string>, o: ResolveOptions): Candidate[] {
  if (entry.discover === 'all' && namedTarget(entry)) return []; // an explicit name the server lacks
  switch (entry.method) {
    case 'tools/call':
      return catalog.tools
        .filter((t) => toolVerdict(t, allow).call)
        .flatMap((t) => {
          const args = sampleArguments(t.inputSchema, o.seed);
          if (args === undefined) o.note(`tool ${t.name}: no arguments valid for its inputSchema could be sampled; not called`);
          return args === undefined ? [] : [{ params: { name: t.name, arguments: args }, label: `tool ${t.name}` }];
        })
        .slice(0, MAX_TARGETS);
    case 'resources/read':
      return catalog.resources.slice(0, MAX_TARGETS).map((r) => ({ params: { uri: r.uri }, label: `resource ${r.uri}` }));
    case 'prompts/get':
      return catalog.prompts.slice(0, MAX_TARGETS).map((p) => ({ params: { name: p.name, arguments: promptArguments(p, o.seed) }, label: `prompt ${p.name}` }));
  }
  return [];
}

/** One call; undefined when it went well, else why not. */
async function probeOnce(conn: Connection, method: string, params: Record<string, unknown>, timeoutMs: number): Promise<string | undefined> {
  try {
    const a = await conn.peer.request(method, params, timeoutMs);
    if (a.error) return `error ${a.error.code} ${a.error.message.slice(0, 120)}`;
    if (method === 'tools/call' && a.result?.isError === true) return 'the tool answered isError: true';
    return undefined;
  } catch (err) {
    return describe(err);
  }
}
