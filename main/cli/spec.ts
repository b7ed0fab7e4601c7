// How a CLI command is described once (options, arguments, summary), and what is made from it: parsing, usage, help.
import { parseArgs } from 'node:util';
import { UnmaskError } from '../engine/errors.js';

/** One flag of a command. */
export type OptionSpec =
  | {
      type: 'string';
      short?: string;
      /** Placeholder in usage: FILE, N, best|last. */ value: string;
      help: string;
      default?: string;
      required?: boolean;
      hidden?: boolean;
      /** The flag may be given several times; its value is then the list, in order. */
      multiple?: boolean;
    }
  | { type: 'boolean'; short?: string; help: string; hidden?: boolean };

export type OptionSpecs = Record<string, OptionSpec>;

/** A BAD_ARGUMENT about the command line itself (a flag or argument): the CLI prints the command's usage with it. */
export class UsageError extends UnmaskError {
  constructor(message: string) {
    super('BAD_ARGUMENT', message);
  }
}

/** Parsed flag values, typed by the command's specs (string flags are strings, switches booleans). */
export type Values<O extends OptionSpecs> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
};

/** The positional arguments a command takes. */
export interface PositionalSpec {
  /** Placeholder in usage: RUN, PATH..., engine|explain|soak. */
  name: string;
  help: string;
  min: number;
  /** Infinity for a list. */
  max: number;
}

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** One line: what the command does. */
  summary: string;
  options: O;
  positionals?: PositionalSpec;
  /** A sentence or two for --help beyond the summary (defaults, what it prints). */
  details?: string;
}

export interface ParsedCommand<O extends OptionSpecs> {
  values: Values<O>;
  positionals: string[];
  /** --help or -h was given: print the help and do nothing else. */
  help: boolean;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'print this help and exit' };

/** A flag in a synopsis: `-d DATASET`, `--db FILE`; a repeatable one ends in `...` (`-d DATASET...`). */
function flag(name: string, spec: OptionSpec): string {
  const value = spec.type === 'string' ? ` ${spec.value}${spec.multiple ? '...' : ''}` : '';
  return spec.short ? `-${spec.short}${value}` : `--${name}${value}`;
}

/** The synopsis after `unmask NAME`: required flags, the arguments, then the optional flags in brackets. */
export function synopsis(spec: CommandSpec): string {
  const shown = Object.entries(spec.options).filter(([, o]) => !o.hidden);
  const required = shown.filter(([, o]) => o.type === 'string' && o.required).map(([name, o]) => flag(name, o));
  const optional = shown.filter(([, o]) => !(o.type === 'string' && o.required)).map(([name, o]) => `[${flag(name, o)}]`);
  const p = spec.positionals;
  const args = p ? [p.min > 0 ? p.name : `[${p.name}]`] : [];
  return [...required, ...args, ...optional].join(' ');
}

/** `text` broken into lines of at most `width` characters at spaces. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** `usage: unmask NAME …` of one command. */
export function usageLine(name: string, spec: CommandSpec): string {
  return `usage: unmask ${name} ${synopsis(spec)}`.trimEnd();
}

/** The full help of one command: usage, summary, details, then every flag and argument with what it does. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options)
    .filter(([, o]) => !o.hidden)
    .map(([n, o]) => {
      const names = `${o.short ? `-${o.short}, ` : ''}--${n}${o.type === 'string' ? ` ${o.value}` : ''}`;
      const extra = o.type === 'string' && o.default !== undefined ? ` (default ${o.default})` : '';
      return [names, `${o.help}${extra}`];
    });
  if (spec.positionals) rows.unshift([spec.positionals.name, spec.positionals.help]);
  rows.push(['-h, --help', HELP.help]);
  const width = Math.min(34, Math.max(...rows.map(([n]) => n.length)));
  const lines = rows.map(([n, h]) => (n.length > width ? `  ${n}\n  ${' '.repeat(width)}  ${h}` : `  ${n.padEnd(width)}  ${h}`));
  const about = [...wrap(spec.summary), ...(spec.details ? wrap(spec.details) : [])];
  return [usageLine(name, spec), '', ...about, '', 'options:', ...lines].join('\n');
}

/**
 * Parses `argv` against a command's specs (strict: unknown flags, a missing value and stray arguments are
 * BAD_ARGUMENT naming the flag or argument). Required flags and the positional count are checked unless --help.
 */
export function parseCommand<O extends OptionSpecs>(name: string, spec: CommandSpec<O>, argv: string[]): ParsedCommand<O> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [n, o] of Object.entries(spec.options)) {
    options[n] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.type === 'string' && o.default !== undefined ? { default: o.default } : {}),
      ...(o.type === 'string' && o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: spec.positionals !== undefined }) as typeof parsed;
  } catch (error) {
    throw new UsageError(`unmask ${name}: ${describeParseError(error)}`);
  }
  const help = parsed.values.help === true;
  delete parsed.values.help;
  if (!help) {
    for (const [n, o] of Object.entries(spec.options)) {
      if (o.type === 'string' && o.required && parsed.values[n] === undefined) throw new UsageError(`unmask ${name}: --${n} is required`);
    }
    const p = spec.positionals;
    const count = parsed.positionals.length;
    if (p && (count < p.min || count > p.max)) {
      throw new UsageError(
        `unmask ${name}: expected ${p.max === Infinity ? `at least ${p.min}` : p.min === p.max ? p.min : `${p.min} to ${p.max}`} ${p.name}, got ${count}`,
      );
    }
  }
  return { values: parsed.values as Values<O>, positionals: parsed.positionals, help };
}

/** Node's parseArgs messages, shortened to the flag and what is wrong with it. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option '${option}'`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(message)?.[0] ?? message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return message.replace(/\.$/, '').replace(/^Option /, 'option ');
  return message;
}
