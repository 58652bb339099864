/**
 * The live view's tick: the coordinator tells interval k only once every running engine posted it, so a
 * line never shows one engine's sessions (before: `75/75` with --clients 150 on two engines); an engine
 * two intervals behind the newest is not waited for (the view keeps its schedule), and finished engines
 * are not waited for either. Engines here are in-process handles the test feeds by hand.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../src/config/options.js';
import { Coordinator } from '../src/main/coordinator.js';
import type { EngineHandle } from '../src/main/engines.js';
import type { EngineConfig, EngineToMain, MainToEngine } from '../src/shared/messages.js';
// Plain JavaScript, shared with the fixture engines.
import { snapshot } from './fixtures/snapshot.mjs';

class HandFed implements EngineHandle {
  listener!: (msg: EngineToMain) => void;
  config: EngineConfig | undefined;
  post(msg: MainToEngine): void {
    if (msg.type === 'start') this.config = msg.config;
  }
  onMessage(listener: (msg: EngineToMain) => void): void {
    this.listener = listener;
  }
  async terminate(): Promise<void> {}
  snap(interval: number, final = false): void {
    this.listener({ type: 'snapshot', snapshot: snapshot(this.config, interval, final) as never });
  }
}

describe('complete intervals', () => {
  it('waits for every engine, skips one that lags two behind, and ends with the finished ones', async () => {
    const opts = resolveRunOptions({ url: ['ws://127.0.0.1:9/mcp/ws'], clients: 2, workers: 2, duration: '60s' });
    const engines = [new HandFed(), new HandFed()];
    const c = new Coordinator(opts, opts.urls, () => engines);
    const told: { k: number; open: number; wanted: number }[] = [];
    c.on('interval', (k, agg) => told.push({ k, open: agg.gauges().sessionsOpen, wanted: agg.gauges().sessionsWanted }));
    const done = c.run();
    await Promise.resolve();
    for (const e of engines) e.listener({ type: 'ready' });
    await new Promise((r) => setImmediate(r));
    expect(engines.every((e) => e.config)).toBe(true);

    engines[0].snap(0);
    expect(told).toEqual([]); // engine 1 has not posted second 0: no line with half the sessions
    engines[1].snap(0);
    expect(told).toEqual([{ k: 0, open: 2, wanted: 2 }]);
    engines[0].snap(1);
    engines[0].snap(2);
    expect(told.map((t) => t.k)).toEqual([0]);
    engines[0].snap(3); // engine 1 is now three behind: interval 1 is told without it
    expect(told.map((t) => t.k)).toEqual([0, 1]);
    engines[1].snap(1);
    engines[1].snap(2);
    expect(told.map((t) => t.k)).toEqual([0, 1, 2]);
    engines[0].snap(4, true); // finished: not waited for
    engines[1].snap(3);
    expect(told.map((t) => t.k)).toEqual([0, 1, 2, 3]);
    engines[1].snap(4, true); // a final snapshot's partial interval is no interval of its own
    await done;
    expect(told.map((t) => t.k)).toEqual([0, 1, 2, 3]);
  });
});
