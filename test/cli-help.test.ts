// Every command explains itself: `--help`/`-h` with usage and every flag, BAD_ARGUMENT for a bad flag, and the
// README's command list made from the same table.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_NAMES, COMMANDS } from '../main/cli/commands.js';
import { README_MARKERS, readmeCommandList } from '../main/cli/readme.js';
import type { CommandSpec } from '../main/cli/spec.js';
import { REPO_ROOT, runUnmask } from './helpers/cli.js';

describe('unmask --help and each command', () => {
  it('lists every command', () => {
    const r = runUnmask(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of COMMAND_NAMES) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, 'm'), name);
  });

  for (const name of COMMAND_NAMES) {
    it(`${name} --help exits 0 with its usage and every one of its flags`, () => {
      const spec: CommandSpec = COMMANDS[name];
      for (const flag of ['--help', '-h']) {
        const r = runUnmask([name, flag]);
        assert.equal(r.code, 0, `${name} ${flag}: ${r.stderr}`);
        assert.ok(r.stdout.startsWith(`usage: unmask ${name}`), r.stdout.slice(0, 200));
        for (const [option, o] of Object.entries(spec.options)) {
          if (o.hidden) continue;
          assert.ok(r.stdout.includes(`--${option}`), `${name} ${flag} does not mention --${option}`);
          if (o.short) assert.ok(r.stdout.includes(`-${o.short}, --${option}`), `${name} ${flag} does not mention -${o.short}`);
        }
        if (spec.positionals) assert.ok(r.stdout.includes(spec.positionals.name));
      }
    });
  }

  it('train --bogus exits 2 with the usage, then BAD_ARGUMENT naming the flag (the last line, as every CLI error)', () => {
    const r = runUnmask(['train', '--bogus']);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /^usage: unmask train -d DATASET\.\.\. /);
    assert.deepEqual(JSON.parse(lines.at(-1)!), { error: { code: 'BAD_ARGUMENT', message: "unmask train: unknown option '--bogus'" } });
  });

  it('a flag without its value, a stray argument and an unknown command are BAD_ARGUMENT too (exit 2)', () => {
    for (const [args, message] of [
      [['evaluate', '--run'], /unmask evaluate: option '--run <value>' argument missing/],
      [['evaluations', 'extra'], /unmask evaluations: unexpected argument 'extra'/],
      [['predict', '--run', '1'], /unmask predict: expected at least 1 PATH\.\.\., got 0/],
      [['evaluate', '--run', '1'], /unmask evaluate: --dataset is required/],
      [['nonsense'], /unknown command 'nonsense'/],
    ] as const) {
      const r = runUnmask([...args]);
      assert.equal(r.code, 2, args.join(' '));
      const error = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } };
      assert.equal(error.error.code, 'BAD_ARGUMENT');
      assert.match(error.error.message, message);
      assert.match(r.stderr, /^usage: unmask/);
    }
  });

  it("the README's command list is the one the command table makes", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const begin = readme.indexOf(README_MARKERS.begin);
    const end = readme.indexOf(README_MARKERS.end);
    assert.ok(begin >= 0 && end > begin, 'README.md has no generated command list');
    assert.equal(
      readme.slice(begin, end + README_MARKERS.end.length),
      readmeCommandList(),
      'README.md is out of date: run `node bin/unmask.js help --markdown`',
    );
    assert.equal(runUnmask(['help', '--markdown']).stdout, `${readmeCommandList()}\n`);
  });
});
