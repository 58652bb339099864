/**
 * `--help` teaches: -h works, options come in groups with the variables that set them, every option of
 * every command is described, each command has examples, and the exit codes are listed. Words are never
 * split mid-word (yargs 17's ESM wrapping printed "b/uilt-in"). No run starts.
 */
import { describe, expect, it } from 'vitest';
import { DISCOVER_OPTIONS, MERGE_OPTIONS, RUN_OPTIONS, SERVE_OPTIONS, flagOf, type OptionTable } from '../src/config/option-table.js';
import { EXIT } from '../src/shared/errors.js';
import { runCli } from './helpers/cli.js';

const TABLES: [string, OptionTable][] = [
  ['run', RUN_OPTIONS],
  ['serve', SERVE_OPTIONS],
  ['merge', MERGE_OPTIONS],
  ['discover', DISCOVER_OPTIONS],
];

describe('mcpload --help', () => {
  it('-h is --help; groups, variables, examples and exit codes are in it', async () => {
    const long = await runCli(['--help']);
    const short = await runCli(['-h']);
    expect(long.code).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    const help = long.stdout;
    for (const group of ['Load:', 'Target:', 'Results:', 'Progress, logs and metrics:', 'Examples:', 'Exit codes:']) expect(help).toContain(group);
    expect(help).toMatch(/--clients\s+concurrent MCP sessions[^\n]*\n?[^\n]*\[env MCPLOAD_CLIENTS,\s+CLIENT_COUNT\]/);
    for (const code of Object.values(EXIT)) expect(help).toMatch(new RegExp(`^\\s+${code}  \\w`, 'm'));
    // Wrapped at word boundaries only: every word of a description is whole (no "b/uilt-in").
    expect(help).toContain('built-in');
    expect(help).not.toMatch(/\bb\n\s*uilt/);
  });

  it('every option of every command is described, and every command has examples', async () => {
    for (const [command, table] of TABLES) {
      for (const [key, spec] of Object.entries(table)) expect(spec.describe, `${command} --${flagOf(key)}`).toMatch(/\w{3}/);
      const r = await runCli(command === 'run' ? ['run', '--help'] : [command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toContain('Examples:');
      for (const key of Object.keys(table)) expect(r.stdout, `${command} --${flagOf(key)}`).toContain(`--${flagOf(key)}`);
    }
    for (const command of ['profiles', 'validate']) expect((await runCli([command, '--help'])).stdout).toContain('Examples:');
  });
});
