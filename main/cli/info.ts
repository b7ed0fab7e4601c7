// `unmask params` (a model's trainable parameter count) and `unmask bench` (engine, explanation, soak and queue benchmarks).
import { UnmaskError } from '../engine/errors.js';
import type { COMMANDS } from './commands.js';
import type { ParsedCommand } from './spec.js';

const bad = (message: string): never => {
  throw new UnmaskError('BAD_ARGUMENT', message);
};

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export async function paramsCommand({ values }: ParsedCommand<typeof COMMANDS.params.options>): Promise<number> {
  const { countTrainableParams, isModelName, MODEL_NAMES, models } = await import('../models/registry.js');
  const name = values.model ?? '';
  if (!isModelName(name)) throw new UnmaskError('BAD_ARGUMENT', `unknown model '${name}'; choose one of ${MODEL_NAMES.join(', ')}`);
  const { initEngine } = await import('../engine/select.js');
  await initEngine();
  const model = models[name].create();
  print(String(countTrainableParams(model)));
  model.dispose();
  return 0;
}

export async function benchCommand({ values, positionals }: ParsedCommand<typeof COMMANDS.bench.options>): Promise<number> {
  const which = positionals[0];
  if (which === 'soak') {
    const dataRoot = process.env.UNMASK_DATA_ROOT ?? '../shared/data';
    const { benchSoak } = await import('../bench/soak.js');
    const ok = await benchSoak({ dataset: `${dataRoot}/fakes_dataset`, requests: values.quick ? 100 : 1000, log: print });
    return ok ? 0 : 1;
  }
  if (which === 'explain') {
    // Latency targets are stated for the fallback engine: measure it unless UNMASK_ENGINE says otherwise.
    const { initEngine, parseEngineName } = await import('../engine/select.js');
    await initEngine({ requested: parseEngineName(process.env.UNMASK_ENGINE) ?? 'wasm' });
    await (await import('../analysis/explain/bench.js')).benchExplain(print);
    return 0;
  }
  if (which === 'queue') {
    const dataRoot = process.env.UNMASK_DATA_ROOT ?? '../shared/data';
    await (await import('../bench/queue-bench.js')).benchQueue({ dataset: `${dataRoot}/fakes_dataset`, quick: values.quick === true, log: print });
    return 0;
  }
  if (which !== 'engine') throw new UnmaskError('BAD_ARGUMENT', `unmask bench: unknown benchmark '${String(which)}'; choose engine, explain, soak or queue`);
  const bench = await import('../bench/engine-bench.js');
  if (values.child) await bench.benchCurrentEngine(values.quick === true, print);
  else {
    const rounds = Number(values.rounds);
    if (!(Number.isInteger(rounds) && rounds >= 1)) throw new UnmaskError('BAD_ARGUMENT', `--rounds must be a whole number ≥ 1, got ${values.rounds}`);
    const { parseEngineName } = await import('../engine/select.js');
    const engines = values.engines?.split(',').map((e) => parseEngineName(e.trim()) ?? bad(`--engines: '${e}' is not an engine`));
    await bench.benchEngines({
      quick: values.quick === true,
      withCpu: values['with-cpu'] === true || engines?.includes('cpu') === true,
      rounds,
      engines,
      log: print,
    });
  }
  return 0;
}
