/**
 * Turning schema violations into one line a person can act on: the field path as they wrote it
 * (mix[1].weight), what is wrong, what they gave, and a "did you mean" for typos.
 */
import type { ErrorObject } from 'ajv';

/** mix[1].weight from the JSON pointer /mix/1/weight; '' for the root. */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

/** How a value reads in a message: "5 sec", -3, a list, a mapping, nothing. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

/** The closest candidate to a likely typo, or undefined when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const loose = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const exactish = candidates.find((c) => loose(c) === loose(word));
  if (exactish) return exactish;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

const DURATION_HINT = 'a duration like 250ms, 5s or 5m (or a number of seconds)';
const SIZE_HINT = 'a size like 2048, 2KiB or 1MiB';
const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  object: 'a mapping (key: value)',
  array: 'a list',
  boolean: 'true or false',
};

/**
 * Which schema violation to report when there are several: the root's shape first, then unknown
 * fields (a typo explains the "missing field" it also causes), missing fields, wrong types, the rest.
 */
const RANK: Record<string, number> = { additionalProperties: 1, required: 2, type: 3 };

export function pickError(errors: readonly ErrorObject[]): ErrorObject {
  const rank = (e: ErrorObject) => (e.instancePath === '' && e.keyword === 'type' ? 0 : (RANK[e.keyword] ?? 4));
  return errors.reduce((best, e) => (rank(e) < rank(best) ? e : best));
}

/** One "field: problem" line (without the file name) for a schema violation. */
export function describeSchemaError(e: ErrorObject, root: unknown): string {
  const path = fieldPath(e.instancePath);
  const at = path ? `${path}: ` : '';
  const value = valueAt(root, e.instancePath);
  const got = `(got ${show(value)})`;
  const kind = e.schemaPath.includes('/size/') ? 'size' : e.schemaPath.includes('uration/') || path === 'thinkTime' ? 'duration' : '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = didYouMean(
        field,
        known.filter((k) => k !== '$schema'),
      );
      const fix = guess ? `did you mean "${guess}"?` : `known fields: ${known.filter((k) => k !== '$schema').join(', ')}`;
      return `${at}unknown field ${JSON.stringify(field)} (${fix})`;
    }
    case 'required':
      return `${at}missing required field "${String(p.missingProperty)}"`;
    case 'type':
      if (path === '') return `the profile must be a mapping of fields (name, clients, rate, mix, ...) ${got}`;
      if (kind === 'duration') return `${at}must be ${DURATION_HINT} ${got}`;
      if (kind === 'size') return `${at}must be ${SIZE_HINT} ${got}`;
      if (/^mix\[\d+\]$/.test(path)) return `${at}must be a mapping like "- method: ping" ${got}`;
      return `${at}must be ${String(p.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ')} ${got}`;
    case 'pattern':
      if (kind === 'duration') {
        const positive = e.schemaPath.includes('positiveDuration');
        return `${at}must be ${positive ? `greater than 0, ${DURATION_HINT}` : DURATION_HINT} ${got}`;
      }
      if (kind === 'size') return `${at}must be ${SIZE_HINT} ${got}`;
      if (path === 'name') return `${at}must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit ${got}`;
      if (e.schemaPath.includes('customMethod')) return `${at}a custom method is a request name without spaces, not notifications/* or rpc.* ${got}`;
      return `${at}must match ${String(p.pattern)} ${got}`;
    case 'minimum':
      return `${at}must be >= ${String(p.limit)} ${got}`;
    case 'exclusiveMinimum':
      return `${at}must be > ${String(p.limit)} ${got}`;
    case 'maximum':
      return `${at}must be <= ${String(p.limit)}${kind === 'size' ? ' (16MiB)' : ''} ${got}`;
    case 'minItems':
      return path === 'mix' ? `${at}must list at least one method, e.g. "- method: ping"` : `${at}must have at least ${String(p.limit)} item(s)`;
    case 'maxLength':
      return `${at}must be at most ${String(p.limit)} characters long`;
    case 'enum':
      if (path === 'model') return `${at}must be open (a rate per client) or closed (concurrency per client) ${got}`;
      if (/\.discover$/.test(path))
        return `${at}must be true (draw targets from discovery) or fallback (only where the server lacks the named one) (got ${show(value)})`;
      return `${at}${methodProblem(String(value), (p.allowedValues as string[]) ?? [])}`;
    default:
      return `${at}${e.message ?? 'is not valid'}`;
  }
}

function methodProblem(method: string, allowed: readonly string[]): string {
  if (method.startsWith('notifications/')) return `"${method}" is a notification, not a request; the mix holds requests`;
  const guess = didYouMean(method, allowed);
  return `"${method}" is not an MCP client request method ${guess ? `(did you mean "${guess}"?)` : `(use one of: ${allowed.join(', ')})`}; a vendor method needs custom: true on its entry`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const raw of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}
