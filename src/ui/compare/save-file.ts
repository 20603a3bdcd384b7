/** Hands a file to the browser's download (a CSV, a PNG figure). */
export function saveFile(name: string, data: Blob | string, type = 'text/csv'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has read the URL by the next task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A canvas as a PNG file download. */
export function saveCanvasPng(canvas: HTMLCanvasElement, name: string): void {
  canvas.toBlob((blob) => {
    if (blob) saveFile(name, blob, 'image/png');
  }, 'image/png');
}
