/**
 * Frames of a request that asks for progress: `params._meta.progressToken` is the request's own id,
 * so a `notifications/progress` names the request it is for without a table. The inner frames
 * (FrameTemplate or TemplatedFrame) are built with a placeholder token of fixed width; per request it
 * is overwritten with the id, right-aligned in spaces (JSON whitespace), so the frame's size is
 * unchanged and exact.
 */
import type { RequestSpec } from '../shared/types.js';
import type { Route } from './transport/transport.js';
import type { FrameContext, RequestFrames } from './frames.js';

/** 17 characters between the quotes: room for any id (15 digits at most, frames.ts) plus the quotes. */
const PLACEHOLDER = '@@mcpload-token@@';
const QUOTED = Buffer.from(`"${PLACEHOLDER}"`);

/** `spec` with the placeholder token in its `_meta` (to build the inner frames from). */
export function withProgressToken<T extends RequestSpec>(spec: T): T {
  const params = spec.params ?? {};
  const meta = (params._meta as Record<string, unknown> | undefined) ?? {};
  return { ...spec, params: { ...params, _meta: { ...meta, progressToken: PLACEHOLDER } } };
}

export class ProgressFrames implements RequestFrames {
  readonly progress = true;

  constructor(private readonly inner: RequestFrames) {}

  get method(): string {
    return this.inner.method;
  }

  get route(): Route {
    return this.inner.route;
  }

  get minimumSize(): number {
    return this.inner.minimumSize;
  }

  frame(id: number, s: FrameContext): Buffer {
    const buf = this.inner.frame(id, s);
    const at = buf.indexOf(QUOTED);
    if (at < 0) return buf;
    const text = String(id);
    buf.fill(0x20, at, at + QUOTED.length - text.length);
    buf.write(text, at + QUOTED.length - text.length, 'latin1');
    return buf;
  }
}
