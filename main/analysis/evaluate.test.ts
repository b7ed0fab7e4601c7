// Evaluations end to end on tiny symlinked folders with a SimpleNet checkpoint: layouts scored in full, the run's own
// scores untouched by `score`/`evaluate` on another folder or checkpoint, thresholds, restarts, and `predict`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { FaceCropper, imageFiles } from '../data/index.js';
import { realImages } from '../data/fixtures.js';
import { initEngine } from '../engine/select.js';
import { RunStore } from '../store/index.js';
import { REPO_ROOT, runUnmask } from '../../test/helpers/cli.js';
import { tinyRun } from '../../test/helpers/tiny-run.js';
import { evaluateRun } from './evaluate.js';
import { chooseThreshold, confusionAt } from './metrics.js';
import { predictImages } from './predict.js';
import { scoreRun } from './score.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-evaluate-'));
const dbFile = path.join(tmp, 'runs.db');
let store: RunStore;
let runId = 0;
let own = '';
let testOnly = '';
let flat = '';

before(async () => {
  await initEngine({ requested: 'wasm' });
  store = RunStore.open(dbFile);
  ({ runId, own, testOnly, flat } = await tinyRun(store, tmp));
  await scoreRun(store, runId, { split: 'test' });
});

after(() => {
  store?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('evaluateRun', () => {
  it('scores every image of a test-only folder and of a flat folder by default (split all)', async () => {
    const a = await evaluateRun(store, runId, { dataset: testOnly });
    assert.deepEqual([a.evaluation.split, a.evaluation.n, a.metrics.positives, a.metrics.negatives, a.trainedOn], ['all', 5, 3, 2, false]);
    const b = await evaluateRun(store, runId, { dataset: flat });
    assert.deepEqual([b.evaluation.split, b.evaluation.n, b.metrics.positives], ['all', 7, 3]);
    assert.equal(new Set(store.getEvaluationScores(b.evaluation.id).map((r) => r.path)).size, 7);
    assert.notEqual(a.evaluation.datasetFingerprint, b.evaluation.datasetFingerprint);
    await assert.rejects(
      evaluateRun(store, runId, { dataset: testOnly, split: 'val' }),
      (e: Error & { code?: string }) => e.code === 'DATASET_INVALID' && /has no val images \(it has test\)/.test(e.message),
    );
  });

  it("reports accuracy at 0.5 and at the run's validation-chosen threshold, AUC with its interval, AP and EER", async () => {
    const { evaluation, metrics } = await evaluateRun(store, runId, { dataset: testOnly });
    const rows = store.getEvaluationScores(evaluation.id);
    const labels = rows.map((r) => r.label);
    const scores = rows.map((r) => r.probs[1]);
    // The threshold comes from the run's own validation scores (scored when first needed, saved as its own).
    const val = store.getScores(runId, 'val');
    assert.equal(val.length, 6);
    const threshold = chooseThreshold(
      val.map((r) => r.label),
      val.map((r) => r.probs[1]),
      'accuracy',
    );
    assert.equal(metrics.runThreshold?.threshold, threshold);
    const correct = (t: number) => {
      const c = confusionAt(labels, scores, t);
      return (c.tp + c.tn) / labels.length;
    };
    assert.equal(metrics.atHalf.accuracy, correct(0.5));
    assert.equal(metrics.atRunThreshold?.accuracy, correct(threshold));
    assert.ok(metrics.aucInterval && metrics.aucInterval.low <= metrics.auc! && metrics.auc! <= metrics.aucInterval.high);
    assert.deepEqual([metrics.aucInterval.samples, metrics.aucInterval.level], [1000, 0.95]);
    assert.ok(metrics.ap !== null && metrics.eer !== null);
    assert.deepEqual(evaluation.metrics, JSON.parse(JSON.stringify(metrics)));
  });

  it("defaults to the test split on the run's own folder and keeps the last checkpoint's scoring apart", async () => {
    const ownTest = store.getScores(runId, 'test');
    const onOwn = await evaluateRun(store, runId, { dataset: own });
    assert.deepEqual([onOwn.evaluation.split, onOwn.evaluation.n, onOwn.trainedOn], ['test', 5, true]);
    const last = await evaluateRun(store, runId, { dataset: own, checkpoint: 'last' });
    assert.deepEqual([last.evaluation.checkpoint, last.evaluation.checkpointEpoch], ['last', 2]);
    assert.notEqual(last.evaluation.id, onOwn.evaluation.id);
    assert.deepEqual(store.getScores(runId, 'test'), ownTest);
    const again = await evaluateRun(store, runId, { dataset: own });
    assert.equal(again.evaluation.id, onOwn.evaluation.id, 'the same measurement is recorded once');
  });
  it('--crop-faces: scores the largest face of each raw photo (as the crop itself would score), lists the faceless, keeps it apart', async () => {
    const [face] = await realImages('test', 'real', 1);
    const raw = path.join(tmp, 'raw-photos');
    const crops = path.join(tmp, 'raw-crops');
    for (const dir of [raw, crops]) for (const cls of ['real', 'fake']) fs.mkdirSync(path.join(dir, cls), { recursive: true });
    const photo = path.join(raw, 'real', 'photo.jpg');
    await sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .composite([{ input: face!, left: 400, top: 150 }])
      .jpeg({ quality: 95 })
      .toFile(photo);
    const blank = path.join(raw, 'fake', 'blank.png');
    await sharp({ create: { width: 500, height: 400, channels: 3, background: { r: 90, g: 140, b: 200 } } })
      .png()
      .toFile(blank);
    // The same images as the cropper sees them, stored losslessly: scored without cropping they must score the same.
    await sharp(Buffer.from(await new FaceCropper().decode(photo)), { raw: { width: 256, height: 256, channels: 3 } })
      .png()
      .toFile(path.join(crops, 'real', 'photo.png'));
    fs.copyFileSync(blank, path.join(crops, 'fake', 'blank.png'));
    const cropped = await evaluateRun(store, runId, { dataset: raw, preprocess: 'crop-faces' });
    assert.deepEqual([cropped.evaluation.preprocess, cropped.evaluation.n, cropped.faceless], ['crop-faces', 2, [blank]]);
    const reference = await evaluateRun(store, runId, { dataset: crops });
    const probsOf = (id: number) =>
      store
        .getEvaluationScores(id)
        .map((r) => [path.basename(r.path, path.extname(r.path)), r.probs[1]] as const)
        .sort();
    const [a, b] = [probsOf(cropped.evaluation.id), probsOf(reference.evaluation.id)];
    assert.deepEqual(
      a.map(([n]) => n),
      ['blank', 'photo'],
    );
    for (const [i, [, p]] of a.entries()) assert.ok(Math.abs(p - b[i]![1]) < 1e-6, `${a[i]![0]}: ${p} vs ${b[i]![1]}`);
    const whole = await evaluateRun(store, runId, { dataset: raw });
    assert.notEqual(whole.evaluation.id, cropped.evaluation.id, 'cropped and whole evaluations are kept apart');
    assert.equal(whole.evaluation.preprocess, 'none');
    await assert.rejects(
      evaluateRun(store, runId, { dataset: raw, preprocess: 'blur' as never }),
      (e: Error & { code?: string }) => e.code === 'BAD_ARGUMENT' && /crop-faces/.test(e.message),
    );
  });
});

describe('predictImages', () => {
  it('pulls a chunk of files at a time, not the whole folder', async () => {
    let pulled = 0;
    async function* files() {
      for (const entry of [...(await collect(imageFiles([flat]))), ...(await collect(imageFiles([testOnly])))]) {
        pulled++;
        yield entry;
      }
    }
    const { model } = await import('./run-model.js').then((m) => m.loadRunModel(store, runId, 'best'));
    try {
      const stream = predictImages(model, files(), { batchSize: 2, threshold: 0.5, chunk: 4 });
      const first = await stream.next();
      assert.ok(!first.done && 'pFake' in first.value);
      assert.equal(pulled, 4, 'only the first chunk was read');
      let rest = 0;
      for await (const _ of stream) rest++;
      assert.equal(1 + rest, 12);
    } finally {
      model.dispose();
    }
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe('the CLI reads the run and its evaluations apart', () => {
  it("score on another folder and on --checkpoint last: the run's own test AUC is unchanged, the evaluations are listed, labelled", () => {
    store.close();
    const before = lastJson(runUnmask(['runs', '--json', '--db', dbFile]).stdout);
    const foreign = runUnmask(['score', '--run', String(runId), '--dataset', testOnly, '--split', 'test', '--db', dbFile]);
    assert.equal(foreign.code, 0, foreign.stderr);
    assert.match(foreign.stderr, /recorded as an evaluation; run \d+'s own scores are left as they are/);
    const f = lastJson(foreign.stdout);
    assert.deepEqual([f.recordedAs, f.split, f.n, f.label], ['evaluation', 'test', 5, 'test-only · test split · best checkpoint (epoch 1)']);
    const lastCkpt = lastJson(runUnmask(['score', '--run', String(runId), '--checkpoint', 'last', '--db', dbFile]).stdout);
    assert.deepEqual([lastCkpt.recordedAs, lastCkpt.label], ['evaluation', 'own · test split · last checkpoint (epoch 2)']);

    const after = lastJson(runUnmask(['runs', '--json', '--db', dbFile]).stdout);
    assert.equal(after.testAuc, before.testAuc);
    assert.notEqual(after.testAuc, null);
    assert.match(runUnmask(['runs', '--db', dbFile]).stdout, new RegExp(`own test AUC[\\s\\S]*${(after.testAuc as number).toFixed(3)} \\(best ep 1\\)`));
    const listed = runUnmask(['evaluations', '--json', '--db', dbFile])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; label: string });
    assert.ok(listed.some((e) => e.id === f.evaluation && e.label === f.label));
    assert.ok(listed.some((e) => e.id === lastCkpt.evaluation));
    const table = runUnmask(['evaluations', '--run', String(runId), '--db', dbFile]).stdout;
    assert.match(table, /^eval +run +dataset +split +checkpoint/);
    assert.match(table, /test-only +test +best ep 1 +5 /);
    store = RunStore.open(dbFile);
  });

  it("evaluations survive a restart, and predict streams JSON lines whose P(fake) equals evaluate's per-image scores", async () => {
    const evaluated = lastJson(runUnmask(['evaluate', '--run', String(runId), '-d', flat, '--split', 'all', '--db', dbFile]).stdout);
    store.close();
    store = RunStore.open(dbFile); // a restart: a fresh process-side handle on the same file
    const rows = store.getEvaluationScores(evaluated.evaluation as number);
    assert.equal(rows.length, 7);
    const broken = path.join(tmp, 'broken.png');
    fs.writeFileSync(broken, 'not a png');
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/unmask.js', 'predict', '--run', String(runId), flat, broken, '--db', dbFile], {
        cwd: REPO_ROOT,
        env: { ...process.env, UNMASK_ENGINE: 'wasm' },
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    assert.equal(r.code, 1, 'an unreadable file makes the exit status 1');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; pFake?: number; label?: string; threshold?: number; error?: string });
    assert.equal(lines.length, 8);
    assert.deepEqual(
      lines.slice(0, 7).map((l) => path.relative(flat, l.path)),
      ['fake/fake0.jpg', 'fake/fake1.jpg', 'fake/fake2.jpg', 'real/real0.jpg', 'real/real1.jpg', 'real/real2.jpg', 'real/real3.jpg'],
    );
    const byPath = new Map(rows.map((row) => [row.path, row.probs[1]]));
    const threshold = (evaluated.metrics as { runThreshold: { threshold: number } }).runThreshold.threshold;
    for (const line of lines.slice(0, 7)) {
      assert.ok(Math.abs(line.pFake! - byPath.get(line.path)!) < 1e-6, `${line.path}: ${line.pFake} vs ${byPath.get(line.path)}`);
      assert.equal(line.label, line.pFake! >= threshold ? 'fake' : 'real');
      assert.equal(line.threshold, threshold);
    }
    assert.equal(lines[7]!.path, broken);
    assert.match(lines[7]!.error!, /cannot decode|not/);
  });

  it('predict on a folder of 10,000 images streams its answers: the first lines come while it is still scoring', async () => {
    const big = path.join(tmp, 'ten-thousand');
    fs.mkdirSync(big);
    const sources = fs.readdirSync(path.join(flat, 'real')).map((f) => fs.realpathSync(path.join(flat, 'real', f)));
    for (let i = 0; i < 10_000; i++) fs.symlinkSync(sources[i % sources.length]!, path.join(big, `face${String(i).padStart(5, '0')}.jpg`));
    const child = spawn(process.execPath, ['bin/unmask.js', 'predict', '--run', String(runId), big, '--batch-size', '8', '--db', dbFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, UNMASK_ENGINE: 'wasm' },
    });
    const lines: string[] = [];
    let buffered = '';
    const enough = new Promise<boolean>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        lines.push(...parts);
        if (lines.length >= 64) resolve(child.exitCode === null);
      });
      child.on('close', () => resolve(false));
    });
    const stillScoring = await enough;
    child.kill('SIGKILL');
    assert.ok(stillScoring, `predict exited before 64 of 10,000 lines were read (${lines.length} lines)`);
    const first = lines.slice(0, 64).map((l) => JSON.parse(l) as { path: string; pFake: number });
    assert.deepEqual(
      first.map((l) => path.basename(l.path)),
      Array.from({ length: 64 }, (_, i) => `face${String(i).padStart(5, '0')}.jpg`),
    );
    assert.ok(first.every((l) => l.pFake >= 0 && l.pFake <= 1));
  });
});
