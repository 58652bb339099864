/**
 * The connect ramp (--connect-rate) on a busy event loop: a tick that comes late keeps the connects it
 * was owed. The engine runs in this process against `mcpload serve`; a timer here holds the loop 18 ms
 * out of every 20 (a loaded machine, as the full-100k run saw), so the engine's 1 ms ticks come about
 * once per 20 ms. Capping the tokens at one tick's worth made that one connect per tick (~50/s here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEngine } from './helpers/engine-run.js';
import { startServe, type Serve } from './helpers/serve.js';

let serve: Serve;
beforeAll(async () => {
  serve = await startServe();
});
afterAll(async () => {
  await serve?.stop();
});

describe('the connect ramp on a busy loop', () => {
  it('late ticks still connect at the asked rate', { timeout: 30_000 }, async () => {
    const busy = setInterval(() => {
      const until = performance.now() + 18;
      while (performance.now() < until);
    }, 20);
    try {
      const rate = 200;
      const { total } = await runEngine({ url: serve.wsUrl, clients: 1000, connectRate: rate, durationMs: 2000, profile: { rate: 0.1 } });
      // 400 connects asked over 2 s; one per late tick gives ~100-150.
      expect(total.sessionsEstablished).toBeGreaterThanOrEqual(0.6 * rate * 2);
      // And never faster than asked (plus the burst of one tick).
      expect(total.sessionsEstablished).toBeLessThanOrEqual(rate * 2.2 + 5);
    } finally {
      clearInterval(busy);
    }
  });
});
