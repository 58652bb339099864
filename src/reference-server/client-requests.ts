/**
 * Requests a fixture tool sends the client (sampling/createMessage, elicitation/create) and waits on:
 * each gets an id, a timeout, and settles when the client's response comes back. One per session.
 */

/** How long a tool waits for the client to answer its sampling or elicitation request. */
const CLIENT_ANSWER_TIMEOUT_MS = 30_000;

interface PendingRequest {
  resolve(result: Record<string, unknown>): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ClientRequests {
  private readonly pending = new Map<string, PendingRequest>();
  private seq = 0;

  /** Sends the request with `write` (the request JSON); resolves with the client's result. */
  request(write: (json: string) => void, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = `mcpload-target-${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the client did not answer ${method} within ${CLIENT_ANSWER_TIMEOUT_MS / 1000}s`));
      }, CLIENT_ANSWER_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** A client's response: true when it answers a request of ours. */
  settle(id: unknown, message: { result?: unknown; error?: unknown }): boolean {
    const pending = typeof id === 'string' ? this.pending.get(id) : undefined;
    if (!pending) return false;
    this.pending.delete(id as string);
    clearTimeout(pending.timer);
    const error = message.error as { message?: unknown } | undefined;
    if (error !== undefined) pending.reject(new Error(`the client answered with an error: ${String(error?.message)}`));
    else pending.resolve((typeof message.result === 'object' && message.result !== null ? message.result : {}) as Record<string, unknown>);
    return true;
  }

  /** The session ended: every waiting tool fails now. Idempotent. */
  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('the session ended'));
    }
    this.pending.clear();
  }
}
