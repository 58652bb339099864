#!/usr/bin/env node
/**
 * What one idle session holds, object by object, from a heap snapshot (one that
 * `node --expose-gc bench/session-memory.mjs --keep` wrote): the dominator tree of the snapshot
 * (Cooper, Harvey and Kennedy's iterative algorithm), then for each per-connection object of
 * mcpload and ws (Session, Link, WebSocket, its Socket, ...) its average self size and what it
 * alone keeps alive (retained size), split by the edge each child hangs from. Objects that no
 * single one of these dominates (a Socket is retained by its TCP handle and by the WebSocket) are
 * listed as roots of their own.
 *
 *   node bench/session-objects.mjs FILE.heapsnapshot [--depth 2]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { depth: { type: 'string', default: '2' } } });
const snap = JSON.parse(readFileSync(positionals[0], 'utf8'));
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((k) => meta.node_fields.indexOf(k));
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((k) => meta.edge_fields.indexOf(k));
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const nodes = snap.nodes;
const edges = snap.edges;
const strings = snap.strings;
const N = nodes.length / NF;
const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + nEdges] * EF;
  firstEdge[i + 1] = e;
}
const WEAK = edgeTypes.indexOf('weak');
const SHORTCUT = edgeTypes.indexOf('shortcut');
const strong = (e) => edges[e + eType] !== WEAK && edges[e + eType] !== SHORTCUT;
const typeOf = (i) => nodeTypes[nodes[i * NF + nType]];
const nameOf = (i) => {
  const t = typeOf(i);
  return t === 'object' || t === 'closure' ? strings[nodes[i * NF + nName]] : `(${t})`;
};
const sizeOf = (i) => nodes[i * NF + nSize];
const edgeName = (e) => {
  const t = edgeTypes[edges[e + eType]];
  return t === 'element' || t === 'hidden' ? `[${edges[e + eName]}]` : String(strings[edges[e + eName]]);
};

// Postorder from the root (node 0), iteratively.
const order = new Int32Array(N).fill(-1);
const post = new Int32Array(N);
let count = 0;
{
  const stack = [0];
  const cursor = new Uint32Array(N);
  const seen = new Uint8Array(N);
  seen[0] = 1;
  for (let i = 0; i < N; i++) cursor[i] = firstEdge[i];
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    let pushed = false;
    while (cursor[v] < firstEdge[v + 1]) {
      const e = cursor[v];
      cursor[v] += EF;
      if (!strong(e)) continue;
      const w = edges[e + eTo] / NF;
      if (seen[w]) continue;
      seen[w] = 1;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      stack.pop();
      order[v] = count;
      post[count++] = v;
    }
  }
}
// Predecessors (strong edges, reachable nodes only).
const predCount = new Uint32Array(N + 1);
for (let v = 0; v < N; v++) {
  if (order[v] < 0) continue;
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) if (strong(e)) predCount[edges[e + eTo] / NF + 1]++;
}
for (let i = 0; i < N; i++) predCount[i + 1] += predCount[i];
const preds = new Int32Array(predCount[N]);
{
  const fill = predCount.slice(0, N);
  for (let v = 0; v < N; v++) {
    if (order[v] < 0) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) if (strong(e)) preds[fill[edges[e + eTo] / NF]++] = v;
  }
}
const idom = new Int32Array(N).fill(-1);
idom[0] = 0;
for (let changed = true; changed;) {
  changed = false;
  for (let k = count - 2; k >= 0; k--) {
    const v = post[k];
    let d = -1;
    for (let p = predCount[v]; p < predCount[v + 1]; p++) {
      let u = preds[p];
      if (idom[u] < 0) continue;
      if (d < 0) {
        d = u;
        continue;
      }
      while (u !== d) {
        while (order[u] < order[d]) u = idom[u];
        while (order[d] < order[u]) d = idom[d];
      }
    }
    if (d >= 0 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}
const retained = new Float64Array(N);
for (let k = 0; k < count; k++) {
  const v = post[k];
  retained[v] += sizeOf(v);
  if (v !== 0) retained[idom[v]] += retained[v];
}
const children = new Map();
for (let v = 1; v < N; v++) if (idom[v] >= 0) (children.get(idom[v]) ?? children.set(idom[v], []).get(idom[v])).push(v);
/** The name of the strong edge from `parent` to `child`, if there is one. */
function via(parent, child) {
  for (let e = firstEdge[parent]; e < firstEdge[parent + 1]; e += EF) if (edges[e + eTo] / NF === child && strong(e)) return edgeName(e);
  return '(indirect)';
}

const ROOTS = [
  'Session',
  'Link',
  'WebSocketTransport',
  'Correlator',
  'TokenBucket',
  'WebSocket',
  'Socket',
  'TCP',
  'Receiver',
  'Sender',
  'WritableState',
  'ReadableState',
];
const byName = new Map(ROOTS.map((r) => [r, []]));
for (let v = 0; v < N; v++) if (order[v] >= 0 && byName.has(nameOf(v)) && typeOf(v) === 'object') byName.get(nameOf(v)).push(v);
const depth = Number(a.depth);
for (const [name, list] of byName) {
  if (list.length === 0) continue;
  const n = list.length;
  const self = list.reduce((s, v) => s + sizeOf(v), 0) / n;
  const ret = list.reduce((s, v) => s + retained[v], 0) / n;
  const doms = new Map();
  for (const v of list) {
    const d = nameOf(idom[v]);
    doms.set(d, (doms.get(d) ?? 0) + 1);
  }
  const domText = [...doms]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 2)
    .map(([d, c]) => `${d} ${((100 * c) / n).toFixed(0)}%`)
    .join(', ');
  console.log(`\n${name} ×${n}: self ${self.toFixed(0)} B, retained ${ret.toFixed(0)} B (immediate dominator: ${domText})`);
  // What it alone keeps alive, by edge path, averaged per instance.
  const parts = new Map();
  const walk = (v, path, d) => {
    for (const c of children.get(v) ?? []) {
      const key = `${path}.${via(v, c)} ${nameOf(c)}`;
      if (d < depth && (children.get(c)?.length ?? 0) > 0) {
        const p = parts.get(key) ?? { self: 0, ret: 0 };
        p.self += sizeOf(c);
        parts.set(key, p);
        walk(c, key, d + 1);
      } else {
        const p = parts.get(key) ?? { self: 0, ret: 0 };
        p.self += sizeOf(c);
        p.ret += retained[c];
        parts.set(key, p);
      }
    }
  };
  for (const v of list) walk(v, '', 1);
  for (const [k, p] of [...parts].sort((x, y) => y[1].self + y[1].ret - x[1].self - x[1].ret))
    if ((p.self + p.ret) / n >= 4)
      console.log(`  ${(p.self / n).toFixed(0).padStart(5)} B self${p.ret > 0 ? `, ${(p.ret / n).toFixed(0).padStart(5)} B retained` : ''}  ${k}`);
}
