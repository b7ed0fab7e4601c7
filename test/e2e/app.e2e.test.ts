// Browser mode end to end: `unmask serve` + the built UI in headless Chromium — open, train, analyse, evaluate on other
// folders (the run's own numbers unchanged), the cross-dataset matrix, explain (without layer races), compare, export.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { DatasetSummary, EvaluationRow, ExplainChoices, MatrixResult, RunRow } from '../../main/api/contract.js';
import { linkSubset } from '../../main/data/index.js';
import { postApi } from '../helpers/api.js';
import { runUnmask } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startWorker, type TestWorker } from '../helpers/workers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(root, '../shared/data');
const fakes = path.join(dataRoot, 'fakes_dataset');
const chromiumPath = process.env.UNMASK_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = path.join(root, 'test-artifacts/e2e');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-e2e-'));
const subset = path.join(tmp, 'faces-subset');
/** A folder of test/{real,fake} alone, of synthetic_dataset's faces: "another folder" to evaluate on. */
const foreign = path.join(tmp, 'synthetic-test-only');
const db = path.join(tmp, 'runs.db');
/** The queue's shared folders: the server's data root (the subsets live in it) and the artifacts. */
const queueArtifacts = path.join(tmp, 'artifacts');
let redis: TestRedis | null = null;
let worker: TestWorker | null = null;

let server: ChildProcess | null = null;
let serverLog = '';
let browser: Browser | null = null;
let context: BrowserContext;
let page: Page;
let appUrl = '';
let token = '';
/** Console errors and uncaught exceptions of the page (CSP violations show up here). */
const pageErrors: string[] = [];
/** Set while a step provokes an API error on purpose (Chromium logs the failed request as a console error). */
let expectFailedRequest = false;

/** Builds the renderer when out/renderer is missing or older than any renderer source. */
function buildRendererIfStale(): void {
  const index = path.join(root, 'out/renderer/index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sources = fs.readdirSync(path.join(root, 'renderer'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const newest = Math.max(
    ...sources.map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs),
    fs.statSync(path.join(root, 'main/api/contract.ts')).mtimeMs,
  );
  if (built > newest) return;
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.status, 0, `building the renderer failed:\n${r.stdout}\n${r.stderr}`);
}

/** Starts `unmask serve` on a free port and resolves with the URL it prints. */
function startServer(db: string): Promise<string> {
  const child = spawn(process.execPath, ['bin/unmask.js', 'serve', '--port', '0', '--db', db, '--data-root', tmp], {
    cwd: root,
    env: { ...process.env, UNMASK_ENGINE: 'wasm' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  server = child;
  child.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`unmask serve printed no URL in 60 s:\n${out}\n${serverLog}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Unmask is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`unmask serve exited (${code}) before printing its URL:\n${serverLog}`)));
  });
}

async function stopServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    // The whole group: the server's training/analysis workers too.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** Calls the API the way the UI does, to know the numbers the UI must show. */
const callApi = <T>(method: string, params: unknown): Promise<T> => postApi<T>(appUrl, token, method, params);

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

const tid = (id: string): string => `[data-testid="${id}"]`;

async function go(view: string): Promise<void> {
  await page.click(tid(`nav-${view}`));
  await page.waitForSelector(tid(`view-${view}`));
}

/** True when a chart panel has drawn something (ECharts' canvas, or an SVG renderer's svg). */
async function chartDrawn(testid: string): Promise<boolean> {
  return page.$eval(tid(testid), (el) => {
    const canvas = el.querySelector('canvas');
    return (canvas !== null && canvas.width > 0 && canvas.height > 0) || el.querySelector('svg') !== null;
  });
}

before(async () => {
  // CI installs Chromium; a missing browser must fail the suite, not skip it.
  assert.ok(
    fs.existsSync(chromiumPath),
    `Chromium not found at ${chromiumPath}: install it (Debian: apt-get install -y chromium) or point UNMASK_CHROMIUM at a Chromium binary`,
  );
  fs.mkdirSync(artifacts, { recursive: true });
  buildRendererIfStale();
  linkSubset(fakes, subset, { train: 8, val: 4, test: 4 });
  for (const cls of ['real', 'fake']) {
    const from = path.join(dataRoot, 'synthetic_dataset', 'test', cls);
    fs.mkdirSync(path.join(foreign, 'test', cls), { recursive: true });
    for (const name of fs.readdirSync(from).sort().slice(0, 3)) fs.symlinkSync(path.join(from, name), path.join(foreign, 'test', cls, name));
  }
  appUrl = await startServer(db);
  token = new URL(appUrl).searchParams.get('token')!;
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  // 1440 px: the width at which the runs table's actions used to be cut off.
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expectFailedRequest && /^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await stopServer();
  await worker?.stop();
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the app in browser mode', { timeout: 1_800_000 }, () => {
  const runIds: number[] = [];
  let bonusRun = 0;

  it('loads with the token taken out of the address bar', async () => {
    await page.goto(appUrl);
    await page.waitForSelector(tid('view-datasets'));
    await page.waitForFunction(() => document.querySelector('[data-testid="app-version"]')?.textContent?.includes('http'));
    assert.equal(new URL(page.url()).searchParams.get('token'), null);
  });

  it('shows the engine it runs on at the foot of the navigation (the server forces wasm, so nothing faster was tried)', async () => {
    await page.waitForSelector(tid('app-engine'), { timeout: 120_000 });
    await page.click(`${tid('app-engine')} summary`);
    const text = await page.textContent(tid('app-engine'));
    assert.match(text ?? '', /engine: wasm/);
    assert.match(text ?? '', /TensorFlow\.js 4\.22\.0 on wasm, \d+ threads\./);
    assert.doesNotMatch(text ?? '', /faster/);
    await page.click(`${tid('app-engine')} summary`);
  });

  it('shows an error banner for a folder that does not exist', async () => {
    expectFailedRequest = true;
    await page.fill(tid('dataset-path'), path.join(tmp, 'no-such-folder'));
    await page.click(tid('dataset-open'));
    const notice = await page.waitForSelector(tid('error-notice'));
    expectFailedRequest = false;
    assert.match((await notice.textContent()) ?? '', /no-such-folder/);
    await notice.$eval('button', (b) => (b as HTMLButtonElement).click());
    await page.waitForSelector(tid('error-banner'), { state: 'detached' });
  });

  it('opens fakes_dataset and shows the counts the scan reports, with a virtualised grid', async () => {
    const expected = await callApi<DatasetSummary>('openDataset', { path: fakes });
    assert.equal(expected.counts.total, 2041);
    await page.fill(tid('dataset-path'), fakes);
    await page.click(tid('dataset-open'));
    await page.waitForSelector(tid('dataset-counts'));
    for (const split of ['train', 'val', 'test'] as const) {
      const cells = await page.$$eval(`${tid(`counts-${split}`)} td`, (tds) => tds.slice(0, 3).map((td) => Number(td.textContent)));
      const c = expected.splits[split].counts;
      assert.deepEqual(cells, [c.real, c.fake, c.total], split);
    }
    const all = await page.$$eval(`${tid('counts-all')} td`, (tds) => tds.slice(0, 3).map((td) => Number(td.textContent)));
    assert.deepEqual(all, [expected.counts.real, expected.counts.fake, 2041]);
    assert.equal(await page.textContent(tid('bad-count')), String(expected.badCount));
    assert.equal(await page.textContent(tid('image-total')), '2041 images');
    // Thumbnails load, and only the rows in view exist.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb-grid"] img[src^="data:image/"]').length >= 8);
    const rendered = await page.$$eval(`${tid('thumb-grid')} ${tid('thumb')}`, (els) => els.length);
    assert.ok(rendered > 0 && rendered < 200, `${rendered} thumbnails in the DOM for 2041 images`);
    await page.$eval(tid('thumb-grid'), (el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="thumb-grid"] [data-testid="thumb"]')].some((el) => el.getAttribute('data-path')?.includes('/test/')),
    );
    await page.$eval(tid('thumb-grid'), (el) => (el.scrollTop = 0));
    // Back at the top, every rendered thumbnail loads (requests of rows scrolled past were withdrawn).
    await page.waitForFunction(
      () => {
        const thumbs = [...document.querySelectorAll('[data-testid="thumb-grid"] [data-testid="thumb"]')];
        return (
          thumbs.length > 0 && thumbs[0]!.getAttribute('data-path')?.includes('/train/') && thumbs.every((t) => t.querySelector('img[src^="data:image/"]'))
        );
      },
      undefined,
      { timeout: 60_000 },
    );
    await shot('01-datasets');
  });

  it('trains two 1-epoch SimpleNet runs on a small subset with live progress', { timeout: 600_000 }, async () => {
    await page.fill(tid('dataset-path'), subset);
    await page.click(tid('dataset-open'));
    await page.waitForFunction((name) => document.querySelector('[data-testid="dataset-name"]')?.textContent === name, path.basename(subset));
    await go('train');
    await page.selectOption(tid('train-dataset'), path.resolve(subset));
    // The recommended recipe is one click away, and a model change puts the baseline recipe back.
    await page.selectOption(tid('train-model'), 'XceptionRegions');
    await page.click(tid('train-recommended'));
    const fields = ['train-optimizer', 'train-lr', 'train-epochs', 'train-weight-decay', 'train-schedule', 'train-select-by', 'train-unfreeze'];
    // No named helpers inside evaluate(): the test loader's keepNames wraps them in a __name() the page lacks.
    const values = await page.evaluate((ids) => ids.map((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLInputElement).value), fields);
    assert.deepEqual(values, ['AdamW', '0.0001', '20', '0.5', 'cosine', 'auc', '']);
    assert.equal(await page.$eval(tid('train-tta'), (e) => (e as HTMLInputElement).checked), true);
    await shot('02a-train-recipe');
    // XceptionStats' recommended head is solved in closed form: one epoch, the epochs field locked.
    await page.selectOption(tid('train-model'), 'XceptionStats');
    assert.equal(await page.$eval(tid('train-head-fit'), (e) => (e as HTMLSelectElement).selectedOptions[0]!.textContent), 'the optimizer, over epochs');
    await page.click(tid('train-recommended'));
    assert.equal(await page.$eval(tid('train-head-fit'), (e) => (e as HTMLSelectElement).selectedOptions[0]!.textContent), 'closed form (ridge)');
    assert.deepEqual(await page.$eval(tid('train-epochs'), (e) => [(e as HTMLInputElement).value, (e as HTMLInputElement).disabled]), ['1', true]);
    // No optimizer step is taken: its fields are locked too.
    assert.deepEqual(
      await page.evaluate(() => ['train-optimizer', 'train-lr'].map((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLInputElement).disabled)),
      [true, true],
    );
    assert.equal(await page.$(tid('train-balanced')), null); // a closed-form head has no batches to balance
    await shot('02b-train-ridge-head');
    await page.selectOption(tid('train-model'), 'SimpleNet');
    assert.equal(await page.$(tid('train-head-fit')), null); // no linear head on frozen features
    assert.deepEqual(await page.$eval(tid('train-augment'), (e) => [...(e as HTMLSelectElement).options].map((o) => o.textContent)), [
      'random crop + flip',
      'deepfake (crop, flip, colour, blur, JPEG)',
    ]);
    assert.equal(await page.$eval(tid('train-balanced'), (e) => (e as HTMLInputElement).checked), false);
    assert.equal(await page.$eval(tid('train-weight-decay'), (e) => (e as HTMLInputElement).value), '');
    assert.equal(await page.$(tid('train-unfreeze')), null); // SimpleNet has no backbone to unfreeze
    await page.selectOption(tid('train-optimizer'), 'Adam');
    await page.fill(tid('train-batch'), '8');
    await page.fill(tid('train-epochs'), '1');
    await page.fill(tid('train-lr'), '0.0005');
    for (const seed of ['1', '2']) {
      await page.fill(tid('train-seed'), seed);
      await page.click(tid('train-start'));
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-card"]').length === n, Number(seed));
    }
    // Live progress arrives over the event stream.
    await page.waitForSelector(`${tid('job-card')}[data-state="running"] ${tid('job-progress')}`, { timeout: 120_000 });
    await page.waitForFunction(
      () => {
        const phase = document.querySelector('[data-state="running"] [data-testid="job-phase"]')?.textContent;
        return phase === 'train' || phase === 'val' || phase === 'test' || phase === 'score';
      },
      undefined,
      { timeout: 300_000 },
    );
    await shot('02-train');
    await page.waitForFunction(
      () => {
        const cards = [...document.querySelectorAll('[data-testid="job-card"]')];
        return cards.length === 2 && cards.every((c) => ['completed', 'failed', 'cancelled'].includes(c.getAttribute('data-state') ?? ''));
      },
      undefined,
      { timeout: 540_000, polling: 500 },
    );
    const states = await page.$$eval(tid('job-card'), (cards) => cards.map((c) => c.getAttribute('data-state')));
    assert.deepEqual(states, ['completed', 'completed'], `jobs ended ${states.join(', ')}; server log:\n${serverLog.slice(-2000)}`);
  });

  it('trains a Bonus run too: another model, for explanations side by side', { timeout: 600_000 }, async () => {
    await page.selectOption(tid('train-model'), 'Bonus');
    await page.selectOption(tid('train-optimizer'), 'Adam');
    await page.fill(tid('train-batch'), '8');
    await page.fill(tid('train-epochs'), '1');
    await page.fill(tid('train-seed'), '3');
    await page.click(tid('train-start'));
    await page.waitForFunction(
      () => {
        const cards = [...document.querySelectorAll('[data-testid="job-card"]')];
        return cards.length === 3 && cards.every((c) => ['completed', 'failed', 'cancelled'].includes(c.getAttribute('data-state') ?? ''));
      },
      undefined,
      { timeout: 540_000, polling: 500 },
    );
    assert.deepEqual(await page.$$eval(tid('job-card'), (cards) => cards.map((c) => c.getAttribute('data-state'))), ['completed', 'completed', 'completed']);
  });

  it('lists the runs in the runs table, every action button in view at 1440 px', async () => {
    await go('runs');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"][data-status="completed"]').length === 3, undefined, {
      timeout: 30_000,
    });
    const api = await callApi<RunRow[]>('listRuns', {});
    runIds.push(
      ...api
        .filter((r) => r.model === 'SimpleNet')
        .map((r) => r.id)
        .sort((a, b) => a - b),
    );
    bonusRun = api.find((r) => r.model === 'Bonus')!.id;
    assert.equal(runIds.length, 2);
    const text = await page.textContent(tid('runs-table'));
    assert.match(text ?? '', /SimpleNet/);
    assert.match(text ?? '', new RegExp(path.basename(subset)));
    // Each row's buttons lie inside the visible part of the table's scroller and of the window.
    const bounds = await page.$eval('.table-scroll', (el) => el.getBoundingClientRect().right);
    const rights = await page.$$eval(`${tid('run-row')} ${tid('run-explain')}`, (els) => els.map((e) => e.getBoundingClientRect().right));
    assert.equal(rights.length, 3);
    for (const right of rights) assert.ok(right <= bounds && right <= 1440, `an Explain button ends at ${right} px, past ${bounds} px`);
    await shot('03-runs');
  });

  it('opens the most recently finished run when the Analysis screen is first shown', { timeout: 300_000 }, async () => {
    const latest = [...(await callApi<RunRow[]>('listRuns', {}))]
      .filter((r) => r.status === 'completed')
      .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''))[0]!;
    await go('analysis');
    await page.waitForSelector(tid('analysis-roc'), { timeout: 240_000 });
    assert.equal(await page.$eval(tid('analysis-run'), (s) => (s as HTMLSelectElement).value), String(latest.id));
    assert.equal(await page.textContent(tid('analysis-auc')), latest.testAuc!.toFixed(3));
  });

  it('analyses a run: ROC chart and its own test AUC, labelled', { timeout: 300_000 }, async () => {
    await go('runs');
    await page.click(`${tid('run-row')}[data-run-id="${runIds[0]}"] ${tid('run-analyse')}`);
    await page.waitForSelector(tid('view-analysis'));
    await page.waitForFunction(() => document.querySelector('[data-testid="analysis-run"]') !== null);
    await page.waitForSelector(`${tid('analysis')}[data-run-id="${runIds[0]}"] ${tid('analysis-roc')}`, { timeout: 240_000 });
    assert.ok(await chartDrawn('analysis-roc'), 'the ROC chart drew nothing');
    assert.match((await page.textContent(tid('analysis-auc'))) ?? '', /^[01]\.\d{3}$/);
    assert.match((await page.textContent(tid('analysis-source'))) ?? '', /faces-subset · own test split · best checkpoint \(epoch 1\) · n = 8/);
    await page.waitForTimeout(300);
    await shot('04-analysis');
  });

  it(
    'scores the run on another folder and with its last checkpoint: its own test AUC stays, the evaluations appear apart, labelled',
    { timeout: 400_000 },
    async () => {
      const run = runIds[0]!;
      const own = (await callApi<RunRow[]>('listRuns', {})).find((r) => r.id === run)!;
      assert.ok(own.testAuc !== null);
      await go('evaluations');
      await page.selectOption(tid('evaluate-run'), String(run));
      await page.fill(tid('evaluate-folder'), foreign);
      await page.click(tid('evaluate-go'));
      await page.waitForSelector(`${tid('evaluation-detail')} ${tid('evaluation-roc')}`, { timeout: 240_000 });
      assert.match((await page.textContent(tid('evaluation-source'))) ?? '', /synthetic-test-only · all images · best checkpoint \(epoch 1\) · n = 6/);
      // The last checkpoint, through the CLI on the same database, as a user would.
      const last = runUnmask(['score', '--run', String(run), '--checkpoint', 'last', '--db', db], { timeout: 240_000 });
      assert.equal(last.code, 0, last.stderr);
      const evaluations = await callApi<EvaluationRow[]>('listEvaluations', { runId: run });
      assert.deepEqual(evaluations.map((e) => e.source.label).sort(), [
        'faces-subset · test split · last checkpoint (epoch 1)',
        'synthetic-test-only · all images · best checkpoint (epoch 1)',
      ]);
      assert.equal((await callApi<RunRow[]>('listRuns', {})).find((r) => r.id === run)!.testAuc, own.testAuc);

      await go('runs');
      await page.click(tid('runs-refresh'));
      const row = `${tid('run-row')}[data-run-id="${run}"]`;
      await page.waitForFunction((sel) => document.querySelector(`${sel} [data-testid="run-evaluations"]`)?.textContent === '2', row);
      assert.equal((await page.textContent(`${row} ${tid('run-test-auc')}`))?.trim(), `${own.testAuc!.toFixed(3)} best ep 1`);

      await page.click(`${row} ${tid('run-analyse')}`);
      await page.waitForSelector(tid('analysis-roc'), { timeout: 240_000 });
      assert.equal(await page.textContent(tid('analysis-auc')), own.testAuc!.toFixed(3));
      assert.equal(await page.getAttribute(tid('analysis-source'), 'data-kind'), 'own');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="analysis-evaluation"]').length === 2);
      const listed = await page.$$eval(tid('analysis-evaluation'), (rows) => rows.map((r) => r.querySelector('td')?.textContent?.trim()));
      assert.deepEqual(listed.sort(), evaluations.map((e) => e.source.label).sort());
      const foreignEval = evaluations.find((e) => e.source.split === 'all')!;
      await page.click(`${tid('analysis-evaluation')}[data-evaluation-id="${foreignEval.id}"] ${tid('analysis-evaluation-open')}`);
      await page.waitForFunction(() => document.querySelector('[data-testid="analysis-source"]')?.getAttribute('data-kind') === 'evaluation');
      assert.equal(await page.textContent(tid('analysis-auc')), foreignEval.auc!.toFixed(3));
      assert.match((await page.textContent(tid('analysis-source'))) ?? '', /synthetic-test-only · all images/);
      await page.waitForTimeout(300);
      await shot('04b-analysis-evaluation');
      await page.click(tid('analysis-own'));
      await page.waitForFunction((auc) => document.querySelector('[data-testid="analysis-auc"]')?.textContent === auc, own.testAuc!.toFixed(3));
    },
  );

  it('shows the cross-dataset matrix and opens a cell: its ROC/DET and worst errors; exports it as CSV and SVG', { timeout: 300_000 }, async () => {
    const matrix = await callApi<MatrixResult>('crossDatasetMatrix', {});
    await go('evaluations');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="matrix-cell"]').length === n, matrix.cells.length);
    assert.equal(matrix.cells.length, 4, "each run's own test split, and run 1 on the other folder");
    assert.equal(await page.$$eval(tid('matrix-row'), (rows) => rows.length), 3);
    const shown = await page.$$eval(tid('matrix-cell'), (cells) =>
      cells.map((c) => `${c.getAttribute('data-run-id')}:${c.getAttribute('data-source')}:${c.querySelector('[data-testid="matrix-auc"]')?.textContent}`),
    );
    const expected = matrix.cells.map((c) => `${c.runId}:${c.source}:${c.auc!.toFixed(3)}`);
    assert.deepEqual(shown.sort(), expected.sort());
    const cell = matrix.cells.find((c) => c.source === 'evaluation')!;
    await page.click(`${tid('matrix-cell')}[data-evaluation-id="${cell.evaluationId}"]`);
    await page.waitForFunction(() => document.querySelector('[data-testid="evaluation-source"]')?.textContent?.includes('synthetic-test-only'));
    await page.waitForSelector(tid('evaluation-det'));
    assert.ok((await chartDrawn('evaluation-roc')) && (await chartDrawn('evaluation-det')));
    assert.equal(await page.textContent(tid('evaluation-auc')), cell.auc!.toFixed(3));
    const worst = await page.$$eval(`${tid('evaluation-worst-fp')} ${tid('thumb')}, ${tid('evaluation-worst-fn')} ${tid('thumb')}`, (t) => t.length);
    const detail = await callApi<{ falsePositives: unknown[]; falseNegatives: unknown[] }>('getEvaluation', { evaluationId: cell.evaluationId });
    assert.equal(worst, detail.falsePositives.length + detail.falseNegatives.length);
    await page.waitForTimeout(300);
    await shot('08-evaluations');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.click(tid('matrix-csv'))]);
    assert.equal(csv.suggestedFilename(), 'cross-dataset-matrix.csv');
    const table = fs.readFileSync(await csv.path(), 'utf8');
    assert.equal(table, matrix.csv);
    assert.match(table.split('\n')[0]!, /synthetic-test-only \(all\) AUC/);
    const [svg] = await Promise.all([page.waitForEvent('download'), page.click(tid('matrix-svg'))]);
    const text = fs.readFileSync(await svg.path(), 'utf8');
    assert.ok(text.trimStart().startsWith('<svg') && text.includes('Cross-dataset ROC AUC') && text.includes(cell.auc!.toFixed(3)));
  });

  it("explains with each run's own layer, however quickly run and method change; two models side by side", { timeout: 400_000 }, async () => {
    const choices = new Map<number, ExplainChoices>();
    for (const id of [...runIds, bonusRun]) choices.set(id, await callApi<ExplainChoices>('explainChoices', { runId: id }));
    assert.notEqual(choices.get(bonusRun)!.defaultLayer, choices.get(runIds[0]!)!.defaultLayer);
    const sent: { runId: number; layer?: string; method: string }[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/explainImage')) sent.push(JSON.parse(r.postData() ?? '{}') as { runId: number; layer?: string; method: string });
    });
    await go('analysis');
    const worst = await page.$(`${tid('analysis-worst-fp')} ${tid('thumb')}, ${tid('analysis-worst-fn')} ${tid('thumb')}`);
    if (worst) await worst.click();
    else {
      // A perfect tiny run has no mistakes to click: take an image from the dataset grid instead.
      await go('datasets');
      await page.click(`${tid('thumb-grid')} ${tid('thumb')}`);
    }
    await page.waitForSelector(tid('view-explain'));
    assert.equal(await page.$eval(tid('explain-method'), (s) => (s as HTMLSelectElement).value), 'gradcam');
    const overlay = await page.waitForSelector(`${tid('explain-overlay')}`, { timeout: 240_000 });
    await page.waitForFunction((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0, overlay);
    assert.equal(await overlay.evaluate((img) => (img as HTMLImageElement).naturalWidth), 256);
    assert.match((await overlay.getAttribute('src')) ?? '', /^data:image\/png;base64,/);
    assert.match((await page.textContent(tid('explain-prediction'))) ?? '', /^(real|fake)$/);

    // The race: switch run and method and explain at once, before the new run's layers have arrived.
    // Panels of exactly these runs, each drawn with `method` (not the previous explanation's panels).
    const explained = async (ids: number[], method: string) =>
      page.waitForFunction(
        ([want, m]) => {
          const panels = [...document.querySelectorAll('[data-testid="explain-panel"]')];
          return (
            panels.map((p) => p.getAttribute('data-run-id')).join() === (want as number[]).join() &&
            panels.every(
              (p) =>
                p.getAttribute('data-method') === m && (p.querySelector('[data-testid="explain-overlay"]') as HTMLImageElement | null)?.naturalWidth === 256,
            )
          );
        },
        [ids, method] as const,
        { timeout: 240_000 },
      );
    await page.selectOption(tid('explain-run'), String(bonusRun));
    await page.selectOption(tid('explain-method'), 'saliency');
    await page.selectOption(tid('explain-method'), 'gradcam');
    await page.click(tid('explain-go'));
    await explained([bonusRun], 'gradcam');
    await page.selectOption(tid('explain-run'), String(runIds[1]));
    await page.selectOption(tid('explain-run'), String(bonusRun));
    await page.selectOption(tid('explain-method'), 'gradcam++');
    await page.click(tid('explain-go'));
    await explained([bonusRun], 'gradcam++');
    assert.equal(await page.$(tid('error-notice')), null, 'no explanation failed');
    for (const r of sent)
      if (r.layer !== undefined) assert.ok(choices.get(r.runId)!.layers.includes(r.layer), `run ${r.runId} was sent another run's layer ${r.layer}`);
    assert.ok(sent.some((r) => r.runId === bonusRun && r.layer === choices.get(bonusRun)!.defaultLayer));

    // Side by side, two models: each run with its own layer.
    await page.selectOption(tid('explain-run'), String(runIds[0]));
    await page.selectOption(tid('explain-method'), 'gradcam');
    await page.selectOption(tid('explain-run2'), String(bonusRun));
    await page.click(tid('explain-go'));
    await explained([runIds[0]!, bonusRun], 'gradcam');
    const layers = await page.$$eval(tid('explain-panel'), (panels) =>
      panels.map((p) => [p.getAttribute('data-run-id'), p.textContent?.match(/@ (\S+)/)?.[1]]),
    );
    assert.deepEqual(layers, [
      [String(runIds[0]), choices.get(runIds[0]!)!.defaultLayer],
      [String(bonusRun), choices.get(bonusRun)!.defaultLayer],
    ]);
    assert.equal(await page.$(tid('error-notice')), null);
    await shot('05-explain');

    // Face crops: the request asks for them, and a face photo's face is found (no "no face found" note).
    await page.check(tid('explain-crop-faces'));
    await page.click(tid('explain-go'));
    await explained([runIds[0]!, bonusRun], 'gradcam');
    assert.ok(sent.at(-1) && (sent.at(-1) as { cropFaces?: boolean }).cropFaces === true, JSON.stringify(sent.at(-1)));
    assert.doesNotMatch((await page.textContent(tid('view-explain'))) ?? '', /no face found/);
    assert.equal(await page.$(tid('error-notice')), null);
    await shot('05b-explain-face-crop');
    await page.uncheck(tid('explain-crop-faces'));

    // A layer another model lacks is refused naming the run and a handful of its layers, not all of them.
    const image = path.join(subset, 'test', 'real', fs.readdirSync(path.join(subset, 'test', 'real')).sort()[0]!);
    const res = await fetch(new URL('/api/explainImage', appUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Unmask-Token': token },
      body: JSON.stringify({ runId: bonusRun, image: { path: image }, method: 'gradcam', layer: 'conv3' }),
    });
    const error = (await res.json()) as { code: string; message: string };
    assert.equal(res.status, 400);
    assert.equal(error.code, 'BAD_ARGUMENT');
    assert.match(error.message, new RegExp(`^run ${bonusRun} \\(Bonus\\): unknown layer 'conv3'`));
    assert.ok(error.message.split(',').length <= 9, error.message);
  });

  it('compares the two runs and exports a chart as SVG', { timeout: 300_000 }, async () => {
    await go('runs');
    for (const id of runIds) await page.check(`${tid('run-row')}[data-run-id="${id}"] ${tid('run-select')}`);
    await page.click(tid('runs-compare'));
    await page.waitForSelector(tid('compare-result'), { timeout: 240_000 });
    assert.ok(await chartDrawn('compare-loss'), 'the overlaid loss chart drew nothing');
    assert.ok(await chartDrawn('compare-accuracy'), 'the overlaid accuracy chart drew nothing');
    assert.equal(await page.$$eval(`${tid('compare-result')} ${tid('metrics-row')}`, (rows) => rows.length), 2);
    await page.waitForTimeout(300);
    await shot('06-compare');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click(tid('compare-loss-svg'))]);
    assert.equal(download.suggestedFilename(), `loss-runs-${runIds.join('-')}.svg`);
    const file = await download.path();
    const svg = fs.readFileSync(file, 'utf8');
    assert.ok(svg.trimStart().startsWith('<svg'), `not an SVG document: ${svg.slice(0, 80)}`);
    for (const id of runIds) assert.ok(svg.includes(`run ${id}`), `the legend of run ${id} is missing from the SVG`);
    assert.ok(svg.includes('SimpleNet'));
  });

  it('exports a report of both runs to a folder', { timeout: 300_000 }, async () => {
    await go('export');
    for (const id of runIds) await page.check(`${tid('export-run')}[data-run-id="${id}"]`);
    const out = path.join(tmp, 'report');
    await page.fill(tid('export-out'), out);
    await page.click(tid('export-go'));
    await page.waitForSelector(tid('export-result'), { timeout: 240_000 });
    const files = await page.$$eval(tid('export-file'), (els) => els.map((e) => e.getAttribute('data-path') ?? ''));
    assert.ok(files.length > 0, 'the report listed no files');
    for (const f of files) assert.ok(fs.existsSync(path.isAbsolute(f) ? f : path.join(out, f)), `listed but not written: ${f}`);
    await shot('07-export');
  });

  it('works over an Electron-style bridge too (envelopes unwrapped, errors rebuilt with their code)', async () => {
    const bridged = await context.newPage();
    bridged.on('pageerror', (e) => pageErrors.push(e.message));
    // Stands in for preload's contextBridge object: each method answers an Envelope, as IPC does. A string, not a
    // function: tsx's transform would put its `__name` helper into a serialised function, which the page lacks.
    await bridged.addInitScript(`(() => {
      const call = async (method, params) => {
        const res = await fetch('/api/' + method, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Unmask-Token': ${JSON.stringify(token)} }, body: JSON.stringify(params ?? {}) });
        const body = await res.json();
        return res.ok ? { ok: true, value: body } : { ok: false, error: body };
      };
      window.unmask = new Proxy({}, { get: (_t, name) => (name === 'onEvent' ? () => () => undefined : (params) => call(name, params)) });
    })();`);
    await bridged.goto(new URL('/', appUrl).href);
    await bridged.waitForFunction(() => /v\d/.test(document.querySelector('[data-testid="app-version"]')?.textContent ?? ''));
    await bridged.fill(tid('dataset-path'), path.join(tmp, 'missing'));
    await bridged.click(tid('dataset-open'));
    assert.equal(await (await bridged.waitForSelector(`${tid('error-notice')} code`)).textContent(), 'NOT_FOUND');
    await bridged.fill(tid('dataset-path'), fakes);
    await bridged.click(tid('dataset-open'));
    await bridged.waitForSelector(tid('dataset-counts'));
    assert.equal(await bridged.textContent(`${tid('counts-all')} ${tid('count-total')}`), '2041');
    await bridged.close();
  });

  it(
    'sends a sweep from the Train screen to a Redis queue set on the Fleet screen; the Runs screen groups it with its worker',
    { timeout: 600_000 },
    async () => {
      redis = await startRedis();
      fs.mkdirSync(queueArtifacts, { recursive: true });
      worker = await startWorker({ queue: redis.url, dataRoot: tmp, artifacts: queueArtifacts });
      await go('fleet');
      assert.match((await page.textContent(tid('queue-mode'))) ?? '', /On this machine/);
      await page.waitForSelector(tid('fleet-worker'));
      await shot('09a-fleet-this-machine');
      await page.fill(tid('queue-url'), redis.url);
      await page.fill(tid('queue-artifacts'), queueArtifacts);
      await page.click(tid('queue-apply'));
      await page.waitForFunction((url) => document.querySelector('[data-testid="queue-mode"]')?.textContent?.includes(url), redis.url);
      await page.waitForSelector(`${tid('fleet-worker')}[data-worker="${worker.name}"]`, { timeout: 30_000 });

      await go('train');
      await page.selectOption(tid('train-dataset'), path.resolve(subset));
      await page.selectOption(tid('train-model'), 'SimpleNet');
      await page.fill(tid('train-batch'), '8');
      await page.fill(tid('train-epochs'), '1');
      await page.fill(tid('sweep-lrs'), '0.001, 0.0005');
      assert.match((await page.textContent(tid('sweep-start'))) ?? '', /Start sweep \(2 runs\)/);
      const before = await page.$$eval(tid('job-card'), (cards) => cards.length);
      await page.click(tid('sweep-start'));
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-card"]').length === n, before + 2);
      await page.waitForSelector(tid('job-worker'), { timeout: 120_000 });
      await shot('10-train-sweep');
      await go('fleet');
      await page.waitForFunction(() => document.querySelector('[data-testid="fleet-worker"]')?.textContent?.includes('train'), undefined, { timeout: 120_000 });
      await shot('09-fleet');
      await go('train');
      await page.waitForFunction(
        (n) => {
          const cards = [...document.querySelectorAll('[data-testid="job-card"]')];
          return cards.length === n && cards.every((c) => ['completed', 'failed', 'cancelled'].includes(c.getAttribute('data-state') ?? ''));
        },
        before + 2,
        { timeout: 540_000, polling: 500 },
      );
      const swept = (await callApi<RunRow[]>('listRuns', {})).filter((r) => r.sweep !== null);
      assert.equal(swept.length, 2);
      assert.ok(
        swept.every((r) => r.status === 'completed' && r.worker === worker!.name),
        JSON.stringify(swept.map((r) => [r.status, r.worker])),
      );

      await go('runs');
      await page.click(tid('runs-refresh'));
      await page.waitForSelector(`${tid('sweep-row')}[data-sweep="${swept[0]!.sweep}"]`);
      assert.match((await page.textContent(tid('sweep-row'))) ?? '', /2 runs · lr 0\.0005, 0\.001 · 2 completed/);
      const workers = await page.$$eval(`${tid('run-row')}[data-sweep="${swept[0]!.sweep}"] ${tid('run-worker')}`, (cells) =>
        cells.map((c) => c.textContent?.trim()),
      );
      assert.deepEqual(workers, [worker.name, worker.name]);
      await shot('11-runs-sweep');
    },
  );

  it('raised no console errors or CSP violations', () => {
    assert.deepEqual(pageErrors, []);
  });
});
