/** How the CLI's tables print fractions and sizes. */
export const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
