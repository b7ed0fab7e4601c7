// The renderer's boundary (type-only imports of the API contract, nothing else from main/) and its chart-option repair.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hydrateOption, normalCdf } from '../renderer/util/hydrate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|vue)$/.test(e.name) && !e.name.endsWith('.config.ts') ? [full] : [];
  });
}

describe('renderer boundary', () => {
  it('imports nothing from main/ but the API contract, and that type-only', () => {
    const files = sources(path.join(root, 'renderer'));
    assert.ok(files.length > 20);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(import|export)\b([^;]*?)from\s+['"]([^'"]+)['"]/gms)) {
        const [, , clause, spec] = m;
        if (!spec!.includes('main/')) continue;
        const where = `${path.relative(root, file)}: ${m[0].trim()}`;
        assert.match(spec!, /\/main\/api\/contract(\.js)?$/, where);
        assert.match(clause!, /^\s*type\b/, where);
      }
      assert.doesNotMatch(text, /\b(eval|new Function)\s*\(/, `${file} uses eval`);
    }
  });
});

describe('hydrateOption', () => {
  it('labels DET axis ticks (probit positions) as percentages', () => {
    // probit of DET_TICKS-like rates
    const ticks = [-3.090232306167813, -1.6448536269514729, 0, 1.2815515655446004];
    const option = hydrateOption({ xAxis: { name: 'False positive rate (normal deviate scale)', axisLabel: { customValues: ticks } }, yAxis: { name: 'x' } });
    const formatter = (option.xAxis as { axisLabel: { formatter: (v: number) => string } }).axisLabel.formatter;
    assert.deepEqual(ticks.map(formatter), ['0.1%', '5%', '50%', '90%']);
    assert.deepEqual(option.yAxis, { name: 'x' });
    assert.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 2e-7);
  });

  it('gives multi-line series labels a line height and leaves other options alone', () => {
    const option = hydrateOption({ title: { text: 't' }, series: [{ type: 'heatmap', label: { show: true, fontSize: 16 } }, { type: 'line' }] });
    assert.deepEqual(option.series, [{ type: 'heatmap', label: { show: true, fontSize: 16, lineHeight: 21 } }, { type: 'line' }]);
    assert.deepEqual(option.title, { text: 't' });
    assert.equal('xAxis' in option, false);
  });
});
