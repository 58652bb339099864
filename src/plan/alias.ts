/**
 * `mcpload --plan FILE` (and MCPLOAD_PLAN) on the run command: the same as `mcpload plan FILE`. The
 * command line is rewritten before it is parsed, so the plan command's own options (--scale,
 * --time-scale, --shard, ...) apply and nothing is declared twice.
 */
const COMMANDS = new Set(['run', 'serve', 'merge', 'discover', 'watch', 'plan', 'profiles', 'validate']);

export interface PlanAlias {
  argv: string[];
  /** The command line was rewritten from run's --plan: unknown options are run options a plan does not take. */
  fromRun: boolean;
}

/** argv with run's `--plan FILE` turned into `plan FILE`; `env.MCPLOAD_PLAN` is consumed (the command line wins). */
export function planAlias(argv: readonly string[], env: NodeJS.ProcessEnv): PlanAlias {
  const fromEnv = env.MCPLOAD_PLAN;
  const first = argv[0];
  const command = first !== undefined && COMMANDS.has(first) ? first : undefined;
  if (command === 'plan') delete env.MCPLOAD_PLAN;
  if (command !== undefined && command !== 'run') return { argv: [...argv], fromRun: false };
  const rest = command === 'run' ? argv.slice(1) : [...argv];
  let file: string | undefined;
  const kept: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--') {
      kept.push(...rest.slice(i));
      break;
    }
    const m = /^--plan(?:=([^]*))?$/.exec(arg);
    if (!m) {
      kept.push(arg);
      continue;
    }
    // The last --plan wins, as yargs reads a repeated option that is no array.
    if (m[1] !== undefined) file = m[1];
    else if (i + 1 < rest.length && !rest[i + 1].startsWith('-')) file = rest[++i];
    else file = '';
  }
  file ??= fromEnv;
  if (file === undefined) return { argv: [...argv], fromRun: false };
  delete env.MCPLOAD_PLAN;
  // An empty --plan is left to the plan command: "not enough arguments" names what is missing.
  return { argv: file === '' ? ['plan', ...kept] : ['plan', file, ...kept], fromRun: true };
}
