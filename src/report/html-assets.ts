/**
 * The vendored chart library, inlined into every HTML report so the page opens with no network.
 * Read from node_modules at render time (resolved from this file, so it works from src/ and dist/).
 * uPlot (MIT, ~50 KB minified): small, fast, canvas-based; made for time series and log scales.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface ChartAssets {
  js: string;
  css: string;
  license: string;
  version: string;
}

let cached: ChartAssets | undefined;

/** uPlot's browser build and stylesheet, made safe to sit inside <script> and <style>. */
export function chartAssets(): ChartAssets {
  if (!cached) {
    const read = (file: string) => readFileSync(require.resolve(`uplot/${file}`), 'utf8');
    const pkg = JSON.parse(read('package.json')) as { version: string; license: string };
    cached = {
      // A "</script" or "</style" inside would end the element early; neither occurs today, keep it so.
      js: read('dist/uPlot.iife.min.js').replace(/<\/(script)/gi, '<\\/$1'),
      css: read('dist/uPlot.min.css').replace(/<\/(style)/gi, '<\\/$1'),
      license: pkg.license,
      version: pkg.version,
    };
  }
  return cached;
}
