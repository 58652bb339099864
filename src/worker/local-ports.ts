/**
 * The source ports one engine binds, round-robin within its slice (config/ports.ts explains why
 * mcpload names the port instead of letting the kernel search).
 */
import type { PortRange } from '../config/ports.js';

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
