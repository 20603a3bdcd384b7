/** The committed descriptor is what scripts/onnx-schema.ts makes from the vendored onnx.proto. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  onnxSchemaDescriptor,
  onnxSchemaText,
  SCHEMA_DIR,
} from '../../../../scripts/onnx-schema.ts';
import { ModelProto, TensorProto } from './schema.ts';

describe('ONNX schema descriptor', () => {
  it('regenerating it from onnx.proto gives the committed onnx.json', () => {
    const committed = JSON.parse(readFileSync(join(SCHEMA_DIR, 'onnx.json'), 'utf8'));
    expect(committed).toEqual(onnxSchemaDescriptor(onnxSchemaText()));
  });

  it('holds the fields the decoder reads, with onnx.proto field numbers', () => {
    expect(ModelProto.fields.graph.id).toBe(7);
    expect(ModelProto.fields.opset_import.id).toBe(8);
    expect(TensorProto.fields.raw_data.id).toBe(9);
    expect(TensorProto.fields.float_data.packed).toBe(true);
  });
});
