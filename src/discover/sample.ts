/**
 * Arguments from a tool's inputSchema, sampled by json-schema-faker (seeded, so a seed gives the
 * same arguments every time): required properties only, a schema's `default` and `examples` first,
 * and every sample checked against the schema with ajv before it is used.
 */
import { generateSync } from 'json-schema-faker';
import AjvModule from 'ajv';
import type { Prompt } from './catalog.js';

// ajv is CommonJS: under NodeNext its default import is the module object, the class is `.default`.
const Ajv = AjvModule.default;
const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });

/** Seeds tried, from the given one up, before a schema is given up on. */
const TRIES = 8;

/** Arguments valid for `schema`, or undefined when none of TRIES samples validates. */
export function sampleArguments(schema: Record<string, unknown> | undefined, seed: number): Record<string, unknown> | undefined {
  if (!schema || Object.keys(schema).length === 0) return {};
  const { $schema: _version, ...plain } = schema;
  const valid = validatorOf(plain);
  for (let i = 0; i < TRIES; i++) {
    let value: unknown;
    try {
      value = generateSync(plain, {
        seed: seed + i,
        useDefaultValue: true,
        useExamplesValue: true,
        alwaysFakeOptionals: false,
        optionalsProbability: 0,
        maxDefaultItems: 2,
        validateSchemaVersion: false,
        failOnInvalidTypes: false,
      });
    } catch {
      return undefined;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && (valid === undefined || valid(value))) return value as Record<string, unknown>;
  }
  return undefined;
}

function validatorOf(schema: Record<string, unknown>): ((v: unknown) => boolean) | undefined {
  try {
    const f = ajv.compile(schema);
    return (v) => f(v);
  } catch {
    return undefined; // a schema ajv cannot compile: the probe call will tell
  }
}

/** Whether `args` satisfy `schema` (an uncompilable schema: yes, the server will say). */
export function argumentsFit(schema: Record<string, unknown> | undefined, args: unknown): boolean {
  if (!schema) return true;
  const { $schema: _version, ...plain } = schema;
  return validatorOf(plain)?.(args ?? {}) ?? true;
}

/** A prompt's arguments are strings: its required ones get a sampled word each. */
export function promptArguments(prompt: Prompt, seed: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of prompt.arguments ?? []) {
    if (!a.required) continue;
    const word = generateSync({ type: 'string', minLength: 3, maxLength: 12, pattern: '^[a-z]+$' }, { seed: seed++ });
    out[a.name] = typeof word === 'string' && word ? word : 'mcpload';
  }
  return out;
}

/** Whether `args` give every required argument of `prompt`. */
export function promptArgumentsFit(prompt: Prompt, args: unknown): boolean {
  const given = args !== null && typeof args === 'object' ? (args as Record<string, unknown>) : {};
  return (prompt.arguments ?? []).every((a) => !a.required || typeof given[a.name] === 'string');
}
