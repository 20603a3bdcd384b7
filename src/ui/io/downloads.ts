/** Files the page offers for download: Blob URLs made here, revoked by whoever replaces them. */
export interface DownloadFile {
  readonly name: string;
  readonly url: string;
  readonly bytes: number;
}

export function downloadFile(
  name: string,
  data: Uint8Array | string,
  type = 'application/octet-stream',
): DownloadFile {
  const blob = new Blob([data as BlobPart], { type });
  return { name, url: URL.createObjectURL(blob), bytes: blob.size };
}

export function revokeAll(files: readonly DownloadFile[]): void {
  for (const f of files) URL.revokeObjectURL(f.url);
}
