/**
 * The package as a user gets it: `npm pack`, a global install of the tarball into a temporary prefix, the
 * `mcpload` it puts on the PATH, and a TypeScript consumer that writes `import { run } from 'mcpload'`,
 * type-checks (`tsc --noEmit`, strict, mcpload's declarations checked) and runs a short load against the
 * built-in target. Also: the LICENSE ships, no source map points at a source that does not, and the
 * install does not warn about the package's own scripts. Installs from npm's cache (npm ci filled it).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'mcpload-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const exec = (file: string, args: string[], cwd = ROOT) =>
  runProcess(file, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, timeoutMs: 180_000 });
const npm = (args: string[], cwd: string) => exec('npm', args, cwd);
const node = (args: string[], cwd = ROOT) => exec(process.execPath, args, cwd);

describe('the packed package', () => {
  it('installs globally from its tarball, and `import { run } from "mcpload"` type-checks and runs', async () => {
    // dist/ is fresh (globalSetup): pack it as is, without prepack's rebuild under other tests' feet.
    const pack = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    const files = info.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/index.d.ts');
    // Source maps only with the sources they point at.
    if (files.some((f) => f.endsWith('.js.map'))) expect(files.some((f) => f.startsWith('src/'))).toBe(true);

    const prefix = join(work, 'prefix');
    const install = await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], work);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr + install.stdout).not.toMatch(/prepare|mcpload@[\d.]+ \(/);
    const bin = join(prefix, 'bin', 'mcpload');
    expect((await exec(bin, ['--version'])).stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const license = readFileSync(join(prefix, 'lib', 'node_modules', 'mcpload', 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License');
    expect(license).toContain('Version 2.0, January 2004');

    // A consumer next to the global node_modules resolves 'mcpload' from there, as a project's own would.
    const app = join(prefix, 'lib', 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          outDir: 'out',
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['main.ts'],
      }),
    );
    writeFileSync(
      join(app, 'main.ts'),
      [
        "import { run, resolveRunOptions, type RunResult } from 'mcpload';",
        '',
        "const opts = resolveRunOptions({ clients: 2, rate: 5, duration: '1s', workers: 1 });",
        'const result: RunResult = await run(opts);',
        'const sent: number = result.report.requests.sent;',
        'console.log(JSON.stringify({ exitCode: result.exitCode, sent, established: result.report.sessions.established }));',
        '',
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const check = await node([tsc, '--noEmit', '-p', app]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    // A type error is caught through the same declarations (the check is not vacuous).
    writeFileSync(join(app, 'bad.ts'), "import { run } from 'mcpload';\nawait run({ clients: 'many' });\n");
    writeFileSync(join(app, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.json', files: ['bad.ts'] }));
    const bad = await node([tsc, '--noEmit', '-p', join(app, 'tsconfig.bad.json')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts.*error TS/);

    const emit = await node([tsc, '-p', app]);
    expect(emit.code, emit.stdout + emit.stderr).toBe(0);
    expect(readdirSync(join(app, 'out'))).toContain('main.js');
    const ran = await node([join(app, 'out', 'main.js')], app);
    expect(ran.code, ran.stderr).toBe(0);
    const out = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as { exitCode: number; sent: number; established: number };
    expect(out.exitCode).toBe(0);
    expect(out.established).toBe(2);
    expect(out.sent).toBeGreaterThan(0);
  }, 400_000);
});
