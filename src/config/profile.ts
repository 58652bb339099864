/**
 * Profiles: load a built-in or a user's YAML/JSON file, validate it against the shipped JSON Schema
 * plus the checks a schema cannot express, and normalize it (ms, bytes, defaults applied).
 * Every problem becomes one UsageError line: file, field path, what is wrong, how to fix it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import { UsageError, describe } from '../shared/errors.js';
import { describeSchemaError, pickError, show } from './profile-messages.js';
import type { ClientAnswers, ClosedModel, MixEntry, Profile, RequestSpec, Stage } from '../shared/types.js';
import { parseDuration, parseSize } from './units.js';
import { compileTemplates, hasTemplates, templatedStrings, TemplateError } from './templates.js';
import { DataFileError, loadDataFile } from './data-file.js';
import { flowSteps, type RawRequest, type RawStep } from './flow.js';

// ajv is CommonJS: under NodeNext its default import is the module object, the class is `.default`.
const Ajv = AjvModule.default;

/** The package root: this file sits two levels under it, in src/config/ (tests) or dist/config/ (built). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of the built-in profiles directory. */
export function profilesDir(): string {
  return join(PACKAGE_ROOT, 'profiles');
}

/** Absolute path of the shipped JSON Schema for profile files. */
export function profileSchemaPath(): string {
  return join(PACKAGE_ROOT, 'schema', 'profile.schema.json');
}

const BUILTIN_ORDER = ['high-load', 'normal', 'low-load', 'slow-client', 'message-bomber'];
const PROFILE_FILE = /\.(ya?ml|json)$/i;

/** Built-in profile names, in the order of the spec's table (any others after, sorted). */
export const BUILTIN_PROFILES: readonly string[] = Object.freeze(
  readdirSync(profilesDir())
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => basename(f, extname(f)))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
);

function rank(name: string): number {
  const i = BUILTIN_ORDER.indexOf(name);
  return i === -1 ? BUILTIN_ORDER.length : i;
}

/** A built-in name ("normal") or a path to a .yaml/.yml/.json file. */
export function loadProfile(nameOrPath: string): Profile {
  const builtin = BUILTIN_PROFILES.includes(nameOrPath);
  const looksLikePath = /[\\/]/.test(nameOrPath) || PROFILE_FILE.test(nameOrPath) || exists(nameOrPath);
  if (!builtin && !looksLikePath) {
    throw new UsageError(`no such profile "${nameOrPath}": built-ins are ${BUILTIN_PROFILES.join(', ')} (or give a path to a .yaml file)`);
  }
  const file = builtin ? join(profilesDir(), `${nameOrPath}.yaml`) : nameOrPath;
  const source = builtin ? `profiles/${nameOrPath}.yaml` : nameOrPath;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read profile file ${source}: ${fsProblem(err)}`);
  }
  return parseProfile(text, source);
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const what: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory, not a file',
  };
  return code ? `${code}${what[code] ? ` (${what[code]})` : ''}` : describe(err);
}

/** Parse YAML (or JSON, when source ends in .json) and validate it. */
export function parseProfile(text: string, source: string): Profile {
  return validateProfile(/\.json$/i.test(source) ? parseJson(text, source) : parseYaml(text, source), source);
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    const message = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`${source}: not valid YAML${line ? ` at line ${line}` : ''}: ${message}`);
  }
  return doc.toJS();
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the problem, newlines and all: keep it to one line.
    const message = describe(err).replace(/\s*\n\s*/g, ' ');
    const position = /at position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    throw new UsageError(`${source}: not valid JSON${line ? ` at line ${line}` : ''}: ${message}`);
  }
}

let schemaValidator: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!schemaValidator) {
    const schema = JSON.parse(readFileSync(profileSchemaPath(), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    schemaValidator = ajv.compile(schema);
  }
  return schemaValidator;
}

const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/** Raw profile as the schema admits it. */
interface RawProfile {
  name: string;
  description?: string;
  clients?: number;
  rate?: number;
  model?: 'open' | 'closed';
  concurrency?: number;
  thinkTime?: number | string | { min: number | string; max: number | string };
  burst?: number;
  messageSize?: number | string;
  timeout?: number | string;
  sessionTtl?: number | string;
  maxInFlight?: number;
  mix?: (RawRequest & { weight?: number })[];
  flow?: RawStep[];
  arrivalRate?: number;
  discovery?: { tools?: string[]; seed?: number };
  reconnect?: { initialDelay?: number | string; maxDelay?: number | string; maxAttempts?: number };
  slowRead?: { pause: number | string; interval: number | string };
  stages?: { duration: number | string; clients?: number; rate?: number; arrivalRate?: number }[];
  capabilities?: Partial<Record<keyof ClientAnswers, true | { result?: Record<string, unknown>; delay?: number | string }>>;
  subscribe?: string[];
  cacheLists?: boolean;
}

/** What each declared capability answers unless the profile says otherwise. */
const DEFAULT_ANSWERS: Record<keyof ClientAnswers, Record<string, unknown>> = {
  sampling: { role: 'assistant', content: { type: 'text', text: 'mcpload' }, model: 'mcpload', stopReason: 'endTurn' },
  elicitation: { action: 'accept', content: {} },
  roots: { roots: [{ uri: 'file:///mcpload', name: 'mcpload' }] },
};

function clientAnswers(raw: RawProfile['capabilities'], source: string): ClientAnswers | undefined {
  if (raw === undefined) return undefined;
  const out: ClientAnswers = {};
  for (const kind of ['sampling', 'elicitation', 'roots'] as const) {
    const a = raw[kind];
    if (a === undefined) continue;
    out[kind] = a === true ? { result: DEFAULT_ANSWERS[kind], delayMs: 0 } : { result: a.result ?? DEFAULT_ANSWERS[kind], delayMs: ms(a.delay ?? 0) };
    if (a !== true && a.result !== undefined) {
      let templated: boolean;
      try {
        templated = hasTemplates(compileTemplates(a.result, `capabilities.${kind}.result`));
      } catch (err) {
        throw new UsageError(`${source}: ${describe(err)}`);
      }
      if (templated) out[kind].templated = true;
    }
  }
  return out;
}

/** A parsed raw object -> a normalized Profile; throws UsageError naming `source` and the field. */
export function validateProfile(raw: unknown, source: string): Profile {
  const validate = validator();
  if (!validate(raw)) {
    throw new UsageError(`${source}: ${describeSchemaError(pickError(validate.errors ?? []), raw)}`);
  }
  const p = raw as RawProfile;
  const fail = (field: string, problem: string): never => {
    throw new UsageError(`${source}: ${field}: ${problem}`);
  };

  const messageSize = parseSize(p.messageSize ?? 0) as number;
  if (messageSize > MAX_MESSAGE_SIZE) fail('messageSize', `must be at most 16MiB (got ${show(p.messageSize)})`);

  const reconnect = {
    initialDelayMs: ms(p.reconnect?.initialDelay ?? '100ms'),
    maxDelayMs: ms(p.reconnect?.maxDelay ?? '10s'),
    maxAttempts: p.reconnect?.maxAttempts ?? 0,
  };
  if (reconnect.maxDelayMs < reconnect.initialDelayMs) {
    const given = p.reconnect?.maxDelay === undefined ? 'the default 10s' : show(p.reconnect.maxDelay);
    fail('reconnect.maxDelay', `must be >= reconnect.initialDelay (${show(p.reconnect?.initialDelay)}) (got ${given})`);
  }

  let slowRead: Profile['slowRead'];
  if (p.slowRead) {
    slowRead = { pauseMs: ms(p.slowRead.pause), intervalMs: ms(p.slowRead.interval) };
    if (slowRead.pauseMs >= slowRead.intervalMs) {
      fail('slowRead.pause', `must be shorter than slowRead.interval (${show(p.slowRead.interval)}) (got ${show(p.slowRead.pause)})`);
    }
  }

  const mix = (p.mix ?? []).map((entry, i): MixEntry => ({ ...requestSpec(entry, `mix[${i}]`, source, fail), weight: entry.weight ?? 1 }));
  if (mix.length > 0 && p.model !== 'closed' && p.rate === undefined) fail('rate', 'the mix needs a rate per client (requests/s), e.g. rate: 10');
  const flow = p.flow ? flowSteps(p.flow, (raw, field) => requestSpec(raw, field, source, fail), fail) : undefined;
  const arrivals = p.arrivalRate !== undefined || (p.stages ?? []).some((s) => s.arrivalRate !== undefined);
  if (arrivals && !flow) fail('arrivalRate', 'arriving sessions run a flow and then close: add flow: (the steps each session runs)');
  if (arrivals && p.model === 'closed') fail('arrivalRate', 'session arrivals are an open model of sessions; drop model: closed');
  if (flow && p.model === 'closed') fail('flow', 'a flow sets its own pace (think steps); drop model: closed');
  if (!arrivals && p.clients === undefined) fail('clients', 'missing: give clients (a fixed population of sessions), or arrivalRate with a flow');
  if (arrivals && p.clients !== undefined) fail('clients', 'with arrivalRate, concurrent sessions are a result, not an input: drop clients');

  const closed = closedModel(p, fail);
  const stages = (p.stages ?? []).map((s, i): Stage => {
    if (arrivals && s.clients !== undefined) fail(`stages[${i}].clients`, 'with arrivals, a stage ramps arrivalRate, not clients');
    if (!arrivals && s.clients === undefined) fail(`stages[${i}]`, 'missing required field "clients"');
    if (!arrivals && s.arrivalRate !== undefined) fail(`stages[${i}].arrivalRate`, 'is for session arrivals: give arrivalRate at the top too');
    const stage: Stage = { durationMs: ms(s.duration), clients: s.clients ?? 0 };
    if (s.rate !== undefined) {
      if (closed) fail(`stages[${i}].rate`, 'a closed model has no rate: its clients send when a request ends (drop rate, or use model: open)');
      stage.rate = s.rate;
    }
    if (s.arrivalRate !== undefined) stage.arrivalRate = s.arrivalRate;
    return stage;
  });
  const rate = closed ? 0 : (p.rate ?? 0);

  const profile: Profile = {
    name: p.name,
    clients: p.clients ?? 0,
    rate,
    burst: p.burst ?? Math.max(1, Math.ceil(rate * 0.1)),
    messageSize,
    timeoutMs: ms(p.timeout ?? '10s'),
    sessionTtlMs: ms(p.sessionTtl ?? 0),
    maxInFlight: p.maxInFlight ?? 64,
    mix,
    reconnect,
    stages,
  };
  if (p.description !== undefined) profile.description = p.description;
  if (slowRead) profile.slowRead = slowRead;
  if (closed) profile.closed = closed;
  if (flow) profile.flow = flow;
  if (arrivals) profile.arrivalRate = p.arrivalRate ?? 0;
  if (p.discovery) profile.discovery = { tools: p.discovery.tools ?? [], seed: p.discovery.seed ?? 1 };
  const answers = clientAnswers(p.capabilities, source);
  if (answers) profile.answers = answers;
  if (p.subscribe) profile.subscribe = p.subscribe;
  if (p.cacheLists) profile.cacheLists = true;
  return profile;
}

/** A mix entry's or a flow step's request (at `field`, e.g. mix[1] or flow[2].steps[0]), checked and normalized. */
function requestSpec(entry: RawRequest, field: string, source: string, fail: (field: string, problem: string) => never): RequestSpec {
  if (entry.discover !== undefined && !DISCOVERABLE_METHODS.includes(entry.method))
    fail(`${field}.discover`, `only ${DISCOVERABLE_METHODS.join(', ')} draw targets from discovery (got method ${entry.method})`);
  // `discover: true` finds the name (or uri) itself; a fallback entry's params must be complete.
  const problem = entry.discover === true ? discoverParamsProblem(entry.params) : paramsProblem(entry.method, entry.params);
  if (problem) fail(`${field}.params${problem.field ? `.${problem.field}` : ''}`, problem.message);
  const out: RequestSpec = { method: entry.method };
  if (entry.params) out.params = entry.params;
  if (entry.custom) out.custom = true;
  const data = entryData(entry, field, source, fail);
  if (data) out.data = data;
  if (entry.discover !== undefined) out.discover = entry.discover === true ? 'all' : 'fallback';
  if (entry.progress) out.progress = true;
  if (entry.cancelAfter !== undefined) {
    out.cancelAfterMs = ms(entry.cancelAfter);
    if (!(out.cancelAfterMs > 0)) fail(`${field}.cancelAfter`, `must be a duration > 0 (got ${show(entry.cancelAfter)})`);
  }
  return out;
}

/** model: closed -> its concurrency and think time; open model fields with it are refused. */
function closedModel(p: RawProfile, fail: (field: string, problem: string) => never): ClosedModel | undefined {
  if (p.model !== 'closed') {
    if (p.concurrency !== undefined) fail('concurrency', 'is for model: closed (the open model bounds requests in flight with maxInFlight)');
    if (p.thinkTime !== undefined) fail('thinkTime', 'is for model: closed (the open model sends at rate)');
    return undefined;
  }
  if (p.rate !== undefined) fail('rate', 'a closed model has no rate: each client sends when a request ends (drop rate, or use model: open)');
  if (p.burst !== undefined) fail('burst', 'a closed model has no token bucket (drop burst)');
  const think = p.thinkTime ?? 0;
  const [min, max] = typeof think === 'object' ? [ms(think.min), ms(think.max)] : [ms(think), ms(think)];
  if (max < min) fail('thinkTime.max', `must be >= thinkTime.min (got ${show((think as { max: unknown }).max)})`);
  return { concurrency: p.concurrency ?? 1, thinkMinMs: min, thinkMaxMs: max };
}

/**
 * Checks the entry's templates (unknown functions, bad arguments, {{row.X}} without a data file) and
 * reads its data file, keeping the fields the templates use. A relative path is relative to the profile file.
 */
function entryData(entry: RawRequest, at: string, source: string, fail: (field: string, problem: string) => never): MixEntry['data'] | undefined {
  let fields: string[];
  try {
    const holes = templatedStrings(entry.params ?? {}).flatMap((t) => t.parts);
    fields = [...new Set(holes.flatMap((h) => (typeof h === 'object' && h.fn === 'row' ? [h.field] : [])))];
  } catch (err) {
    if (err instanceof TemplateError) fail(`${at}.params.${err.message.split(': ')[0]}`, err.message.slice(err.message.indexOf(': ') + 2));
    throw err;
  }
  if (entry.data === undefined) {
    if (fields.length > 0) fail(`${at}.params`, `{{row.${fields[0]}}} needs a data file: add data: rows.csv (or .jsonl) to the entry`);
    return undefined;
  }
  if (fields.length === 0) fail(`${at}.data`, 'no template uses it: name its fields in params as {{row.FIELD}}');
  try {
    return loadDataFile(resolve(dirname(source), entry.data), entry.data, fields);
  } catch (err) {
    if (err instanceof DataFileError) fail(`${at}.data`, err.message);
    throw err;
  }
}

/** The schema has already checked the format, so this always yields a number. */
function ms(value: number | string): number {
  return parseDuration(value) as number;
}

/**
 * Params each method needs to be a valid MCP request (per the MCP spec's request schemas).
 * Field -> expected JSON type.
 */
const REQUIRED_PARAMS: Record<string, Record<string, 'string' | 'object'>> = {
  initialize: { protocolVersion: 'string', capabilities: 'object', clientInfo: 'object' },
  'tasks/get': { taskId: 'string' },
  'tasks/result': { taskId: 'string' },
  'tasks/cancel': { taskId: 'string' },
  'tools/call': { name: 'string' },
  'prompts/get': { name: 'string' },
  'resources/read': { uri: 'string' },
  'resources/subscribe': { uri: 'string' },
  'resources/unsubscribe': { uri: 'string' },
  'completion/complete': { ref: 'object', argument: 'object' },
  'logging/setLevel': { level: 'string' },
};
const OPTIONAL_OBJECT_PARAMS: Record<string, string> = { 'tools/call': 'arguments', 'prompts/get': 'arguments' };
const EXAMPLES: Record<string, string> = {
  initialize: '{protocolVersion: 2025-11-25, capabilities: {}, clientInfo: {name: mcpload, version: "1"}}',
  'tasks/get': '{taskId: "{{row.task}}"}',
  'tasks/result': '{taskId: "{{row.task}}"}',
  'tasks/cancel': '{taskId: "{{row.task}}"}',
  'tools/call': '{name: echo, arguments: {text: hi}}',
  'prompts/get': '{name: greeting}',
  'resources/read': '{uri: "mcpload://resources/1"}',
  'resources/subscribe': '{uri: "mcpload://resources/1"}',
  'resources/unsubscribe': '{uri: "mcpload://resources/1"}',
  'completion/complete': '{ref: {type: ref/prompt, name: greeting}, argument: {name: name, value: m}}',
  'logging/setLevel': '{level: info}',
};

/** What is wrong with a mix entry's params: the field under params ('' for params itself) and the problem. */
function paramsProblem(method: string, params: Record<string, unknown> | undefined): { field: string; message: string } | undefined {
  for (const [field, type] of Object.entries(REQUIRED_PARAMS[method] ?? {})) {
    const value = params?.[field];
    if (value === undefined) {
      return { field: '', message: `${method} needs params.${field}, e.g. params: ${EXAMPLES[method]}` };
    }
    const ok = type === 'string' ? typeof value === 'string' && value !== '' : isObject(value);
    if (!ok) return { field, message: `must be ${type === 'string' ? 'a non-empty string' : 'a mapping'} (got ${show(value)})` };
  }
  const optional = OPTIONAL_OBJECT_PARAMS[method];
  if (optional && params?.[optional] !== undefined && !isObject(params[optional])) {
    return { field: optional, message: `must be a mapping of argument names to values (got ${show(params[optional])})` };
  }
  return undefined;
}

/** The methods whose mix entries may draw their targets from discovery. */
const DISCOVERABLE_METHODS = ['tools/call', 'resources/read', 'prompts/get'];

/** With `discover: true`, params are optional; what is given must still have the right types. */
function discoverParamsProblem(params: Record<string, unknown> | undefined): { field: string; message: string } | undefined {
  for (const field of ['name', 'uri']) {
    const v = params?.[field];
    if (v !== undefined && (typeof v !== 'string' || v === '')) return { field, message: `must be a non-empty string (got ${show(v)})` };
  }
  if (params?.arguments !== undefined && !isObject(params.arguments))
    return { field: 'arguments', message: `must be a mapping of argument names to values (got ${show(params.arguments)})` };
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
