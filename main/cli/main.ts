// The `unmask` command line: one subcommand per capability, each printing machine-readable JSON last.
import { UnmaskError } from '../engine/errors.js';
import { COMMANDS, isCommandName, type CommandName } from './commands.js';
import { commandsOverview, readmeCommandList } from './readme.js';
import { commandHelp, parseCommand, usageLine, UsageError, type ParsedCommand } from './spec.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A command's implementation, given its parsed flags and arguments; returns the exit code. */
type Runner<N extends CommandName> = (args: ParsedCommand<(typeof COMMANDS)[N]['options']>) => Promise<number>;

/** Each command's implementation, loaded when it runs (so `--help` and light commands never load tfjs). */
const RUNNERS: { [N in CommandName]: () => Promise<Runner<N>> } = {
  engine: async () => async () => {
    const { initEngine } = await import('../engine/select.js');
    print(JSON.stringify(await initEngine()));
    return 0;
  },
  params: async () => (await import('./info.js')).paramsCommand,
  train: async () => (await import('./train.js')).trainCommand,
  resume: async () => (await import('./train.js')).resumeCommand,
  sweep: async () => (await import('./sweep.js')).sweepCommand,
  runs: async () => (await import('./runs.js')).runsCommand,
  'export-log': async () => (await import('./runs.js')).exportLogCommand,
  score: async () => (await import('./score.js')).scoreCommand,
  evaluate: async () => (await import('./evaluate.js')).evaluateCommand,
  evaluations: async () => (await import('./evaluate.js')).evaluationsCommand,
  predict: async () => (await import('./predict.js')).predictCommand,
  matrix: async () => (await import('./matrix.js')).matrixCommand,
  metrics: async () => (await import('../analysis/metrics-cli.js')).metricsCommand,
  figures: async () => (await import('./figures.js')).figuresCommand,
  explain: async () => (await import('./explain.js')).explainCommand,
  bonus: async () => (await import('./bonus.js')).bonusCommand,
  reproduce: async () => (await import('./reproduce.js')).reproduceCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
  bench: async () => (await import('./info.js')).benchCommand,
  help:
    async () =>
    async ({ values, positionals }) => {
      const [topic] = positionals;
      if (values.markdown) print(readmeCommandList());
      else if (topic === undefined) print(commandsOverview());
      else if (isCommandName(topic)) print(commandHelp(topic, COMMANDS[topic]));
      else throw new UnmaskError('BAD_ARGUMENT', `unknown command '${topic}'`);
      return 0;
    },
};

async function runCommand<N extends CommandName>(name: N, argv: string[]): Promise<number> {
  const parsed = parseCommand(name, COMMANDS[name], argv);
  if (parsed.help) {
    print(commandHelp(name, COMMANDS[name]));
    return 0;
  }
  return (await RUNNERS[name]())(parsed);
}

/**
 * Runs one CLI invocation; returns the process exit code. An error is one JSON line, the last on stderr; a
 * mistyped or missing flag or argument (exit 2, BAD_ARGUMENT) has the command's usage printed before it.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name == null || name === '--help' || name === '-h') {
    print(commandsOverview());
    return name == null ? 2 : 0;
  }
  if (!isCommandName(name)) {
    process.stderr.write(`${commandsOverview()}\n${JSON.stringify({ error: { code: 'BAD_ARGUMENT', message: `unknown command '${name}'` } })}\n`);
    return 2;
  }
  try {
    return await runCommand(name, rest);
  } catch (error) {
    const payload = error instanceof UnmaskError ? error.toJSON() : { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
    if (error instanceof UsageError) process.stderr.write(`${usageLine(name, COMMANDS[name])}\n(unmask ${name} --help lists the options)\n`);
    process.stderr.write(`${JSON.stringify({ error: payload })}\n`);
    return payload.code === 'BAD_ARGUMENT' ? 2 : 1;
  }
}
