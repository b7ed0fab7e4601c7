// The ECharts types for option builders, and the runtime for the server-side renderer, loaded past a typing quirk.
// echarts 5's index.d.ts is `export = echarts` inside a "type": "module" package, which TypeScript (NodeNext)
// rejects (TS2497), so types come from the self-contained 'echarts/types/dist/echarts' declaration file.
import { createRequire } from 'node:module';

export type { BarSeriesOption, EChartsOption, HeatmapSeriesOption, LineSeriesOption } from 'echarts/types/dist/echarts';

/** The echarts module's API (init, version, ...). */
export type EchartsApi = typeof import('echarts/types/dist/echarts');

/** Loads the echarts runtime (Node's own resolution; the same API as `import * as echarts from 'echarts'`). */
export function loadEcharts(): EchartsApi {
  return createRequire(import.meta.url)('echarts') as EchartsApi;
}
