/**
 * The engine's timing wheel and timeout queue, driven with explicit `now` values (no real time).
 */
import { describe, expect, it } from 'vitest';
import { TimeoutQueue, Wheel } from '../src/worker/wheel.js';

interface Item {
  name: string;
  wakeSlot: number;
}
const item = (name: string): Item => ({ name, wakeSlot: -1 });

/** Advances the wheel one millisecond at a time from `from` to `to`, recording [name, now] per visit. */
function step(wheel: Wheel<Item>, from: number, to: number, onVisit?: (it: Item, now: number) => void): [string, number][] {
  const visits: [string, number][] = [];
  for (let now = from; now <= to; now++) {
    wheel.advance(now, (it) => {
      visits.push([it.name, now]);
      onVisit?.(it, now);
    });
  }
  return visits;
}

describe('Wheel', () => {
  it('visits each scheduled item once, at the tick of its time', () => {
    const wheel = new Wheel<Item>(1000);
    const a = item('a');
    const b = item('b');
    const c = item('c');
    wheel.schedule(a, 1005);
    wheel.schedule(b, 1003);
    wheel.schedule(c, 1200);
    expect(step(wheel, 1001, 1300)).toEqual([
      ['b', 1003],
      ['a', 1005],
      ['c', 1200],
    ]);
    expect(a.wakeSlot).toBe(-1);
  });

  it('visits in time order when one advance covers many milliseconds', () => {
    const wheel = new Wheel<Item>(0);
    const names = ['x', 'y', 'z'];
    const times = [30, 10, 20];
    names.forEach((n, i) => wheel.schedule(item(n), times[i]));
    const seen: string[] = [];
    wheel.advance(100, (it) => seen.push(it.name));
    expect(seen).toEqual(['y', 'z', 'x']);
    wheel.advance(200, (it) => seen.push(it.name));
    expect(seen).toHaveLength(3);
  });

  it('never visits before the millisecond of the item and always by the tick at or after its time', () => {
    const wheel = new Wheel<Item>(1000);
    const a = item('a');
    wheel.schedule(a, 1010.4);
    const seen: number[] = [];
    for (const now of [1005.5, 1009.99]) wheel.advance(now, () => seen.push(now));
    expect(seen).toEqual([]);
    for (const now of [1010.2, 1011.1, 1012]) wheel.advance(now, () => seen.push(now));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThanOrEqual(1010);
    expect(seen[0]).toBeLessThanOrEqual(1011.1);
  });

  it('wakes an item scheduled in the past at the next tick', () => {
    const wheel = new Wheel<Item>(1000);
    wheel.advance(1050, () => {});
    const late = item('late');
    wheel.schedule(late, 900);
    expect(step(wheel, 1050, 1060)).toEqual([['late', 1051]]);
  });

  it('lets the earlier of two schedules win, and visits once', () => {
    const wheel = new Wheel<Item>(0);
    const a = item('a');
    const b = item('b');
    wheel.schedule(a, 50);
    wheel.schedule(a, 20); // earlier: wins
    wheel.schedule(b, 20);
    wheel.schedule(b, 50); // later: ignored
    expect(step(wheel, 1, 100)).toEqual([
      ['a', 20],
      ['b', 20],
    ]);
  });

  it('does not visit twice when a visit reschedules onto a slot that still holds a stale entry', () => {
    const wheel = new Wheel<Item>(0);
    const a = item('a');
    wheel.schedule(a, 50);
    wheel.schedule(a, 20); // leaves a stale entry at 50
    let rescheduled = false;
    const visits = step(wheel, 1, 100, (it) => {
      if (!rescheduled) {
        rescheduled = true;
        wheel.schedule(it, 50); // same slot as the stale entry
      }
    });
    expect(visits).toEqual([
      ['a', 20],
      ['a', 50],
    ]);
  });

  it('visits items more than 1024 ms ahead at their time, not one round early', () => {
    const wheel = new Wheel<Item>(0);
    const far = item('far');
    const farther = item('farther');
    wheel.schedule(far, 1500);
    wheel.schedule(farther, 1500 + 2 * 1024);
    // 1500 - 1024 = 476 shares the slot: the item must stay for the next round.
    expect(step(wheel, 1, 4000)).toEqual([
      ['far', 1500],
      ['farther', 3548],
    ]);
  });

  it('visits far items at their time when one advance jumps past several rounds', () => {
    const wheel = new Wheel<Item>(0);
    const far = item('far');
    wheel.schedule(far, 3000);
    const seen: string[] = [];
    wheel.advance(2999, (it) => seen.push(it.name));
    expect(seen).toEqual([]);
    wheel.advance(5000, (it) => seen.push(it.name));
    expect(seen).toEqual(['far']);
  });

  it('visits a far item once at its earlier time when rescheduled nearer, and once when rescheduled far again', () => {
    const wheel = new Wheel<Item>(0, 16);
    const a = item('a');
    const b = item('b');
    wheel.schedule(a, 5000); // beyond the horizon: in the far list
    wheel.schedule(a, 3000); // earlier, still far: not listed twice
    wheel.schedule(b, 9000);
    wheel.schedule(b, 20); // near now: its far entry is stale
    const visits = step(wheel, 1, 12000, (it, now) => {
      if (it === b && now < 100) wheel.schedule(it, 7000); // far again: the stale entry must not visit twice
    });
    expect(visits).toEqual([
      ['b', 20],
      ['a', 3000],
      ['b', 7000],
    ]);
  });

  it('lets a visit reschedule the item for a later round', () => {
    const wheel = new Wheel<Item>(0);
    const a = item('a');
    wheel.schedule(a, 10);
    const visits = step(wheel, 1, 3000, (it, now) => {
      if (now < 2000) wheel.schedule(it, now + 1024); // the same slot index, one round later
    });
    expect(visits).toEqual([
      ['a', 10],
      ['a', 1034],
      ['a', 2058],
    ]);
  });
});

describe('TimeoutQueue', () => {
  it('expires entries whose deadline has passed, in order, and keeps the rest', () => {
    const q = new TimeoutQueue();
    q.push(0, 1, 100);
    q.push(1, 7, 150);
    q.push(0, 2, 150);
    q.push(2, 3, 300);
    const fired: [number, number][] = [];
    q.expire(99, (slot, id) => fired.push([slot, id]));
    expect(fired).toEqual([]);
    q.expire(150, (slot, id) => fired.push([slot, id]));
    expect(fired).toEqual([
      [0, 1],
      [1, 7],
      [0, 2],
    ]);
    expect(q.length).toBe(1);
    q.expire(1000, (slot, id) => fired.push([slot, id]));
    expect(fired.at(-1)).toEqual([2, 3]);
    expect(q.length).toBe(0);
  });

  it('grows across many chunks and shrinks again, losing nothing and keeping order', () => {
    const q = new TimeoutQueue();
    let nextId = 1;
    const push = (n: number) => {
      for (let i = 0; i < n; i++, nextId++) q.push(nextId % 97, nextId, nextId);
    };
    const fired: number[] = [];
    const expireTo = (now: number) =>
      q.expire(now, (slot, id) => {
        expect(slot).toBe(id % 97);
        fired.push(id);
      });
    push(1000);
    expireTo(600);
    expect(fired).toHaveLength(600);
    push(30_000); // 30,400 entries: several 4,096-entry chunks
    expect(q.length).toBe(30_400);
    expireTo(20_000); // the head passes chunk boundaries while entries remain behind it
    push(10_000); // and the tail keeps growing meanwhile
    expect(q.length).toBe(41_000 - 20_000);
    expireTo(Infinity);
    expect(fired).toEqual(Array.from({ length: 41_000 }, (_, i) => i + 1));
    expect(q.length).toBe(0);
    // Emptied on a chunk boundary, then used again.
    push(4096 * 2 - (41_000 % 4096));
    expireTo(Infinity);
    push(3);
    expect(q.length).toBe(3);
    expireTo(Infinity);
    expect(fired.at(-1)).toBe(nextId - 1);
    expect(q.length).toBe(0);
  });

  it('lets the expire callback push new deadlines, also when it empties a chunk', () => {
    const q = new TimeoutQueue();
    for (let id = 1; id <= 4096; id++) q.push(0, id, id);
    const fired: number[] = [];
    q.expire(4096, (_slot, id) => {
      fired.push(id);
      if (id === 4096) q.push(1, 5000, 5000); // pushed while the emptied head chunk is being recycled
    });
    expect(fired).toHaveLength(4096);
    expect(q.length).toBe(1);
    q.expire(5000, (slot, id) => fired.push(slot * 1e6 + id));
    expect(fired.at(-1)).toBe(1e6 + 5000);
  });

  it('takes ids beyond 32 bits intact', () => {
    const q = new TimeoutQueue();
    q.push(5, 2 ** 40 + 3, 10);
    const fired: number[] = [];
    q.expire(10, (_slot, id) => fired.push(id));
    expect(fired).toEqual([2 ** 40 + 3]);
  });
});

describe('Wheel with sub-millisecond slots', () => {
  it('visits an item in the slot of its time, not at the next whole millisecond', () => {
    const wheel = new Wheel<Item>(1000, 16);
    const a = item('a');
    wheel.schedule(a, 1000.3); // slot [1000.25, 1000.3125)
    const seen: number[] = [];
    for (const now of [1000.1, 1000.2, 1000.24]) wheel.advance(now, () => seen.push(now));
    expect(seen).toEqual([]);
    expect(wheel.reached(1000.24)).toBe(false);
    expect(wheel.reached(1000.26)).toBe(true);
    wheel.advance(1000.26, () => seen.push(1000.26));
    expect(seen).toEqual([1000.26]);
  });

  it('still spans 1,024 ms: far items wait a round', () => {
    const wheel = new Wheel<Item>(0, 16);
    const far = item('far');
    wheel.schedule(far, 1500.5);
    const seen: number[] = [];
    for (let now = 0; now <= 2000; now += 0.25) wheel.advance(now, () => seen.push(now));
    expect(seen).toEqual([1500.5]);
  });
});

describe('Wheel.peek', () => {
  it('visits items ahead of time without moving the cursor, so later advances keep their resolution', () => {
    const wheel = new Wheel<Item>(1000, 16);
    const soon = item('soon');
    const later = item('later');
    wheel.schedule(soon, 1000.4);
    wheel.schedule(later, 1000.8);
    const seen: string[] = [];
    wheel.peek(1000.5, (it) => seen.push(it.name));
    expect(seen).toEqual(['soon']);
    // The cursor did not move: an item rescheduled for 1000.1 is still visited by the next advance.
    wheel.schedule(soon, 1000.1);
    expect(wheel.reached(1000.1)).toBe(true);
    wheel.advance(1000.1, (it) => seen.push(it.name));
    expect(seen).toEqual(['soon', 'soon']);
    wheel.advance(1001, (it) => seen.push(it.name));
    expect(seen).toEqual(['soon', 'soon', 'later']);
  });
});
