// `unmask predict --run R PATH...`: one JSON line per image (path, P(fake), label at the run's threshold), streamed.
import type { COMMANDS } from './commands.js';
import { checkpointKind, positiveInt, runId } from './score.js';
import type { ParsedCommand } from './spec.js';
import { openStore } from './train.js';

/** Resolves once `stream` can take more (so a slow reader of stdout holds back scoring, not memory). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once('drain', resolve));
}

export async function predictCommand({ values, positionals }: ParsedCommand<typeof COMMANDS.predict.options>): Promise<number> {
  const id = runId(values.run);
  const kind = checkpointKind(values.checkpoint);
  const batchSize = positiveInt('batch-size', values['batch-size']);
  const [{ initEngine }, { loadRunModel }, { runThreshold }, { predictImages }, { imageFiles, FaceCropper }, { cachedFeaturesOf }] = await Promise.all([
    import('../engine/select.js'),
    import('../analysis/run-model.js'),
    import('../analysis/run-threshold.js'),
    import('../analysis/predict.js'),
    import('../data/index.js'),
    import('../analysis/score.js'),
  ]);
  await initEngine();
  const { store } = openStore(values.db);
  let loaded;
  let threshold: number;
  try {
    const chosen = await runThreshold(store, id);
    if ('missing' in chosen) process.stderr.write(`${chosen.missing}; labelling at 0.5\n`);
    threshold = 'threshold' in chosen ? chosen.threshold.threshold : 0.5;
    loaded = loadRunModel(store, id, kind);
  } finally {
    store.close();
  }
  let errors = 0;
  try {
    const options = {
      batchSize: batchSize ?? loaded.run.params.batchSize ?? 32,
      ttaFlip: loaded.run.params.ttaFlip === true,
      threshold,
      cached: cachedFeaturesOf(loaded.run, store.file, false),
      // A run trained on face crops is always shown face crops.
      faceCropper: values['crop-faces'] || loaded.run.params.cropFaces === true ? new FaceCropper() : undefined,
    };
    for await (const prediction of predictImages(loaded.model, imageFiles(positionals), options)) {
      if ('error' in prediction) errors++;
      if (!process.stdout.write(`${JSON.stringify(prediction)}\n`)) await drained(process.stdout);
    }
  } finally {
    loaded.model.dispose();
  }
  return errors > 0 ? 1 : 0;
}
