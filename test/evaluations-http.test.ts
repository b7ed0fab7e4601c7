// A run's recorded results through the HTTP API after other scorings: its own numbers stay, evaluations appear apart,
// labelled, with their own analysis and matrix cells; an older database's replaced scores show missing until re-scored.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EvaluationDetail, EvaluationRow, MatrixResult, RunDetail, RunRow, AnalysisResult } from '../main/api/contract.js';
import { initEngine } from '../main/engine/select.js';
import { createHttpServer } from '../main/server/http.js';
import { createService, type UnmaskService } from '../main/service/service.js';
import { RunStore } from '../main/store/index.js';
import { launchNodeWorker } from '../main/worker/launch.js';
import { postApi } from './helpers/api.js';
import { runUnmask } from './helpers/cli.js';
import { tinyRun, type TinyRun } from './helpers/tiny-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-evaluations-http-'));
const dbFile = path.join(tmp, 'runs.db');
const token = 'evaluations-token-0123456789abcdef';
process.env.UNMASK_DB = dbFile;
process.env.UNMASK_ENGINE = 'wasm';

let run: TinyRun;
let ownTestAuc = 0;
let service: UnmaskService;
let server: http.Server;
let port = 0;

const call = <T>(method: string, params: unknown): Promise<T> => postApi<T>(`http://127.0.0.1:${port}`, token, method, params);

before(async () => {
  await initEngine({ requested: 'wasm' });
  const store = RunStore.open(dbFile);
  run = await tinyRun(store, tmp);
  store.close();
  // The run's own test scores, then two other scorings through the CLI, as a user would.
  for (const args of [
    ['score', '--run', String(run.runId)],
    ['score', '--run', String(run.runId), '--dataset', run.testOnly, '--split', 'test'],
    ['score', '--run', String(run.runId), '--checkpoint', 'last'],
  ]) {
    const r = runUnmask([...args, '--db', dbFile]);
    assert.equal(r.code, 0, r.stderr);
    if (args.length === 3) ownTestAuc = (JSON.parse(r.stdout) as { summary: { auc: number } }).summary.auc;
  }
  await serve(dbFile);
});

/** The service and its HTTP transport over `db` (the analysis worker finds the same file through UNMASK_DB). */
async function serve(db: string): Promise<void> {
  process.env.UNMASK_DB = db;
  service = createService({ dbPath: db, transport: 'http', launch: launchNodeWorker });
  server = createHttpServer({ service, token, staticDir: null });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
}

function stop(): void {
  server?.close();
  server?.closeAllConnections();
  service?.close();
}

after(() => {
  stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a run read through the HTTP API after scoring another folder and the last checkpoint', () => {
  it("keeps the run's own test AUC, labelled with its dataset, split and checkpoint", async () => {
    const [row] = await call<RunRow[]>('listRuns', {});
    assert.equal(row!.testAuc, ownTestAuc);
    assert.equal(row!.testAucSource?.label, 'own · own test split · best checkpoint (epoch 1)');
    assert.equal(row!.evaluations, 2);
    assert.deepEqual(row!.missingOwnScores, []);
    const detail = await call<RunDetail>('getRun', { runId: run.runId });
    assert.equal(detail.run.testAuc, ownTestAuc);
    const analysis = await call<AnalysisResult>('analyseRun', { runId: run.runId, split: 'test' });
    assert.deepEqual([analysis.n, analysis.summary?.auc, analysis.source.kind], [5, ownTestAuc, 'own']);
    assert.match(JSON.stringify(analysis.charts.roc), /own · own test split · best checkpoint \(epoch 1\) · n = 5/);
  });

  it('lists the other scorings as evaluations, each labelled, with its own analysis and matrix cell', async () => {
    const evaluations = await call<EvaluationRow[]>('listEvaluations', { runId: run.runId });
    const labels = evaluations.map((e) => e.source.label).sort();
    assert.deepEqual(labels, ['own · test split · last checkpoint (epoch 2)', 'test-only · test split · best checkpoint (epoch 1)']);
    const foreign = evaluations.find((e) => e.source.datasetName === 'test-only')!;
    assert.deepEqual([foreign.n, foreign.source.kind, foreign.source.split, foreign.origin], [5, 'evaluation', 'test', 'evaluated']);
    assert.ok(foreign.aucInterval && foreign.accuracyAtHalf !== null && foreign.runThreshold !== null);
    const detail = await call<EvaluationDetail>('getEvaluation', { evaluationId: foreign.id });
    assert.deepEqual([detail.n, detail.summary?.auc, detail.source.label], [5, foreign.auc, foreign.source.label]);
    assert.ok(detail.charts.roc && detail.charts.det);
    // Its worst errors are images of the evaluated folder, which the app may show without opening it.
    const mistake = [...detail.falsePositives, ...detail.falseNegatives][0];
    if (mistake) assert.equal((await call<{ width: number }>('getImage', { path: mistake.path, size: 64 })).width, 64);

    const matrix = await call<MatrixResult>('crossDatasetMatrix', {});
    assert.deepEqual(
      matrix.rows.map((r) => r.runId),
      [run.runId],
    );
    assert.deepEqual(
      matrix.columns.map((c) => `${c.datasetName}/${c.split}`),
      ['own/test', 'test-only/test'],
    );
    const own = matrix.cells.find((c) => c.source === 'own')!;
    assert.deepEqual([own.auc, own.checkpoint, own.n], [ownTestAuc, 'best', 5]);
    const cell = matrix.cells.find((c) => c.evaluationId === foreign.id)!;
    assert.ok(cell.interval && cell.interval.low <= cell.auc! && cell.auc! <= cell.interval.high);
    // The own column's cell is the run's own test scores, never the last checkpoint's evaluation of the same split.
    assert.equal(matrix.cells.length, 2);
    assert.match(matrix.csv.split('\n')[0]!, /^run,model,trained on,own \(test\) AUC,/);
  });

  it('evaluates an opened folder from the app, every image of it by default', async () => {
    await call('openDataset', { path: run.flat });
    const row = await call<EvaluationRow>('evaluateRun', { runId: run.runId, dataset: run.flat });
    assert.deepEqual([row.n, row.source.split, row.source.label], [7, 'all', 'flat · all images · best checkpoint (epoch 1)']);
    assert.equal((await call<RunRow[]>('listRuns', {}))[0]!.testAuc, ownTestAuc);
  });
});

describe('an older database whose own scores another scoring had replaced', () => {
  it('shows them missing (never the other number) until they are scored again', async () => {
    // Make the file an older (schema 3) one in which `score --dataset OTHER` had replaced the run's test scores.
    stop();
    const older = path.join(tmp, 'older.db');
    fs.copyFileSync(dbFile, older);
    const db = new Database(older);
    db.exec(
      'DROP TABLE jobs; DROP TABLE settings; DROP TABLE own_scores_replaced; DROP TABLE evaluation_scores; DROP TABLE evaluations; ALTER TABLE score_sets DROP COLUMN checkpoint_epoch',
    );
    db.prepare("UPDATE scores SET path = replace(path, ?, ?) WHERE split = 'test'").run(run.own, run.testOnly);
    db.prepare("UPDATE score_sets SET auc = 0.433 WHERE split = 'test'").run();
    db.pragma('user_version = 3');
    db.close();
    await serve(older);
    const [row] = await call<RunRow[]>('listRuns', {});
    assert.equal(row!.testAuc, null);
    assert.equal(row!.missingOwnScores[0]?.split, 'test');
    const moved = (await call<EvaluationRow[]>('listEvaluations', {})).find((e) => e.id === row!.missingOwnScores[0]!.evaluationId)!;
    assert.deepEqual([moved.auc, moved.origin, moved.source.label], [0.433, 'migrated', 'test-only · test split · checkpoint not recorded']);
    const rescored = await call<RunRow>('rescoreRun', { runId: run.runId, split: 'test' });
    assert.deepEqual([rescored.testAuc, rescored.missingOwnScores], [ownTestAuc, []]);
  });
});
