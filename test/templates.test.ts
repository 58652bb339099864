/**
 * Params templates and data files, as the server receives them: a recording ws server on 127.0.0.1
 * notes every request of each connection, and the test checks what the profile's templates say
 * (sequence numbers per session distinct and in order, session indices, picks from the list, random
 * values in range, the data file's rows in turn, exact frame sizes).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProfile } from '../src/config/profile.js';
import { runEngine } from './helpers/engine-run.js';
import { runCli } from './helpers/cli.js';
import type { RunReport } from '../src/report/types.js';
import { startRawServer, result, type BaseServer, type JsonRpc } from './helpers/raw-servers.js';

interface Recorded {
  /** Requests of each connection, in the order they arrived. */
  connections: JsonRpc[][];
}

async function recordingServer(): Promise<BaseServer & Recorded> {
  const connections: JsonRpc[][] = [];
  const server = await startRawServer({
    connection: (conn) => {
      const mine: JsonRpc[] = [];
      connections.push(mine);
      return {
        onRequest: (msg) => {
          mine.push(msg);
          conn.send(result(msg.id));
        },
      };
    },
  });
  return Object.assign(server, { connections });
}

let server: (BaseServer & Recorded) | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const ROWS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

function profileText(extra = ''): string {
  return `name: templated
clients: 3
rate: 200
timeout: 2s
messageSize: 400
mix:
  - method: tools/call
    params:
      name: "{{pick echo add \\"long name\\"}}"
      arguments:
        text: "session {{session}} request {{seq}}"
        n: "{{randInt 5 9}}"
        token: "{{randString 12}}"
        word: "{{row.word}}"
        nested: ["{{row.word}}-{{row.n}}"]
    data: rows.csv
${extra}`;
}

describe('params templates', () => {
  it('fill seq, session, pick, randInt, randString and data rows per request, at the exact frame size', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-templates-'));
    writeFileSync(join(dir, 'rows.csv'), 'word,n\n' + ROWS.map((w, i) => `${w},"${i}"`).join('\r\n') + '\n');
    const profile = parseProfile(profileText(), join(dir, 'templated.yaml'));
    server = await recordingServer();
    const run = await runEngine({ url: server.url, profile, durationMs: 600 });
    expect(run.total.errors).toMatchObject({ timeout: 0, protocol: 0, rpc: 0 });

    const requests = server.connections.flat();
    expect(requests.length).toBeGreaterThan(30);
    const sessions = new Set<number>();
    for (const conn of server.connections) {
      const texts = conn.map((m) => (m.params as { arguments: { text: string } }).arguments.text);
      const parsed = texts.map((t) => /^session (\d+) request (\d+)$/.exec(t));
      expect(parsed.every(Boolean)).toBe(true);
      const index = new Set(parsed.map((m) => Number(m![1])));
      expect(index.size).toBe(1); // one session per connection here (no reconnects)
      sessions.add([...index][0]);
      // Sequence numbers: 1, 2, 3, ... in the order the server got them.
      expect(parsed.map((m) => Number(m![2]))).toEqual(conn.map((_, i) => i + 1));
    }
    expect([...sessions].sort()).toEqual([0, 1, 2]);

    const names = new Set(requests.map((m) => (m.params as { name: string }).name));
    expect([...names].every((n) => ['echo', 'add', 'long name'].includes(n))).toBe(true);
    expect(names.size).toBe(3);
    for (const m of requests) {
      const a = (m.params as { arguments: Record<string, unknown> }).arguments;
      expect(Number(a.n)).toBeGreaterThanOrEqual(5);
      expect(Number(a.n)).toBeLessThanOrEqual(9);
      expect(a.n).toMatch(/^\d$/); // a templated string stays a string
      expect(a.token).toMatch(/^[A-Za-z0-9]{12}$/);
      expect((a.nested as string[])[0]).toBe(`${a.word as string}-${ROWS.indexOf(a.word as string)}`);
    }
    // The data file's rows in turn: sent in the engine's order, so over all requests each row is taken
    // once per pass, and a partial pass is the file's first rows.
    const counts = ROWS.map((w) => requests.filter((m) => (m.params as { arguments: { word: string } }).arguments.word === w).length);
    const passes = Math.floor(requests.length / ROWS.length);
    const extra = requests.length % ROWS.length;
    expect(counts).toEqual(ROWS.map((_, i) => passes + (i < extra ? 1 : 0)));
    // Every frame is padded to exactly messageSize (WebSocket payload bytes, the newline included).
    const sizes = new Set(server.frames.filter((f) => f.text.includes('tools/call')).map((f) => f.bytes));
    expect([...sizes]).toEqual([400]);
  });

  it('takes the rows of one session in file order, and a JSON lines field alone keeps its JSON type', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-templates-'));
    const rows = [
      { id: 1, tag: 'x' },
      { id: 2.5, tag: 'y "q"' },
      { id: -3, tag: 'z' },
    ];
    writeFileSync(join(dir, 'rows.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n\n');
    const text = `name: jsonl
clients: 1
rate: 100
mix:
  - method: tasks/get
    params: { taskId: "{{row.tag}}", id: "{{row.id}}", label: "#{{row.id}} {{row.tag}}" }
    data: rows.jsonl
`;
    const profile = parseProfile(text, join(dir, 'jsonl.yaml'));
    server = await recordingServer();
    await runEngine({ url: server.url, profile, durationMs: 300 });
    const got = server.connections.flat().map((m) => m.params as { taskId: string; id: number; label: string });
    expect(got.length).toBeGreaterThan(6);
    got.forEach((p, i) => {
      const row = rows[i % rows.length];
      expect(p).toEqual({ taskId: row.tag, id: row.id, label: `#${row.id} ${row.tag}` });
    });
  });

  it('run against mcpload serve (the built-in target) with every request answered ok', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-templates-'));
    writeFileSync(join(dir, 'rows.csv'), 'word,n\n' + ROWS.map((w, i) => `${w},${i}`).join('\n') + '\n');
    const file = join(dir, 'templated.yaml');
    writeFileSync(file, profileText().replace('{{pick echo add \\"long name\\"}}', '{{pick echo}}'));
    const report = join(dir, 'report.json');
    const r = await runCli(['--profile', file, '--duration', '1s', '--workers', '1', '--quiet', '--report', report]);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(json.requests.sent).toBeGreaterThan(0);
    expect(json.requests.ok).toBe(json.requests.sent);
    expect(Object.values(json.errors).every((n) => n === 0)).toBe(true);
  });
});
