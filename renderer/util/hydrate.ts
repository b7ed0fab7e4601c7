// Puts back what an API chart option loses on its way to a browser canvas (function formatters, font metrics) before ECharts draws it.

/** An ECharts option as the API sends it (the contract's ChartOption; no import, so Node tests can load this file). */
type ChartOption = Record<string, unknown>;

/**
 * Standard normal CDF Φ(x) via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: enough to print DET ticks
 * such as 0.1% exactly).
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** A probability as DET tick labels print it: 0.001 → "0.1%", 0.05 → "5%". */
const percent = (p: number): string => `${Number((p * 100).toFixed(1))}%`;

type Axis = Record<string, unknown> & { name?: unknown; axisLabel?: Record<string, unknown> };

/**
 * DET axes are probit(rate) with ticks at `axisLabel.customValues`; the main side labels them with a function,
 * which JSON drops, leaving raw normal deviates ("-2.3263…"). Labels each tick with Φ(value) as a percent.
 */
function hydrateAxis(axis: Axis): Axis {
  const label = axis.axisLabel;
  const isDet = typeof axis.name === 'string' && /normal deviate/i.test(axis.name);
  if (!isDet || !label || !Array.isArray(label.customValues) || label.formatter !== undefined) return axis;
  return { ...axis, axisLabel: { ...label, formatter: (value: number) => percent(normalCdf(value)) } };
}

function hydrateAxes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((a) => hydrateAxis(a as Axis));
  if (value && typeof value === 'object') return hydrateAxis(value as Axis);
  return value;
}

/**
 * Multi-line labels (the confusion matrix's "count\npercent") get an explicit line height: ECharts' canvas
 * default is the measured width of a CJK glyph, which collapses to a few pixels where no CJK font is installed.
 */
function hydrateSeries(series: unknown): unknown {
  if (!Array.isArray(series)) return series;
  return series.map((s: Record<string, unknown>) => {
    const label = s?.label as Record<string, unknown> | undefined;
    if (!label || label.lineHeight !== undefined) return s;
    const size = typeof label.fontSize === 'number' ? label.fontSize : 12;
    return { ...s, label: { ...label, lineHeight: Math.round(size * 1.3) } };
  });
}

/** A copy of `option` with the formatters JSON dropped put back (only for the figure kinds known to use them). */
export function hydrateOption(option: ChartOption): ChartOption {
  const out: ChartOption = { ...option };
  if (option.xAxis !== undefined) out.xAxis = hydrateAxes(option.xAxis);
  if (option.yAxis !== undefined) out.yAxis = hydrateAxes(option.yAxis);
  if (option.series !== undefined) out.series = hydrateSeries(option.series);
  return out;
}
