// The README's command list, made from the same command table as `unmask --help` (a test keeps the README in step).
import { COMMAND_NAMES, COMMANDS } from './commands.js';
import { synopsis, type CommandSpec } from './spec.js';

/** The lines around the generated list in README.md. */
export const README_MARKERS = {
  begin: '<!-- commands:begin — made by `node bin/unmask.js help --markdown` from main/cli/commands.ts; do not edit by hand -->',
  end: '<!-- commands:end -->',
} as const;

const WIDTH = 116;

/** Wraps `unmask NAME SYNOPSIS` at word boundaries, continuation lines indented under the first flag. */
function wrapped(name: string, spec: CommandSpec): string[] {
  const head = `unmask ${name}`;
  const indent = ' '.repeat(head.length + 1);
  const lines: string[] = [];
  let line = head;
  // Keep each bracketed flag whole: split on spaces outside brackets.
  for (const part of synopsis(spec).match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (line.length + 1 + part.length > WIDTH && line.trim().length > 0 && line !== head) {
      lines.push(line);
      line = indent + part;
    } else line += ` ${part}`;
  }
  lines.push(line);
  return lines;
}

/** The README's command list: a bash block with each command's synopsis and, under it, what it does. */
export function readmeCommandList(): string {
  const body = COMMAND_NAMES.flatMap((name) => {
    const spec: CommandSpec = COMMANDS[name];
    return [...wrapped(name, spec), `    # ${spec.summary}`];
  });
  return [README_MARKERS.begin, '```bash', ...body, '```', README_MARKERS.end].join('\n');
}

/** `unmask --help`: every command with its summary. */
export function commandsOverview(): string {
  const width = Math.max(...COMMAND_NAMES.map((n) => n.length));
  const lines = COMMAND_NAMES.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name].summary}`);
  return ['usage: unmask <command> [options]   (unmask <command> --help for its options)', '', 'commands:', ...lines].join('\n');
}
