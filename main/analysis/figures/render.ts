// Server-side rendering of ECharts options to SVG (ECharts' SSR renderer) and PNG (sharp), and writing them to files.
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { UnmaskError } from '../../engine/errors.js';
import { loadEcharts, type EChartsOption } from './echarts.js';

const echarts = loadEcharts();

/** Size of a rendered figure in CSS pixels (SVG) or pixels (PNG). */
export interface FigureSize {
  width: number;
  height: number;
}

/** PNG rendering options. */
export interface PngOptions extends FigureSize {
  /**
   * Supersampling factor: the SVG is rasterised at `scale`× (density 72·scale) and reduced to width×height,
   * which gives crisp anti-aliased text and lines (default 2).
   */
  scale?: number;
}

/** Default figure size. */
export const DEFAULT_SIZE: FigureSize = { width: 900, height: 560 };

function checkSize({ width, height }: FigureSize): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 16 || v > 8192) throw new UnmaskError('BAD_ARGUMENT', `figure ${name} must be an integer in 16…8192, got ${v}`);
  }
}

/** Renders an option to an SVG document string with ECharts' server-side SVG renderer (no DOM, animation off). */
export function renderSvg(option: EChartsOption, size: FigureSize = DEFAULT_SIZE): string {
  checkSize(size);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Renders an option to a PNG of exactly width×height pixels on white (via {@link renderSvg} and sharp). */
export async function renderPng(option: EChartsOption, options: PngOptions = DEFAULT_SIZE): Promise<Buffer> {
  const scale = options.scale ?? 2;
  if (!(scale >= 1 && scale <= 8)) throw new UnmaskError('BAD_ARGUMENT', `PNG scale must be in 1…8, got ${scale}`);
  const svg = renderSvg(option, options);
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .resize(options.width, options.height, { fit: 'fill', kernel: 'lanczos3' })
    .flatten({ background: '#ffffff' })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * Writes a figure to `file`, SVG or PNG by its extension (.svg / .png, any case); parent folders are created.
 * Throws BAD_ARGUMENT for another extension.
 */
export async function writeFigure(option: EChartsOption, file: string, size: PngOptions = DEFAULT_SIZE): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new UnmaskError('BAD_ARGUMENT', `figure file must end in .svg or .png: ${file}`);
  const data = ext === '.svg' ? renderSvg(option, size) : await renderPng(option, size);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, data);
}
