/**
 * Frames of a mix entry whose params hold templates (config/templates.ts). Built once like
 * FrameTemplate, but as segments with holes: the JSON around the holes is text encoded once, pick
 * options and data-file rows are encoded once at the engine's start, and per request only the
 * holes' bytes are written (a number, random characters, a copied buffer) into one buffer. No
 * JSON.stringify per request. The padding, when messageSize asks for it, is one more hole sized
 * last, so the frame hits messageSize whenever the filled values leave room.
 */
import type { FrameTerminator, ParamHeader, RequestSpec } from '../shared/types.js';
import type { Route } from './transport/transport.js';
import { headerValue, routeOf, valueAt } from './transport/http-headers.js';
import { templatedStrings, type Hole, type TemplatePart } from '../config/templates.js';
import { frameTail, PAD_KEY, type FrameContext, type RequestFrames } from './frames.js';

const enum Op {
  Seq,
  Session,
  RandInt,
  RandString,
  Pick,
  Row,
  Pad,
}

/** One hole of the frame: what fills it, with its arguments. */
interface Slot {
  op: Op;
  min: number;
  span: number;
  /** Pick: the options, encoded inside a JSON string. */
  options: Buffer[];
  /** Row: the field's column, and whether the hole is inside a JSON string (else: the field's JSON value). */
  column: number;
  inner: boolean;
  /** RandString: the drawn text is kept in `values` (a mirrored header needs it too). */
  kept: boolean;
}

/** A mirrored header whose value is templated: where its value goes in the route, and what it is made of. */
interface Mirror {
  at: number;
  /** JSON-escaped literal text, and the slot indices whose filled values come between. */
  pieces: (string | number)[];
}

const SENTINEL = /"@@mcpload-hole-(\d+)@@"/g;
const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');

export class TemplatedFrame implements RequestFrames {
  readonly method: string;
  readonly route: Route;
  readonly minimumSize: number;
  /** Literal bytes: lits[i] comes before slots[i]; the last one ends the frame. */
  private readonly lits: Buffer[];
  private readonly slots: Slot[];
  private readonly fixedLength: number;
  /** Encoded rows of the data file: rows[r][c] whole (a JSON value) and rowsInner[r][c] (inside a JSON string). */
  private readonly rows: Buffer[][] = [];
  private readonly rowsInner: Buffer[][] = [];
  private rowCursor: number;
  /** Filled values of the request being built (a string of ASCII, or bytes). */
  private readonly values: (string | Buffer)[];
  /** Mirrored headers with templated values (made only when there are some). */
  private mirrors: Mirror[] | undefined;

  constructor(
    entry: RequestSpec,
    private readonly messageSize: number,
    terminator: FrameTerminator,
    meta: Record<string, unknown> | undefined,
    /** Sessions of this engine are the run's engineId, engineId + engineCount, ... (engine.ts). */
    private readonly engineId: number,
    private readonly engineCount: number,
  ) {
    this.method = entry.method;
    // A templated name or URI differs per request: no Mcp-Name header rather than a wrong one (the body says it).
    const fixed = (v: unknown) => (typeof v === 'string' && !v.includes('{{') ? v : undefined);
    // A mirrored parameter (Mcp-Param-*) with a fixed value has its header built here; a templated one is filled per request.
    const args = entry.params?.arguments;
    const templatedValue = (h: ParamHeader) => {
      const v = valueAt(args, h.path);
      return typeof v === 'string' && v.includes('{{');
    };
    const route = routeOf(
      entry.method,
      { name: fixed(entry.params?.name), uri: fixed(entry.params?.uri), arguments: args },
      entry.paramHeaders?.filter((h) => !templatedValue(h)),
    ) as string[];
    this.route = route;
    const strings: TemplatePart[][] = [];
    const params = replaceTemplates(entry.params ?? {}, strings);
    const stringPaths = templatedStrings(entry.params ?? {}).map((t) => t.path);
    /** Per templated string: its JSON-escaped literal text and slot indices, in order (for mirrored headers). */
    const pieces: (string | number)[][] = [];
    let tail = frameTail(entry.method, params, meta, messageSize > 0 ? '' : undefined, terminator === 'newline' ? '\n' : '');
    // The padding is one more hole, inside the quotes of the pad string.
    if (messageSize > 0) tail = tail.replace(`"${PAD_KEY}":""`, `"${PAD_KEY}":"@@mcpload-hole-${strings.length}@@"`);
    const lits: string[] = [];
    const slots: Slot[] = [];
    let lit = '';
    let at = 0;
    for (const m of tail.matchAll(SENTINEL)) {
      lit += tail.slice(at, m.index);
      at = m.index + m[0].length;
      const n = Number(m[1]);
      const parts = strings[n];
      if (parts === undefined) {
        lits.push(lit + '"');
        slots.push(slot(Op.Pad));
        lit = '"';
        continue;
      }
      // {{row.FIELD}} alone is the field's JSON value (a number of a JSON lines file stays a number).
      const alone = parts.length === 1 && typeof parts[0] === 'object' && parts[0].fn === 'row';
      if (alone) {
        lits.push(lit);
        slots.push(this.slotOf(parts[0] as Hole, entry, false));
        lit = '';
        continue;
      }
      lit += '"';
      const mine: (string | number)[] = (pieces[n] = []);
      for (const part of parts) {
        if (typeof part === 'string') {
          lit += JSON.stringify(part).slice(1, -1);
          mine.push(JSON.stringify(part).slice(1, -1));
        } else {
          lits.push(lit);
          mine.push(slots.length);
          slots.push(this.slotOf(part, entry, true));
          lit = '';
        }
      }
      lit += '"';
    }
    lits.push(lit + tail.slice(at));
    this.lits = lits.map((l) => Buffer.from(l));
    this.slots = slots;
    this.values = new Array<string | Buffer>(slots.length).fill('');
    for (const h of entry.paramHeaders ?? []) {
      if (!templatedValue(h)) continue;
      const n = stringPaths.indexOf(['arguments', ...h.path].join('.'));
      if (n === -1 || pieces[n] === undefined) continue; // {{row.FIELD}} alone: a JSON value, not mirrored
      for (const p of pieces[n]) if (typeof p === 'number' && slots[p].op === Op.RandString) slots[p].kept = true;
      route.push('mcp-param-' + h.name.toLowerCase(), '');
      (this.mirrors ??= []).push({ at: route.length - 1, pieces: pieces[n] });
    }
    this.fixedLength = HEAD.length + this.lits.reduce((n, b) => n + b.length, 0);
    this.minimumSize = this.fixedLength + 1;
    this.rowCursor = this.rows.length > 0 ? engineId % this.rows.length : 0;
  }

  private slotOf(hole: Hole, entry: RequestSpec, inner: boolean): Slot {
    switch (hole.fn) {
      case 'seq':
        return slot(Op.Seq);
      case 'session':
        return slot(Op.Session);
      case 'randInt':
        return { ...slot(Op.RandInt), min: hole.min, span: hole.max - hole.min + 1 };
      case 'randString':
        return { ...slot(Op.RandString), span: hole.length };
      case 'pick':
        return { ...slot(Op.Pick), options: hole.options.map((o) => Buffer.from(JSON.stringify(o).slice(1, -1))) };
      case 'row': {
        const data = entry.data!;
        if (this.rows.length === 0) {
          for (const row of data.rows) {
            this.rows.push(row.map((v) => Buffer.from(JSON.stringify(v))));
            this.rowsInner.push(row.map((v) => Buffer.from(JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v)).slice(1, -1))));
          }
        }
        return { ...slot(Op.Row), column: data.fields.indexOf(hole.field), inner };
      }
    }
  }

  /** A fresh buffer holding request `id`'s frame, its holes filled for session `s`. */
  frame(id: number, s: FrameContext): Buffer {
    const slots = this.slots;
    const values = this.values;
    const idText = String(id);
    let length = this.fixedLength + idText.length;
    let row = -1;
    let padAt = -1;
    for (let i = 0; i < slots.length; i++) {
      const sl = slots[i];
      let v: string | Buffer;
      switch (sl.op) {
        case Op.Seq:
          v = String(s.seq);
          break;
        case Op.Session:
          v = String(this.engineId + s.slot * this.engineCount);
          break;
        case Op.RandInt:
          v = String(sl.min + Math.floor(Math.random() * sl.span));
          break;
        case Op.RandString:
          length += sl.span;
          if (sl.kept) values[i] = randomText(sl.span);
          continue;
        case Op.Pick:
          v = sl.options[Math.floor(Math.random() * sl.options.length)];
          break;
        case Op.Row:
          if (row === -1) row = this.nextRow();
          v = (sl.inner ? this.rowsInner : this.rows)[row][sl.column];
          break;
        default:
          padAt = i;
          continue;
      }
      values[i] = v;
      length += v.length;
    }
    const pad = padAt === -1 ? 0 : Math.max(0, this.messageSize - length);
    const buf = Buffer.allocUnsafe(length + pad);
    // Uint8Array.set and a byte loop for short ASCII: cheaper than Buffer.copy/write's native calls per piece.
    buf.set(HEAD, 0);
    let at = ascii(buf, HEAD.length, idText);
    const lits = this.lits;
    for (let i = 0; i < slots.length; i++) {
      const lit = lits[i];
      buf.set(lit, at);
      at += lit.length;
      const op = slots[i].op;
      if (op === Op.Pad) {
        buf.fill(0x78, at, at + pad); // 'x'
        at += pad;
      } else if (op === Op.RandString && slots[i].kept) {
        at = ascii(buf, at, values[i] as string);
      } else if (op === Op.RandString) {
        for (let end = at + slots[i].span; at < end; at++) buf[at] = ALPHABET[(Math.random() * ALPHABET.length) | 0];
      } else {
        const v = values[i];
        if (typeof v === 'string') at = ascii(buf, at, v);
        else {
          buf.set(v, at);
          at += v.length;
        }
      }
    }
    buf.set(lits[slots.length], at);
    if (this.mirrors !== undefined) this.mirror(this.mirrors);
    return buf;
  }

  /**
   * The Mcp-Param-* values of the request just built, written into the route (the transport copies
   * the route when it takes the request): the string's JSON text put together and read back once.
   */
  private mirror(mirrors: readonly Mirror[]): void {
    const route = this.route as string[];
    for (const m of mirrors) {
      let json = '"';
      for (const p of m.pieces) {
        if (typeof p === 'string') json += p;
        else {
          const v = this.values[p];
          json += typeof v === 'string' ? v : v.toString('utf8');
        }
      }
      route[m.at] = headerValue(JSON.parse(json + '"') as string);
    }
  }

  /** This engine's rows are engineId, engineId + engineCount, ... of the file, in turn (wrapping). */
  private nextRow(): number {
    const r = this.rowCursor;
    const next = r + this.engineCount;
    this.rowCursor = next < this.rows.length ? next : next % this.rows.length;
    return r;
  }
}

function randomText(length: number): string {
  let t = '';
  for (let i = 0; i < length; i++) t += String.fromCharCode(ALPHABET[(Math.random() * ALPHABET.length) | 0]);
  return t;
}

/** Write ASCII `text` (digits, here) at `at`; returns the end. */
function ascii(buf: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
  return at;
}

function slot(op: Op): Slot {
  return { op, min: 0, span: 0, options: [], column: 0, inner: false, kept: false };
}

/** A copy of `value` with each templated string replaced by a sentinel string naming its index in `out`. */
function replaceTemplates(value: unknown, out: TemplatePart[][]): Record<string, unknown> {
  for (const t of templatedStrings(value)) out.push(t.parts);
  let n = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes('{{') ? `@@mcpload-hole-${n++}@@` : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as Record<string, unknown>;
}

/** Does the entry need a TemplatedFrame (any template in its params)? */
export function isTemplated(entry: RequestSpec): boolean {
  return templatedStrings(entry.params ?? {}).length > 0;
}
