/**
 * Source ports chosen by mcpload rather than by the kernel. Binding a source address and letting
 * the kernel pick the port costs a search of the port space on every connect (measured here:
 * 180-500 sessions/s, 93% kernel time), while naming the port keeps the ramp at thousands per
 * second. Each engine owns a disjoint slice of the range on every source address, so engines and
 * processes never ask for the same port; within its slice an engine goes round-robin, so a port
 * comes back only after the whole slice was used (well after TIME_WAIT for any sane churn).
 */

export interface PortRange {
  from: number;
  to: number;
}

export const DEFAULT_LOCAL_PORTS: PortRange = { from: 10_000, to: 65_535 };

/** Engine `index` of `count`: its slice of the range (the same on every source address). */
export function portSlice(range: PortRange, index: number, count: number): PortRange {
  const size = Math.floor((range.to - range.from + 1) / count);
  const from = range.from + index * size;
  return { from, to: index === count - 1 ? range.to : from + size - 1 };
}

export class LocalPorts {
  private readonly next = new Map<string, number>();

  constructor(private readonly slice: PortRange) {}

  /** The next port to bind on `address`. */
  take(address: string): number {
    const port = this.next.get(address) ?? this.slice.from;
    this.next.set(address, port >= this.slice.to ? this.slice.from : port + 1);
    return port;
  }

  get size(): number {
    return this.slice.to - this.slice.from + 1;
  }
}
