/**
 * `slow_progress`, the reference target's slow tool that streams progress (`mcpload serve --fixtures`):
 * it answers after `durationMs`, sending `notifications/progress` to the request's progressToken
 * first after `firstProgressMs` and then every `intervalMs` until the answer. The knobs are the
 * call's arguments, so a profile sets them per step. Without a progressToken it only waits.
 */

/** Where the tool's notifications go (fixtures.ts ToolStream has this and more). */
export interface ProgressStream {
  notify(method: string, params: Record<string, unknown>): void;
}
export const SLOW_PROGRESS_TOOL = 'slow_progress';

/** The defaults of the knobs, ms. */
const DEFAULTS = { durationMs: 200, firstProgressMs: 20, intervalMs: 50 };
const MAX_MS = 600_000;

export const SLOW_PROGRESS_DEFINITION = {
  description: `Answers after durationMs (default ${DEFAULTS.durationMs}), streaming progress to the progressToken: first after firstProgressMs (default ${DEFAULTS.firstProgressMs}), then every intervalMs (default ${DEFAULTS.intervalMs}).`,
  inputSchema: {
    type: 'object',
    properties: {
      durationMs: { type: 'number', minimum: 0, description: 'Total time before the result, ms' },
      firstProgressMs: { type: 'number', minimum: 0, description: 'Delay of the first progress notification, ms' },
      intervalMs: { type: 'number', minimum: 1, description: 'Time between progress notifications, ms' },
    },
  },
  annotations: { readOnlyHint: true },
};

function knob(args: Record<string, unknown>, name: keyof typeof DEFAULTS): number {
  const v = args[name];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(v, MAX_MS) : DEFAULTS[name];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs one call; resolves with the result's JSON. */
export async function runSlowProgress(params: Record<string, unknown> | undefined, stream: ProgressStream): Promise<string> {
  const args = (params?.arguments ?? {}) as Record<string, unknown>;
  const durationMs = knob(args, 'durationMs');
  const firstMs = knob(args, 'firstProgressMs');
  const intervalMs = Math.max(1, knob(args, 'intervalMs'));
  const token = (params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
  const started = performance.now();
  let sent = 0;
  if (token !== undefined && firstMs < durationMs) {
    await sleep(firstMs);
    // Each next one an interval after the last went out (a late timer delays the rest, never bunches them).
    while (performance.now() - started < durationMs) {
      stream.notify('notifications/progress', { progressToken: token, progress: ++sent, message: `${SLOW_PROGRESS_TOOL} step ${sent}` });
      if (performance.now() - started + intervalMs >= durationMs) break;
      await sleep(intervalMs);
    }
  }
  const rest = started + durationMs - performance.now();
  if (rest > 0) await sleep(rest);
  return JSON.stringify({ content: [{ type: 'text', text: `${SLOW_PROGRESS_TOOL}: ${sent} progress notifications over ${durationMs} ms` }] });
}
