// `unmask metrics --csv` end to end in child processes, and the CSV parser's tolerance and refusals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseScoreCsv } from './metrics-cli.js';
import { runUnmask, type CliResult } from '../../test/helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-metrics-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Case {
  labels: number[];
  scores: number[];
  auc: number;
  ap: number;
  eer: number;
  accuracy_at_0_5: number;
}
const ref = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/metrics/reference.json'), 'utf8')) as { cases: Record<string, Case> };

function unmask(args: string[]): CliResult {
  return runUnmask(args, { timeout: 60_000 });
}

describe('unmask metrics --csv', () => {
  it('prints one JSON line matching scikit-learn (CRLF, padding and a trailing newline tolerated)', () => {
    const c = ref.cases.random200_seed0!;
    const file = path.join(tmp, 'scores.csv');
    const rows = c.labels.map((y, i) => (i % 7 === 0 ? ` ${y} , ${c.scores[i]} ` : `${y},${c.scores[i]}`));
    fs.writeFileSync(file, `label,score\r\n${rows.join('\r\n')}\r\n`);
    const r = unmask(['metrics', '--csv', file]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(out.n, 200);
    for (const [key, want] of [
      ['auc', c.auc],
      ['ap', c.ap],
      ['eer', c.eer],
      ['accuracy', c.accuracy_at_0_5],
    ] as const) {
      assert.ok(Math.abs((out[key] as number) - want) <= 1e-9, `${key}: ${String(out[key])} vs ${want}`);
    }
    assert.equal(typeof out.eerThreshold, 'number');
    assert.deepEqual(Object.keys(out.confusion as object), ['tn', 'fp', 'fn', 'tp']);
  });

  it('a bad row exits non-zero and names its line; a missing file is NOT_FOUND', () => {
    const file = path.join(tmp, 'bad.csv');
    fs.writeFileSync(file, 'label,score\n0,0.1\n1,0.9\n1,abc\n0,0.2\n');
    const r = unmask(['metrics', '--csv', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /line 4/);
    assert.match(r.stderr, /BAD_ARGUMENT/);
    const missing = unmask(['metrics', '--csv', path.join(tmp, 'nope.csv')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NOT_FOUND/);
  });
});

describe('parseScoreCsv', () => {
  it('reads columns by header name, any order, with a BOM, blank lines and extra columns', () => {
    assert.deepEqual(parseScoreCsv('\uFEFFScore, path ,Label\n0.25,a.png,1\n\n0.5,b.png,0\n'), { labels: [1, 0], scores: [0.25, 0.5] });
    assert.deepEqual(parseScoreCsv('label,score\r\n1,1e-3\r\n0,0'), { labels: [1, 0], scores: [0.001, 0] });
  });

  it('names the line of a bad row', () => {
    const cases: [string, RegExp][] = [
      ['label,score\n0,0.1\n2,0.5\n', /f\.csv line 3: label '2'/],
      ['label,score\n0,0.1\n1,\n', /line 3: score ''/],
      ['label,score\n0,0.1\n1,NaN\n', /line 3: score 'NaN'/],
      ['label,score\n0,0.1,x\n', /line 2: expected 2 fields, got 3/],
      ['\n\nlabel;score\n0;0.1\n', /line 3: header/],
      [' \n', /empty/],
      ['label,score\n\n', /no rows/],
    ];
    for (const [text, pattern] of cases)
      assert.throws(
        () => parseScoreCsv(text, 'f.csv'),
        (e: Error & { code?: string }) => e.code === 'BAD_ARGUMENT' && pattern.test(e.message),
      );
  });
});
