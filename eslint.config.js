// Lint, run by `npm run lint` in .ci/run: typescript-eslint with type information, the folder
// layers of src/ (lowest first: shared <- config <- {worker, main} <- report <- index/cli), and no
// import cycles. Formatting is prettier's job, not eslint's.
import { relative } from 'node:path';
import js from '@eslint/js';
import globals from 'globals';
import ts from 'typescript';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const LAYERS = 'layers, lowest first: shared <- config <- {worker, main, discover} <- report <- {watch, index} <- plan <- cli';
/** A folder of src/ may import only the folders listed. */
const only = (target, allowed) => ({
  target: `./src/${target}`,
  from: './src',
  except: allowed.map((a) => `./${a}`),
  message: `${target}/ imports only ${allowed.map((a) => `${a}/`).join(' and ')} (${LAYERS})`,
});
/** A folder of src/ never imports these. */
const never = (target, forbidden, why) => ({
  target: `./src/${target}`,
  from: forbidden.map((f) => `./src/${f}`),
  message: `${target}/ never imports ${forbidden.join(', ')}${why ? `: ${why}` : ''} (${LAYERS})`,
});
const TOP = ['index.ts', 'cli.ts', 'commands.ts', 'bin.ts'];
const zones = [
  only('shared', ['shared']),
  only('config', ['shared', 'config']),
  only('reference-server', ['shared', 'reference-server']),
  // Discovery (`mcpload discover`, and mix entries that draw targets from it) sits beside main: index/cli call it.
  only('discover', ['shared', 'config', 'discover']),
  // `mcpload watch` reads replicas' snapshots and merges them with report/: beside index/cli, above report.
  only('watch', ['shared', 'config', 'report', 'watch']),
  never('worker', ['main', 'report', 'reference-server', 'discover', 'watch', 'plan', ...TOP], 'worker threads meet main only through shared/'),
  never('main', ['worker', 'report', 'reference-server', 'discover', 'watch', 'plan', ...TOP], 'main meets worker threads only through shared/'),
  never('report', ['worker', 'reference-server', 'watch', 'plan', ...TOP]),
  // Plans (`mcpload plan`) sit above index.ts: they run phases through its start(); only cli.ts calls them.
  never('plan', ['worker', 'cli.ts', 'bin.ts'], 'a plan runs phases through index.ts, never engines directly'),
];

/**
 * import-x/no-cycle skips type-only imports, but a type import still ties two files into one
 * unit that can be neither read nor moved alone. This rule walks the TypeScript program's
 * static imports and re-exports (types included, dynamic import() not) and reports every
 * import that closes a circle, with the circle.
 */
const noImportCycle = {
  meta: { type: 'problem', messages: { cycle: 'import cycle: {{cycle}}' }, schema: [] },
  create(context) {
    const program = context.sourceCode.parserServices?.program;
    if (!program) return {};
    const graph = importGraph(program);
    const self = program.getSourceFile(context.filename)?.fileName;
    const component = graph.component.get(self);
    if (component === undefined) return {};
    const check = (node) => {
      if (!node.source) return;
      const to = graph.resolve(program.getSourceFile(self), node.source.value);
      if (to === undefined || graph.component.get(to) !== component) return;
      const path = [self, ...graph.pathBack(to, self, component)];
      context.report({ node: node.source, messageId: 'cycle', data: { cycle: path.map((f) => relative(process.cwd(), f)).join(' -> ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

const graphs = new WeakMap();
/** Our files' import edges and their strongly connected components (Tarjan), once per program. */
function importGraph(program) {
  if (graphs.has(program)) return graphs.get(program);
  const options = program.getCompilerOptions();
  const resolve = (file, specifier) => {
    const r = ts.resolveModuleName(specifier, file.fileName, options, ts.sys, undefined, undefined, ts.ModuleKind.ESNext).resolvedModule;
    return r && !r.isExternalLibraryImport && !r.resolvedFileName.endsWith('.d.ts') ? r.resolvedFileName : undefined;
  };
  const edges = new Map();
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || file.fileName.includes('/node_modules/')) continue;
    const out = [];
    for (const s of file.statements) {
      if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const to = resolve(file, s.moduleSpecifier.text);
      if (to !== undefined) out.push(to);
    }
    edges.set(file.fileName, out);
  }
  const component = new Map();
  const index = new Map();
  const low = new Map();
  const stack = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const members = [];
    let w;
    do {
      w = stack.pop();
      members.push(w);
    } while (w !== v);
    // A file alone is no cycle (a self-import is import-x/no-self-import's).
    if (members.length > 1) for (const m of members) component.set(m, v);
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  /** Shortest way from `from` back to `to` inside one component (breadth first). */
  const pathBack = (from, to, c) => {
    const prev = new Map([[from, undefined]]);
    const queue = [from];
    while (queue.length) {
      const v = queue.shift();
      if (v === to) break;
      for (const w of edges.get(v) ?? []) {
        if (component.get(w) === c && !prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [];
    for (let v = to; v !== undefined; v = prev.get(v)) path.unshift(v);
    return path;
  };
  const graph = { component, resolve, pathBack };
  graphs.set(program, graph);
  return graph;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/peers/', 'deploy/'] },
  // A bare `catch {}` is how best-effort cleanup reads (kill a child that may be gone).
  { rules: { 'no-empty': ['error', { allowEmptyCatch: true }] } },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX, mcpload: { rules: { 'no-import-cycle': noImportCycle } } },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.eslint.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Implementations of async interfaces (the SDK's Transport, prom-client's collect) need not await.
      '@typescript-eslint/require-await': 'off',
      'mcpload/no-import-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
    },
  },
  {
    // Tests read JSON from real processes and servers (reports, frames, /metrics): typing every
    // parse would cost more than it finds, so `any` from JSON.parse is allowed there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain scripts: no type information.
    files: ['bench/*.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
