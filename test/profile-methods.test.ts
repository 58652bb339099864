/**
 * The profile accepts every client request method of the 2025-11-25 revision (its ClientRequest
 * union) and custom methods marked `custom: true`, and those reach the server as written; bad
 * templates, data files and model fields are one line and exit 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProfile } from '../src/config/profile.js';
import { runEngine } from './helpers/engine-run.js';
import { runCli } from './helpers/cli.js';
import { answeringServer, type BaseServer } from './helpers/raw-servers.js';

/** schema/2025-11-25/schema.ts ClientRequest, each with the params it needs. */
const CLIENT_REQUESTS: Record<string, string> = {
  ping: '',
  initialize: '{protocolVersion: 2025-11-25, capabilities: {}, clientInfo: {name: t, version: "1"}}',
  'completion/complete': '{ref: {type: ref/prompt, name: p}, argument: {name: a, value: b}}',
  'logging/setLevel': '{level: info}',
  'prompts/get': '{name: p}',
  'prompts/list': '',
  'resources/list': '',
  'resources/templates/list': '',
  'resources/read': '{uri: "file:///a"}',
  'resources/subscribe': '{uri: "file:///a"}',
  'resources/unsubscribe': '{uri: "file:///a"}',
  'tools/call': '{name: t}',
  'tools/list': '',
  'tasks/get': '{taskId: t1}',
  'tasks/list': '',
  'tasks/result': '{taskId: t1}',
  'tasks/cancel': '{taskId: t1}',
};

const profileWith = (entries: string) => `name: methods\nclients: 1\nrate: 200\nmix:\n${entries}`;
const entry = (method: string, params: string, more = '') => `  - method: ${method}\n${params ? `    params: ${params}\n` : ''}${more}`;

let server: BaseServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('profile methods', () => {
  it('accepts every 2025-11-25 client method and a custom one, and sends them as written', async () => {
    const entries =
      Object.entries(CLIENT_REQUESTS)
        .map(([m, p]) => entry(m, p))
        .join('') + entry('x-acme/reindex', '{scope: all}', '    custom: true\n');
    const profile = parseProfile(profileWith(entries), 'methods.yaml');
    expect(profile.mix.map((e) => e.method)).toEqual([...Object.keys(CLIENT_REQUESTS), 'x-acme/reindex']);
    server = await answeringServer();
    // 500/s for 1.5 s: one pass of the mix is 18 requests, so even a loaded machine sends every one.
    await runEngine({ url: server.url, profile: { ...profile, rate: 500 }, durationMs: 1500 });
    const received = new Set(server.frames.flatMap((f) => f.text.split('\n').filter(Boolean)).map((line) => (JSON.parse(line) as { method?: string }).method));
    for (const method of [...Object.keys(CLIENT_REQUESTS), 'x-acme/reindex']) expect(received).toContain(method);
  });

  it.for([
    ['an unknown method', entry('x-acme/reindex', ''), 'mix[0].method: "x-acme/reindex" is not an MCP client request method', 'custom: true'],
    ['a notification as a custom method', entry('notifications/x', '', '    custom: true\n'), 'mix[0].method: a custom method is a request name', ''],
    ['tasks/get without taskId', entry('tasks/get', ''), 'mix[0].params: tasks/get needs params.taskId', ''],
    ['an unknown template function', entry('tools/call', '{name: "{{uuid}}"}'), 'mix[0].params.name: unknown template function "{{uuid}}"', ''],
    ['a bad template argument', entry('ping', '{a: "{{randInt one 2}}"}'), 'mix[0].params.a: {{randInt one 2}}: "one" is not an integer', ''],
    ['an unclosed template', entry('ping', '{a: "x {{seq"}'), 'mix[0].params.a: unclosed template', ''],
    ['a row without a data file', entry('ping', '{a: "{{row.id}}"}'), 'mix[0].params: {{row.id}} needs a data file', ''],
    ['a missing data file', entry('ping', '{a: "{{row.id}}"}', '    data: nowhere.csv\n'), 'mix[0].data: cannot read data file nowhere.csv: no such file', ''],
    [
      'a CSV row of the wrong width',
      entry('ping', '{a: "{{row.id}}"}', '    data: wide.csv\n'),
      'mix[0].data: data file wide.csv: line 3: 3 fields, the header has 2',
      '',
    ],
    [
      'an unclosed CSV quote',
      entry('ping', '{a: "{{row.id}}"}', '    data: quote.csv\n'),
      'mix[0].data: data file quote.csv: line 2: a quoted cell is never closed',
      '',
    ],
    ['a CSV without the field', entry('ping', '{a: "{{row.nope}}"}', '    data: wide.csv\n'), 'mix[0].data: data file wide.csv: no column "nope"', ''],
    [
      'a JSON lines row that is not JSON',
      entry('ping', '{a: "{{row.id}}"}', '    data: bad.jsonl\n'),
      'mix[0].data: data file bad.jsonl: line 2: not valid JSON',
      '',
    ],
    ['a data file of another kind', entry('ping', '{a: "{{row.id}}"}', '    data: rows.txt\n'), 'mix[0].data: data file rows.txt: name it .csv', ''],
  ] as const)('refuses %s: one line, exit 2', async ([, entries, line, hint]) => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-methods-'));
    writeFileSync(join(dir, 'wide.csv'), 'id,name\n1,a\n2,b,c\n');
    writeFileSync(join(dir, 'quote.csv'), 'id,name\n"1,a\n');
    writeFileSync(join(dir, 'bad.jsonl'), '{"id": 1}\n{id: 2}\n');
    writeFileSync(join(dir, 'rows.txt'), 'id\n1\n');
    const file = join(dir, 'p.yaml');
    writeFileSync(file, profileWith(entries));
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(line);
    if (hint) expect(lines[0]).toContain(hint);
  });
});
