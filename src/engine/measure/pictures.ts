/**
 * Pictures of a layer that people would rather look at than read: its pruning mask as an image
 * (as in Han et al. 2015, Figure 4), one row per output filter or unit, one column per input
 * weight, shrunk by averaging blocks so the page can draw it at any size.
 */
import type { LayerGraph } from '../model/graph.ts';
import { GraphError } from '../model/graph.ts';

export interface MaskPicture {
  readonly layer: string;
  /** The kernel as a matrix: rows are output filters or units, columns their input weights. */
  readonly rows: number;
  readonly columns: number;
  /** The picture's size after shrinking; each pixel is the share of weights kept, 0 to 255. */
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  readonly density: number;
}

export function maskPicture(graph: LayerGraph, layer: string, maxSide = 256): MaskPicture {
  const node = graph.node(layer);
  const kernel = node.weights.find((w) => w.prunable);
  if (!kernel) throw new GraphError(`layer "${layer}" has no kernel to draw`);
  const rows = kernel.shape[kernel.shape.length - 1];
  const columns = kernel.values.length / rows;
  const width = Math.min(columns, maxSide);
  const height = Math.min(rows, maxSide);
  const kept = new Float64Array(width * height);
  const counts = new Float64Array(width * height);
  let total = 0;
  // Kernel element i is input position floor(i / rows), output filter i % rows.
  for (let i = 0; i < kernel.values.length; i++) {
    const row = i % rows;
    const column = Math.floor(i / rows);
    const pixel =
      Math.floor((row * height) / rows) * width + Math.floor((column * width) / columns);
    const on = kernel.values[i] !== 0 ? 1 : 0;
    kept[pixel] += on;
    counts[pixel] += 1;
    total += on;
  }
  const pixels = new Uint8Array(width * height);
  for (let p = 0; p < pixels.length; p++)
    pixels[p] = counts[p] ? Math.round((255 * kept[p]) / counts[p]) : 0;
  return { layer, rows, columns, width, height, pixels, density: total / kernel.values.length };
}
