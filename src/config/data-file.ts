/**
 * Data files for params templates (Artillery payloads, k6 SharedArray): CSV with a header row, or
 * JSON lines (one object per line). Read and checked once at load; only the fields the templates
 * use are kept, as plain rows that cross into engine threads and are encoded there once.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { DataRows } from '../shared/types.js';

export class DataFileError extends Error {}

/** Rows of `file` with the `fields` the templates name (each must be in every row). */
export function loadDataFile(file: string, shown: string, fields: string[]): DataRows {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataFileError(`cannot read data file ${shown}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return fromCsv(text, shown, fields);
  if (ext === '.jsonl' || ext === '.ndjson') return fromJsonLines(text, shown, fields);
  throw new DataFileError(`data file ${shown}: name it .csv (with a header row) or .jsonl/.ndjson (one JSON object per line)`);
}

function fromCsv(text: string, shown: string, fields: string[]): DataRows {
  const records = parseCsv(text, shown);
  const header = records.shift();
  if (!header) throw new DataFileError(`data file ${shown}: empty; the first line names the fields`);
  const seen = new Set<string>();
  for (const [i, name] of header.cells.entries()) {
    if (name === '' || seen.has(name)) throw new DataFileError(`data file ${shown}: line 1: column ${i + 1} needs a name of its own (got "${name}")`);
    seen.add(name);
  }
  const columns = fields.map((f) => {
    const i = header.cells.indexOf(f);
    if (i === -1) throw new DataFileError(`data file ${shown}: no column "${f}" (the header has ${header.cells.join(', ')})`);
    return i;
  });
  if (records.length === 0) throw new DataFileError(`data file ${shown}: no rows after the header`);
  const rows = records.map((r) => {
    if (r.cells.length !== header.cells.length) {
      throw new DataFileError(`data file ${shown}: line ${r.line}: ${r.cells.length} fields, the header has ${header.cells.length}`);
    }
    return columns.map((c) => r.cells[c]);
  });
  return { fields, rows };
}

/** RFC 4180: commas, "quoted" cells with "" for a quote, CRLF or LF; blank lines are skipped. */
function parseCsv(text: string, shown: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  /** The cell was quoted: "" is a cell, not a blank line. */
  let quoted = false;
  let line = 1;
  let startLine = 1;
  const endRecord = () => {
    cells.push(cell);
    if (cells.length > 1 || cell !== '' || quoted) out.push({ line: startLine, cells });
    cells = [];
    cell = '';
    quoted = false;
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && cell === '' && !quoted) {
      quoted = true;
      const quoteLine = line;
      for (i++; ; i++) {
        if (i >= text.length) throw new DataFileError(`data file ${shown}: line ${quoteLine}: a quoted cell is never closed`);
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        } else if (text[i] === '\n') line++;
        cell += text[i];
      }
      const next = text[i + 1];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new DataFileError(`data file ${shown}: line ${line}: text after a closing quote (write "" for a quote inside a quoted cell)`);
      }
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      quoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      startLine = ++line;
    } else if (c === '"' || quoted) {
      throw new DataFileError(`data file ${shown}: line ${line}: a quote inside an unquoted cell (quote the whole cell and write "")`);
    } else cell += c;
  }
  if (cell !== '' || cells.length > 0 || quoted) endRecord();
  return out;
}

function fromJsonLines(text: string, shown: string, fields: string[]): DataRows {
  const rows: unknown[][] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const textLine = raw.trim();
    if (textLine === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(textLine);
    } catch (err) {
      throw new DataFileError(`data file ${shown}: line ${i + 1}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataFileError(`data file ${shown}: line ${i + 1}: each line must be a JSON object`);
    }
    const row = value as Record<string, unknown>;
    rows.push(
      fields.map((f) => {
        if (!(f in row)) throw new DataFileError(`data file ${shown}: line ${i + 1}: no field "${f}"`);
        return row[f];
      }),
    );
  }
  if (rows.length === 0) throw new DataFileError(`data file ${shown}: no rows`);
  return { fields, rows };
}
