/** The run's defaults, each declared once; options, the coordinator and reports read them here. */

export const DEFAULT_PROTOCOL_VERSION = '2025-11-25';
export const DEFAULT_DURATION = '60s';
/** The WebSocket subprotocol offered unless --subprotocol says otherwise (a server may select none). */
export const DEFAULT_SUBPROTOCOL = 'mcp';
/** The command line's metrics endpoint (resolveRunOptions alone leaves it off: a library opens no port unasked). */
export const DEFAULT_METRICS_PORT = 9464;
/**
 * Loopback: a run on a laptop opens no port to the network unasked. The image and the Swarm stack set
 * MCPLOAD_METRICS_HOST=0.0.0.0, since there Prometheus scrapes from another container.
 */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** Time between progress lines when not on a terminal (on one, the line is redrawn every second). */
export const DEFAULT_PROGRESS_INTERVAL = '5s';
/** How long a stop waits for in-flight responses (Swarm's default stop grace period is 10 s). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;
/** How often engines post a snapshot to the main thread (and the timeline's resolution). */
export const SNAPSHOT_INTERVAL_MS = 1000;
/** With --shard, how long the metrics endpoint stays up after the run for a watch to read the final snapshot (it ends at the first read). */
export const DEFAULT_SHARD_LINGER_MS = 30_000;
