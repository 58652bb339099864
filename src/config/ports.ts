/**
 * Source port ranges: the option's default and each engine's slice. Ports are chosen by mcpload
 * rather than by the kernel: binding a source address and letting the kernel pick the port costs a search of the port space on every connect (measured here:
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
