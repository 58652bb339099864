/**
 * `node --import ./test/helpers/conformance-shim.mjs …/conformance/dist/index.js`: @modelcontextprotocol/conformance
 * 0.1.16 imports `globSync` from `fs`, which Node 22 has and Node 20 does not, so on Node 20 the suite
 * does not even load. A builtin's ES-module exports are fixed when it is first loaded, so adding the
 * function to `fs` is not enough: this resolve hook hands the suite's own `fs` imports
 * conformance-fs.mjs instead (all of `fs`, plus globSync). Nothing else sees a different `fs`.
 * This file is both the --import entry (on the main thread it registers itself) and the hooks module.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const FS_WITH_GLOB = new URL('./conformance-fs.mjs', import.meta.url).href;
const SUITE = '/node_modules/@modelcontextprotocol/conformance/';

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes(SUITE)) return { url: FS_WITH_GLOB, shortCircuit: true };
  return nextResolve(specifier, context);
}
