/**
 * Test inputs shared by the unit tests and the e2e specs of the page's import and export:
 * written here once, independently of the code under test. Plain TypeScript, no tfjs.
 */

/** An RFC 4180 reader written for the tests: quoted fields, "" for a quote, CRLF rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

/**
 * A consistent tfjs model that reads 100 numbers, not a 28x28 digit: wide.json and its
 * wide.bin of 1,010 float32 weights (zeros).
 */
export function wideModelFiles(): { name: string; bytes: Uint8Array }[] {
  const modelJson = {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'wide',
        layers: [
          {
            class_name: 'Dense',
            config: { name: 'd', units: 10, activation: 'softmax', batch_input_shape: [null, 100] },
          },
        ],
      },
    },
    weightsManifest: [
      {
        paths: ['wide.bin'],
        weights: [
          { name: 'd/kernel', shape: [100, 10], dtype: 'float32' },
          { name: 'd/bias', shape: [10], dtype: 'float32' },
        ],
      },
    ],
  };
  return [
    { name: 'wide.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
    { name: 'wide.bin', bytes: new Uint8Array(4 * 1010) },
  ];
}
