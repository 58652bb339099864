/**
 * Params templates: `{{seq}}`, `{{session}}`, `{{randInt 1 100}}`, `{{randString 8}}`, `{{pick a b "c d"}}`
 * and `{{row.FIELD}}` inside the string values of a mix entry's params. The `{{ }}` syntax is what
 * Artillery's payload fields and Handlebars users already write; the functions are named like
 * Artillery's `$randomNumber`/`$randomString` helpers and k6's `__VU`/`__ITER`, without a script
 * language. A templated string stays a JSON string (a tool's string argument stays valid), except
 * `{{row.FIELD}}` alone, which is the field's JSON value. A template is parsed once at load into plain data (Hole), and the engine fills holes in
 * prebuilt frames (worker/templated-frame.ts), never building JSON per request.
 */

export type Hole =
  /** The session's request number: 1 for its first mix request, +1 per request it sends. */
  | { fn: 'seq' }
  /** The session's index in the run: 0 .. clients-1. */
  | { fn: 'session' }
  /** A uniform random integer in [min, max]. */
  | { fn: 'randInt'; min: number; max: number }
  /** `length` random characters of [A-Za-z0-9]. */
  | { fn: 'randString'; length: number }
  /** One of `options`, at random. */
  | { fn: 'pick'; options: string[] }
  /** The field of the data file's current row. */
  | { fn: 'row'; field: string };

/** A templated string: literal text and holes, in order. */
export type TemplatePart = string | Hole;

export const TEMPLATE_FUNCTIONS = ['seq', 'session', 'randInt', 'randString', 'pick', 'row.FIELD'] as const;
const MAX_RANDOM_STRING = 65536;

export class TemplateError extends Error {}

/** The parts of `text`, or undefined when it holds no template (`{{`) at all. */
export function parseTemplate(text: string): TemplatePart[] | undefined {
  if (!text.includes('{{')) return undefined;
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open === -1) {
      parts.push(text.slice(at));
      break;
    }
    if (open > at) parts.push(text.slice(at, open));
    const close = text.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(`unclosed template "${text.slice(open, open + 30)}": end it with }}`);
    parts.push(parseHole(text.slice(open + 2, close).trim()));
    at = close + 2;
  }
  return parts;
}

function parseHole(body: string): Hole {
  const [name, ...args] = words(body);
  const want = (n: number, usage: string) => {
    if (args.length !== n) throw new TemplateError(`{{${body}}}: ${name} takes ${usage}`);
  };
  switch (name) {
    case 'seq':
    case 'session':
      want(0, 'no arguments');
      return { fn: name };
    case 'randInt': {
      want(2, 'MIN MAX, e.g. {{randInt 1 100}}');
      const [min, max] = args.map((a) => integer(a, body));
      if (min > max) throw new TemplateError(`{{${body}}}: MIN must not be above MAX`);
      return { fn: 'randInt', min, max };
    }
    case 'randString': {
      want(1, 'LENGTH, e.g. {{randString 8}}');
      const length = integer(args[0], body);
      if (length < 1 || length > MAX_RANDOM_STRING) throw new TemplateError(`{{${body}}}: LENGTH must be 1 to ${MAX_RANDOM_STRING}`);
      return { fn: 'randString', length };
    }
    case 'pick':
      if (args.length === 0) throw new TemplateError(`{{${body}}}: pick takes one or more values, e.g. {{pick red green "dark blue"}}`);
      return { fn: 'pick', options: args };
    default:
      if (name?.startsWith('row.') && name.length > 4 && args.length === 0) return { fn: 'row', field: name.slice(4) };
      throw new TemplateError(`unknown template function "{{${body}}}": use one of ${TEMPLATE_FUNCTIONS.map((f) => `{{${f}}}`).join(', ')}`);
  }
}

/** Space-separated words; "double quoted" words may hold spaces and \" escapes. */
function words(body: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

function integer(text: string, body: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new TemplateError(`{{${body}}}: "${text}" is not an integer`);
  return n;
}

/** parseTemplate, with a TemplateError naming where the string is (`path` under params). */
function parseTemplateAt(value: string, path: string): TemplatePart[] | undefined {
  try {
    return parseTemplate(value);
  } catch (err) {
    throw err instanceof TemplateError ? new TemplateError(`${path}: ${err.message}`) : err;
  }
}

/** Every templated string in `value` (params, at any depth), with its path under params. */
export function templatedStrings(value: unknown, path = ''): { path: string; parts: TemplatePart[] }[] {
  if (typeof value === 'string') {
    const parts = parseTemplateAt(value, path);
    return parts ? [{ path, parts }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => templatedStrings(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => templatedStrings(v, path ? `${path}.${k}` : k));
  }
  return [];
}

/** What a template is filled from outside frames (answers to the server's requests): the session's facts. */
export interface TemplateContext {
  /** `{{seq}}`: the session's requests (or answers) so far. */
  readonly seq: number;
  /** `{{session}}`: the session's index in the run. */
  readonly session: number;
}

/** A templated string of a JSON value compiled by compileTemplates. */
class Templated {
  constructor(readonly parts: TemplatePart[]) {}
}

/**
 * A JSON value with each templated string parsed once (throws TemplateError naming its path), for
 * renderTemplates to fill per use. `{{row.FIELD}}` needs a data file, which only mix entries have.
 */
export function compileTemplates(value: unknown, path = ''): unknown {
  if (typeof value === 'string') {
    const parts = parseTemplateAt(value, path);
    if (parts?.some((p) => typeof p === 'object' && p.fn === 'row'))
      throw new TemplateError(`${path}: {{row.FIELD}} needs a data file; use seq, session, randInt, randString or pick here`);
    return parts ? new Templated(parts) : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => compileTemplates(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compileTemplates(v, path ? `${path}.${k}` : k)]));
  return value;
}

/** True when compileTemplates found a template in `compiled`. */
export function hasTemplates(compiled: unknown): boolean {
  if (compiled instanceof Templated) return true;
  if (Array.isArray(compiled)) return compiled.some(hasTemplates);
  if (compiled !== null && typeof compiled === 'object') return Object.values(compiled).some(hasTemplates);
  return false;
}

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A compiled value with its templates filled: a fresh JSON value (random holes drawn anew). */
export function renderTemplates(compiled: unknown, ctx: TemplateContext): unknown {
  if (compiled instanceof Templated) {
    let text = '';
    for (const p of compiled.parts) text += typeof p === 'string' ? p : fill(p, ctx);
    return text;
  }
  if (Array.isArray(compiled)) return compiled.map((v) => renderTemplates(v, ctx));
  if (compiled !== null && typeof compiled === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(compiled)) out[k] = renderTemplates(v, ctx);
    return out;
  }
  return compiled;
}

function fill(h: Hole, ctx: TemplateContext): string {
  switch (h.fn) {
    case 'seq':
      return String(ctx.seq);
    case 'session':
      return String(ctx.session);
    case 'randInt':
      return String(h.min + Math.floor(Math.random() * (h.max - h.min + 1)));
    case 'randString': {
      let s = '';
      for (let i = 0; i < h.length; i++) s += CHARS[(Math.random() * CHARS.length) | 0];
      return s;
    }
    case 'pick':
      return h.options[Math.floor(Math.random() * h.options.length)];
    default:
      return '';
  }
}
