// Writes the cross-dataset matrix beside other figures: matrix.svg, matrix.png (the heatmap) and matrix.csv.
import fs from 'node:fs/promises';
import path from 'node:path';
import { matrixCsv, type CrossDatasetMatrix } from '../matrix.js';
import { matrixFigure, matrixFigureSize } from './matrix.js';
import { writeFigure } from './render.js';

/** Writes matrix.svg, matrix.png and matrix.csv into `out` (created); returns their paths. Nothing for an empty matrix. */
export async function writeMatrixFiles(matrix: CrossDatasetMatrix, out: string): Promise<string[]> {
  if (matrix.cells.length === 0) return [];
  await fs.mkdir(out, { recursive: true });
  const option = matrixFigure(matrix);
  const size = matrixFigureSize(matrix);
  const files = [path.join(out, 'matrix.svg'), path.join(out, 'matrix.png'), path.join(out, 'matrix.csv')];
  await writeFigure(option, files[0]!, size);
  await writeFigure(option, files[1]!, size);
  await fs.writeFile(files[2]!, matrixCsv(matrix));
  return files;
}
