import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_PROFILES, loadProfile, parseProfile, profilesDir, validateProfile } from '../src/config/profile.js';
import { UsageError } from '../src/shared/errors.js';

const Ajv = AjvModule.default;
const TOOLS_CALL = { name: 'echo', arguments: { text: 'hello from mcpload' } };
const READ = { uri: 'mcpload://resources/1' };
const PROMPT = { name: 'greeting', arguments: { name: 'mcpload' } };
const RECONNECT = { initialDelayMs: 100, maxDelayMs: 10_000, maxAttempts: 0 };

describe('built-in profiles', () => {
  it('lists the five built-ins in the spec order', () => {
    expect(BUILTIN_PROFILES).toEqual(['high-load', 'normal', 'low-load', 'slow-client', 'message-bomber']);
  });

  it.each([
    [
      'high-load',
      50,
      1000,
      100,
      2048,
      5_000,
      300_000,
      256,
      [
        { method: 'tools/call', weight: 50, params: TOOLS_CALL, discover: 'fallback' },
        { method: 'resources/read', weight: 30, params: READ, discover: 'fallback' },
        { method: 'prompts/get', weight: 20, params: PROMPT, discover: 'fallback' },
      ],
    ],
    [
      'normal',
      25,
      100,
      10,
      512,
      10_000,
      600_000,
      64,
      [
        { method: 'tools/call', weight: 40, params: TOOLS_CALL, discover: 'fallback' },
        { method: 'resources/list', weight: 30 },
        { method: 'resources/read', weight: 30, params: READ, discover: 'fallback' },
      ],
    ],
    [
      'low-load',
      10,
      10,
      1,
      256,
      30_000,
      1_800_000,
      16,
      [
        { method: 'tools/list', weight: 50 },
        { method: 'resources/list', weight: 50 },
      ],
    ],
    ['slow-client', 5, 1, 1, 1024, 60_000, 900_000, 16, [{ method: 'resources/read', weight: 100, params: READ, discover: 'fallback' }]],
    ['message-bomber', 10, 10_000, 1000, 128, 2_000, 120_000, 1024, [{ method: 'ping', weight: 100 }]],
  ] as const)('%s keeps the spec numbers', (name, clients, rate, burst, messageSize, timeoutMs, sessionTtlMs, maxInFlight, mix) => {
    const p = loadProfile(name);
    expect(p).toMatchObject({ name, clients, rate, burst, messageSize, timeoutMs, sessionTtlMs, maxInFlight });
    expect(p.mix).toEqual(mix);
    expect(p.reconnect).toEqual(RECONNECT);
    expect(p.stages).toEqual([]);
    expect(p.description).toBeTruthy();
    if (name === 'slow-client') expect(p.slowRead).toEqual({ pauseMs: 900, intervalMs: 1000 });
    else expect(p.slowRead).toBeUndefined();
  });

  it('every built-in validates against the shipped JSON Schema', () => {
    const schema = JSON.parse(readFileSync(join(profilesDir(), '..', 'schema', 'profile.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(schema);
    for (const name of BUILTIN_PROFILES) {
      const raw = parse(readFileSync(join(profilesDir(), `${name}.yaml`), 'utf8'));
      expect(validate(raw), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(raw.name).toBe(name);
    }
  });
});

const BASE = 'name: t\nclients: 2\nrate: 5\nmix:\n  - method: ping\n';

describe('invalid profiles', () => {
  it.each([
    ['malformed YAML', 'name: t\nclients: [1, 2\nrate: 5\n', 'not valid YAML at line'],
    ['unknown key', BASE + 'rats: 5\n', 'unknown field "rats" (did you mean "rate"?)'],
    ['unknown nested key', BASE + 'reconnect:\n  maxDelays: 5s\n', 'reconnect: unknown field "maxDelays" (did you mean "maxDelay"?)'],
    ['negative clients', BASE.replace('clients: 2', 'clients: -5'), 'clients: must be >= 1 (got -5)'],
    ['too many clients', BASE.replace('clients: 2', 'clients: 2000000'), 'clients: must be <= 1000000'],
    ['fractional clients', BASE.replace('clients: 2', 'clients: 2.5'), 'clients: must be a whole number (got 2.5)'],
    ['zero rate', BASE.replace('rate: 5', 'rate: 0'), 'rate: must be > 0 (got 0)'],
    ['missing rate', BASE.replace('rate: 5\n', ''), 'missing required field "rate"'],
    ['bad duration', BASE + 'timeout: 5 sec\n', 'timeout: must be greater than 0, a duration like 250ms, 5s or 5m (or a number of seconds) (got "5 sec")'],
    ['zero timeout', BASE + 'timeout: 0s\n', 'timeout: must be greater than 0'],
    ['bad size', BASE + 'messageSize: 2 kilobytes\n', 'messageSize: must be a size like'],
    ['oversized message', BASE + 'messageSize: 32MiB\n', 'messageSize: must be at most 16MiB'],
    ['empty mix', 'name: t\nclients: 2\nrate: 5\nmix: []\n', 'mix: must list at least one method'],
    ['bad method', BASE.replace('ping', 'tool/call'), 'mix[0].method: "tool/call" is not an MCP client request method (did you mean "tools/call"?)'],
    ['initialize without its params', BASE.replace('ping', 'initialize'), 'mix[0].params: initialize needs params.protocolVersion'],
    ['mix item not a mapping', BASE.replace('- method: ping', '- ping'), 'mix[0]: must be a mapping like "- method: ping" (got "ping")'],
    ['negative weight', BASE + '  - method: tools/list\n    weight: -3\n', 'mix[1].weight: must be > 0 (got -3)'],
    ['tools/call without name', BASE.replace('ping', 'tools/call\n    params: {arguments: {}}'), 'mix[0].params: tools/call needs params.name'],
    ['resources/read with bad uri', BASE.replace('ping', 'resources/read\n    params: {uri: 7}'), 'mix[0].params.uri: must be a non-empty string (got 7)'],
    [
      'maxDelay < initialDelay',
      BASE + 'reconnect: {initialDelay: 5s, maxDelay: 1s}\n',
      'reconnect.maxDelay: must be >= reconnect.initialDelay ("5s") (got "1s")',
    ],
    [
      'initialDelay over default maxDelay',
      BASE + 'reconnect: {initialDelay: 20s}\n',
      'reconnect.maxDelay: must be >= reconnect.initialDelay ("20s") (got the default 10s)',
    ],
    ['pause >= interval', BASE + 'slowRead: {pause: 2s, interval: 1s}\n', 'slowRead.pause: must be shorter than slowRead.interval'],
    ['stage without duration', BASE + 'stages:\n  - clients: 10\n', 'stages[0]: missing required field "duration"'],
    ['bad name', BASE.replace('name: t', 'name: High Load'), 'name: must be lowercase letters'],
    ['non-object root', '- a\n- b\n', 'the profile must be a mapping of fields (name, clients, rate, mix, ...) (got a list)'],
    ['empty file', '', 'the profile must be a mapping of fields (name, clients, rate, mix, ...) (got nothing)'],
  ])('%s', (_, text, expected) => {
    const err = catchError(() => parseProfile(text, 'my.yaml'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(`my.yaml: ${expected}`);
    expect(err.message).not.toContain('\n');
  });

  it('reports malformed JSON with its line', () => {
    const err = catchError(() => parseProfile('{\n  "name": "t",\n  "clients": ,\n}', 'my.json'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/^my\.json: not valid JSON/);
    expect(err.message).not.toContain('\n');
  });

  it('names the unknown built-in and lists the real ones', () => {
    const err = catchError(() => loadProfile('hihg-load'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      'no such profile "hihg-load": built-ins are high-load, normal, low-load, slow-client, message-bomber (or give a path to a .yaml file)',
    );
  });

  it('reports a missing file without a stack trace', () => {
    const err = catchError(() => loadProfile('./does-not-exist.yaml'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('cannot read profile file ./does-not-exist.yaml: ENOENT (no such file)');
  });

  it('validateProfile rejects a non-object value', () => {
    expect(() => validateProfile(42, 'x.json')).toThrow(/^x\.json: the profile must be a mapping .*\(got 42\)$/);
  });
});

describe('user profile files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcpload-profile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a YAML file with stages and normalizes durations, sizes and defaults', () => {
    const file = join(dir, 'ramp.yml');
    writeFileSync(
      file,
      [
        'name: ramp',
        'clients: 1000',
        'rate: 25',
        'messageSize: 2KiB',
        'timeout: 1500ms',
        'mix:',
        '  - method: tools/call',
        '    params: {name: echo}',
        'stages:',
        '  - {duration: 30s, clients: 10000}',
        '  - {duration: 2m, clients: 50000, rate: 10}',
        '  - {duration: 1h, clients: 100000}',
        '  - {duration: 90, clients: 0}',
      ].join('\n'),
    );
    expect(loadProfile(file)).toEqual({
      name: 'ramp',
      clients: 1000,
      rate: 25,
      burst: 3,
      messageSize: 2048,
      timeoutMs: 1500,
      sessionTtlMs: 0,
      maxInFlight: 64,
      mix: [{ method: 'tools/call', weight: 1, params: { name: 'echo' } }],
      reconnect: RECONNECT,
      stages: [
        { durationMs: 30_000, clients: 10_000 },
        { durationMs: 120_000, clients: 50_000, rate: 10 },
        { durationMs: 3_600_000, clients: 100_000 },
        { durationMs: 90_000, clients: 0 },
      ],
    });
  });

  it('loads a JSON file, with $schema for editors', () => {
    const file = join(dir, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({
        $schema: '../schema/profile.schema.json',
        name: 'json-one',
        clients: 3,
        rate: 0.5,
        timeout: 2,
        sessionTtl: '1m',
        mix: [{ method: 'resources/read', weight: 2, params: { uri: 'mcpload://resources/2' } }],
        reconnect: { maxAttempts: 5 },
        slowRead: { pause: '100ms', interval: '500ms' },
      }),
    );
    const p = loadProfile(file);
    expect(p).toMatchObject({ name: 'json-one', clients: 3, rate: 0.5, burst: 1, timeoutMs: 2000, sessionTtlMs: 60_000 });
    expect(p.reconnect).toEqual({ initialDelayMs: 100, maxDelayMs: 10_000, maxAttempts: 5 });
    expect(p.slowRead).toEqual({ pauseMs: 100, intervalMs: 500 });
    expect(p).not.toHaveProperty('$schema');
  });

  it('names the file in errors from a user file', () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, BASE + 'maxInflight: 10\n');
    expect(() => loadProfile(file)).toThrow(`${file}: unknown field "maxInflight" (did you mean "maxInFlight"?)`);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}
