/**
 * The behaviour view's figures drawn on a canvas for a PNG (a paper's figure): the confusion
 * difference as a grid of coloured cells with their counts, and flipped images in a grid with
 * captions. White background, black text, so they print.
 */
import { heatColour, type HeatCell } from './behaviour.ts';

const FONT = '12px system-ui, sans-serif';

function context2d(canvas: HTMLCanvasElement, width: number, height: number) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser draws no 2D canvas');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  context.font = FONT;
  context.textBaseline = 'middle';
  return context;
}

export function drawHeatMapFigure(
  canvas: HTMLCanvasElement,
  cells: readonly (readonly HeatCell[])[],
  names: readonly string[],
  title: string,
): void {
  const size = 36;
  const margin = 90;
  const top = 50;
  const k = cells.length;
  const context = context2d(canvas, margin + k * size + 10, top + k * size + 40);
  context.fillStyle = '#000';
  context.fillText(title, 8, 14);
  context.textAlign = 'center';
  names.forEach((n, c) => context.fillText(n.slice(0, 5), margin + c * size + size / 2, top - 10));
  context.fillText('predicted →', margin + (k * size) / 2, 32);
  cells.forEach((row, t) => {
    context.textAlign = 'right';
    context.fillStyle = '#000';
    context.fillText(names[t].slice(0, 11), margin - 6, top + t * size + size / 2);
    row.forEach((cell, p) => {
      const [x, y] = [margin + p * size, top + t * size];
      const colour = heatColour(cell);
      if (colour) {
        context.fillStyle = colour;
        context.fillRect(x, y, size, size);
      }
      context.strokeStyle = t === p ? '#000' : '#ccc';
      context.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
      if (cell.value !== 0) {
        context.fillStyle = '#000';
        context.textAlign = 'center';
        context.fillText(
          cell.value > 0 ? `+${cell.value}` : `−${-cell.value}`,
          x + size / 2,
          y + size / 2,
        );
      }
    });
  });
  context.textAlign = 'left';
  context.fillStyle = '#000';
  context.fillText(
    'rows: true class; + orange: more often, − blue: less often',
    8,
    top + k * size + 22,
  );
}

export interface GalleryImage {
  readonly rgba: Uint8ClampedArray<ArrayBuffer>;
  readonly caption: readonly string[];
}

export function drawGalleryFigure(
  canvas: HTMLCanvasElement,
  images: readonly GalleryImage[],
  shape: readonly [number, number, number],
  title: string,
): void {
  const [height, width] = shape;
  const scale = 2;
  const cellWidth = Math.max(width * scale, 70) + 8;
  const cellHeight = height * scale + 34;
  const columns = Math.max(1, Math.min(12, images.length));
  const rows = Math.ceil(images.length / columns);
  const context = context2d(canvas, columns * cellWidth + 8, 28 + rows * cellHeight);
  context.fillStyle = '#000';
  context.fillText(title, 8, 14);
  const tile = document.createElement('canvas');
  tile.width = width;
  tile.height = height;
  const tileContext = tile.getContext('2d')!;
  context.imageSmoothingEnabled = false;
  images.forEach((image, i) => {
    const [x, y] = [8 + (i % columns) * cellWidth, 28 + Math.floor(i / columns) * cellHeight];
    tileContext.putImageData(new ImageData(image.rgba, width, height), 0, 0);
    context.drawImage(tile, x, y, width * scale, height * scale);
    context.fillStyle = '#000';
    image.caption.forEach((line, l) => context.fillText(line, x, y + height * scale + 9 + l * 14));
  });
}
