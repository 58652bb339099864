/**
 * The command line: yargs turns argv and MCPLOAD_* variables into options; everything with behaviour
 * lives elsewhere (src/commands.ts, loaded only once a command runs, so --help and --version stay fast).
 * Each command is one entry of COMMANDS: its options table (config/option-table.ts), positionals and
 * examples; --help's groups, environment names and exit codes are derived from those.
 * Bad input is one line on stderr and exit code 2.
 */
import yargs, { type Argv, type Options, type PositionalOptions } from 'yargs';
import { hideBin } from 'yargs/helpers';
import {
  DISCOVER_OPTIONS,
  MERGE_OPTIONS,
  RUN_OPTIONS,
  SERVE_OPTIONS,
  applyLegacyEnv,
  booleanFlags,
  envOf,
  flagOf,
  parsedOptions,
  type OptionTable,
} from './config/option-table.js';
import { EXIT, EXIT_MEANINGS, McploadError, UsageError, describe } from './shared/errors.js';
import { VERSION } from './shared/version.js';
import { WATCH_OPTIONS } from './watch/options.js';
import { PLAN_OPTIONS } from './plan/options.js';
import { planAlias } from './plan/alias.js';

/**
 * A table's options as yargs declares them: the flag in kebab case, everything but the legacy variables;
 * `env`: the prefix of the variables that set them too (MCPLOAD: MCPLOAD_CLIENTS), named in the description.
 */
function yargsOptions(table: OptionTable, env: string | undefined): Record<string, Options> {
  return Object.fromEntries(
    Object.entries(table).map(([key, { legacyEnv, ...spec }]) => {
      const names = env ? [envOf(flagOf(key)).replace(/^MCPLOAD/, env), ...(legacyEnv ?? []).map((l) => l.name)] : [];
      return [flagOf(key), names.length ? { ...spec, describe: `${spec.describe} [env ${names.join(', ')}]` } : spec];
    }),
  );
}

/** One subcommand: what --help shows for it and what runs it. */
interface CommandSpec {
  /** yargs' command string (`merge <reports..>`); more than one: aliases, `$0` the default command. */
  command: string | readonly string[];
  describe: string;
  options?: OptionTable;
  /**
   * Its options are also read from variables with this prefix (run and plan: MCPLOAD; watch: MCPLOAD_WATCH,
   * so it stays strict beside shards' MCPLOAD_* in a stack); absent: the command line only.
   */
  env?: string;
  positionals?: Readonly<Record<string, PositionalOptions & { describe: string }>>;
  /** `[command line, what it does]`, `$0` for mcpload. */
  examples: readonly (readonly [string, string])[];
  run(args: Record<string, unknown>): Promise<number>;
}

const commands = () => import('./commands.js');

const COMMANDS: readonly CommandSpec[] = [
  {
    command: ['run', '$0'],
    describe: 'run a load test (the default command)',
    options: RUN_OPTIONS,
    env: 'MCPLOAD',
    examples: [
      ['$0 --clients 50 --duration 30s', 'load the built-in target (no --url) for 30 s'],
      ['$0 -u ws://127.0.0.1:8080/mcp/ws -p high-load -d 5m --report run.json', 'a WebSocket server, a built-in profile, a JSON report'],
      ['$0 -u http://127.0.0.1:3000/mcp --rate 20 --threshold "p99<200ms"', 'Streamable HTTP; exit 1 when p99 is 200 ms or more'],
      ['MCPLOAD_CLIENTS=100 MCPLOAD_DURATION=0 $0', 'options from the environment; run until SIGTERM/SIGINT'],
    ],
    run: async (args) => (await commands()).runCommand(args),
  },
  {
    command: 'serve',
    describe: 'run the reference MCP target over WebSocket and Streamable HTTP',
    options: SERVE_OPTIONS,
    examples: [
      ['$0 serve --port 8080', 'ws://127.0.0.1:8080/mcp/ws and http://127.0.0.1:8080/mcp'],
      ['$0 serve --delay 5ms --jitter 5ms --error-rate 0.01', 'a slower target that fails 1 % of requests'],
    ],
    run: async (args) => (await commands()).serveCommand(args),
  },
  {
    command: 'merge <reports..>',
    describe: 'merge replica reports into one (percentiles exact)',
    options: MERGE_OPTIONS,
    positionals: { reports: { type: 'string', array: true, demandOption: true, describe: 'JSON reports written with --report' } },
    examples: [['$0 merge reports/*.json --html all.html --threshold "p99<500ms"', 'one report over every replica, and its HTML page']],
    run: async (args) => (await commands()).mergeCommand(args.reports as string[], parsedOptions(MERGE_OPTIONS, args)),
  },
  {
    command: 'discover <url>',
    describe: "list a server's tools, resources, templates and prompts; --write a starter profile",
    options: DISCOVER_OPTIONS,
    positionals: { url: { type: 'string', demandOption: true, describe: 'the server: ws(s):// or http(s):// (Streamable HTTP)' } },
    examples: [
      ['$0 discover http://127.0.0.1:3000/mcp', 'what the server offers'],
      ['$0 discover ws://127.0.0.1:8080/mcp/ws --write mine.yaml', 'a starter profile calling the read-only tools it found'],
    ],
    run: async (args) => {
      const { discoverCommand } = await import('./discover/command.js');
      return discoverCommand(
        { ...parsedOptions(DISCOVER_OPTIONS, args), url: String(args.url) },
        (text) => process.stdout.write(text),
        (line) => process.stderr.write(line + '\n'),
      );
    },
  },
  {
    command: 'watch',
    describe: "watch a distributed run's replicas: merge their snapshots every second, judge the cluster, write the merged report",
    options: WATCH_OPTIONS,
    env: 'MCPLOAD_WATCH',
    examples: [
      ['$0 watch --from 127.0.0.1:9464,127.0.0.2:9464 --threshold "p99<100ms" --report cluster.json', 'two replicas, one verdict and one report'],
      ['$0 watch --dns tasks.load:9464 --html cluster.html', "every replica a name's A/AAAA records give (Swarm tasks.<service>, a headless Service)"],
    ],
    run: async (args) => (await commands()).watchCommand(parsedOptions(WATCH_OPTIONS, args)),
  },
  {
    command: 'plan <file>',
    describe: 'run a test plan: named phases in sequence or side by side, a pre-flight check, one report with a verdict per phase',
    options: PLAN_OPTIONS,
    env: 'MCPLOAD',
    positionals: { file: { type: 'string', demandOption: true, describe: 'a plan file (.yaml or .json; see plans/)' } },
    examples: [
      ['$0 plan plans/baseline.yaml --scale 0.1 --time-scale 0.1', 'the baseline plan, a tenth of the size and time, against the built-in target'],
      ['$0 plan plans/full-100k.yaml --processes 6 --local-address 127.0.0.2-127.0.0.5 --report final.json', 'the full 100K plan'],
    ],
    run: async (args) => {
      const { planCommand } = await import('./plan/command.js');
      return planCommand(
        String(args.file),
        parsedOptions(PLAN_OPTIONS, args),
        (text) => process.stdout.write(text),
        (line) => process.stderr.write(line + '\n'),
      );
    },
  },
  {
    command: 'profiles [name]',
    describe: 'list the built-in profiles, or print one',
    positionals: { name: { type: 'string', describe: 'a built-in profile to print as YAML (a start for your own)' } },
    examples: [
      ['$0 profiles', 'the built-ins, one line each'],
      ['$0 profiles normal > mine.yaml', 'copy one to edit'],
    ],
    run: async (args) => (await commands()).profilesCommand(args.name as string | undefined),
  },
  {
    command: 'validate <file>',
    describe: 'check a profile file or a plan file',
    positionals: { file: { type: 'string', demandOption: true, describe: 'a profile or plan file (.yaml or .json)' } },
    examples: [['$0 validate mine.yaml', 'ok, or one line saying what is wrong (exit 2)']],
    run: async (args) => (await commands()).validateCommand(args.file as string),
  },
];

/** The exit codes, for --help. */
const EXIT_CODES =
  'Exit codes:\n' +
  (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((k) => `  ${String(EXIT[k]).padStart(3)}  ${EXIT_MEANINGS[k]}`).join('\n') +
  '\n\nEvery run option is also a variable: MCPLOAD_ and the flag in capitals (--connect-rate: MCPLOAD_CONNECT_RATE); the command line wins.\n' +
  'Docs: README.md in the package (Profiles, Thresholds, Metrics, Streamable HTTP).';

/**
 * yargs reads every MCPLOAD_* variable as an option, so a stray one fails strict parsing as
 * "Unknown argument: fooBar". Name the variable instead, which is what the user has to change.
 */
function unknownEnvironmentVariable(msg: string): string | undefined {
  const m = /^Unknown arguments?: (.+)$/.exec(msg.trim());
  if (!m) return undefined;
  for (const arg of m[1].split(', ')) {
    const name = envOf(flagOf(arg));
    if (process.env[name] !== undefined) return name;
  }
  return undefined;
}

/** The boolean options of every command. */
const BOOLEAN_OPTIONS = booleanFlags(...COMMANDS.flatMap((c) => (c.options ? [c.options] : [])));
const YES = new Set(['true', '1', 'yes', 'on']);
const NO = new Set(['false', '0', 'no', 'off']);

function yesNo(value: string, where: string): 'true' | 'false' {
  const v = value.trim().toLowerCase();
  if (YES.has(v)) return 'true';
  if (NO.has(v)) return 'false';
  throw new UsageError(`${where}: "${value}" is not a yes/no value; write true or false (1/0, yes/no and on/off work too)`);
}

/**
 * yargs takes only "true" and "false" for a boolean given a value (--quiet=1, MCPLOAD_QUIET=1) and
 * silently reads anything else as false, so MCPLOAD_QUIET=1 in a stack file would not quiet anything.
 * The usual spellings are translated; anything else is bad input.
 */
export function normalizeBooleans(argv: string[], env: NodeJS.ProcessEnv): string[] {
  for (const name of BOOLEAN_OPTIONS) {
    const key = envOf(name);
    const value = env[key];
    if (value !== undefined) env[key] = yesNo(value, `environment variable ${key}`);
  }
  return argv.map((arg) => {
    const m = /^--([a-z-]+)=([^]*)$/.exec(arg);
    if (!m || !BOOLEAN_OPTIONS.includes(m[1])) return arg;
    return `--${m[1]}=${yesNo(m[2], `--${m[1]}`)}`;
  });
}

export async function main(rawArgv = hideBin(process.argv)): Promise<number> {
  applyLegacyEnv(process.env);
  let argv: string[];
  // `mcpload --plan FILE` is `mcpload plan FILE`.
  const alias = planAlias(rawArgv, process.env);
  try {
    argv = normalizeBooleans(alias.argv, process.env);
  } catch (err) {
    return reportFailure(err);
  }
  let result: Promise<number> = Promise.resolve(EXIT.ok);
  let parser: Argv = yargs(argv).scriptName('mcpload').strict();
  for (const spec of COMMANDS) {
    parser = parser.command(
      spec.command as string | string[],
      spec.describe,
      (y) => {
        let b: Argv = spec.env ? y.env(spec.env) : y;
        for (const [name, p] of Object.entries(spec.positionals ?? {})) b = b.positional(name, p);
        if (spec.options) b = b.options(yargsOptions(spec.options, spec.env));
        for (const [cmd, what] of spec.examples) b = b.example(cmd, what);
        return b.epilogue(EXIT_CODES);
      },
      (args) => {
        result = spec.run(args);
      },
    );
  }
  parser = parser
    .fail((msg, err) => {
      if (err instanceof McploadError) throw err;
      const fromEnv = msg ? unknownEnvironmentVariable(msg) : undefined;
      if (fromEnv) throw new UsageError(`environment variable ${fromEnv} is not an mcpload option: unset it or fix its name (see mcpload --help)`);
      const unknown = alias.fromRun && msg ? /^Unknown arguments?: (.+)$/.exec(msg.trim()) : null;
      if (unknown)
        throw new UsageError(
          `--plan: ${unknown[1]
            .split(', ')
            .map((a) => (a.length === 1 ? `-${a}` : `--${flagOf(a)}`))
            .join(
              ', ',
            )} ${unknown[1].includes(', ') ? 'are' : 'is'} not for a plan (each phase sets its own load); mcpload plan --help lists what a plan takes`,
        );
      // yargs' own messages can span lines ("Invalid values:\n  Argument: …"): keep them to one.
      throw new UsageError((msg ?? describe(err)).replace(/\s*\n\s*/g, ' ') + ' (see mcpload --help)');
    })
    .help()
    .alias('help', 'h')
    // --help and --version return (exit 0 from bin.ts) instead of yargs ending the process itself.
    .exitProcess(false)
    .version(VERSION)
    .wrap(Math.min(120, process.stdout.columns || 100));
  try {
    await parser.parseAsync();
    return await result;
  } catch (err) {
    return reportFailure(err);
  }
}

/** One line on stderr; the exit code of an mcpload error, else bad input. */
function reportFailure(err: unknown): number {
  if (err instanceof McploadError) {
    process.stderr.write(`mcpload: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`mcpload: ${describe(err)}\n`);
  return EXIT.badInput;
}
