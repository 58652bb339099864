/**
 * Discovery for a run: once, on the main thread, before any engine starts. A profile without
 * `discover` entries costs nothing (no connection is made).
 */
import type { FlowStep, Profile, TlsOptions } from '../shared/types.js';
import { flowRequests, profileRequests } from '../shared/flow.js';
import { describe, redactSecrets } from '../shared/errors.js';
import { discover, type Connection } from './catalog.js';
import { resolveMix } from './resolve.js';

/** Probe calls wait at most this long (or the profile's timeout, if shorter). */
export const PROBE_TIMEOUT_MS = 2000;
/** Each discovery call (initialize, a list page) at a run's start waits at most this long. */
export const DISCOVERY_TIMEOUT_MS = 2000;

export interface RunDiscovery {
  url: string;
  headers: Record<string, string>;
  tls?: TlsOptions;
  frameTerminator: 'newline' | 'none';
  protocolVersion: string;
  /**
   * The run started the built-in target: it has the names the built-in profiles were written for, so
   * `fallback` entries keep their params without asking (only `discover: true` entries connect).
   */
  builtinTarget?: boolean;
}

export function needsDiscovery(profile: Profile): boolean {
  return profile.mix.some((e) => e.discover !== undefined) || flowRequests(profile.flow).some((s) => s.discover !== undefined);
}

/**
 * The profile with its discover entries resolved against the server at `t.url`. When only `fallback`
 * entries ask and discovery fails (a server that does not list, or answers nothing), the mix stays as
 * written and a note says why; a `discover: true` entry has nothing to send without it (exit 3).
 */
export async function discoverMix(profile: Profile, t: RunDiscovery, note: (line: string) => void): Promise<Profile> {
  if (!needsDiscovery(profile)) return profile;
  const required = profileRequests(profile).some((e) => e.discover === 'all');
  if (t.builtinTarget && !required) return asWritten(profile);
  let conn: Connection;
  try {
    conn = await discover({ ...t, timeoutMs: Math.min(DISCOVERY_TIMEOUT_MS, profile.timeoutMs) });
  } catch (err) {
    if (required) throw err;
    note(`discovery at ${redactSecrets(t.url)} failed (${describe(err)}): the mix stays as the profile wrote it`);
    return asWritten(profile);
  }
  try {
    return await resolveMix(profile, conn, {
      allowTools: profile.discovery?.tools ?? [],
      seed: profile.discovery?.seed ?? 1,
      probeTimeoutMs: Math.min(PROBE_TIMEOUT_MS, profile.timeoutMs),
      note,
    });
  } finally {
    await conn.peer.close().catch(() => {});
  }
}

/** The mix and flow as the profile wrote them, without the discover marks. */
function asWritten(profile: Profile): Profile {
  const mix = profile.mix.map(({ discover: _d, ...e }) => e);
  return profile.flow ? { ...profile, mix, flow: flowAsWritten(profile.flow) } : { ...profile, mix };
}

function flowAsWritten(steps: FlowStep[]): FlowStep[] {
  return steps.map((st) => {
    if (st.kind === 'repeat' || st.kind === 'parallel') return { ...st, steps: flowAsWritten(st.steps) };
    if (st.kind !== 'request') return st;
    const { discover: _d, ...step } = st;
    return step;
  });
}
