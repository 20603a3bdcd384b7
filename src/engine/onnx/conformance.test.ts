/**
 * ONNX's own backend tests (test-fixtures/onnx/node and pytorch-converted, vendored from
 * Debian's libonnx-testdata): every vendored test either runs through the importer and the
 * lab's executor and matches ONNX's expected output, or is refused with an OnnxError for the
 * reason listed below (a form an image classifier importer does not take). None is skipped
 * silently and none may give a wrong answer. Of the 167 vendored tests, 96 match (within
 * 1e-4 + 1e-4 |expected|) and 71 are refused.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../node/backend.ts';
import { runConformance } from './conformance-harness.ts';
import { OnnxError } from './onnx-model.ts';

const ROOT = join(import.meta.dirname, '../../../test-fixtures/onnx');

const ONE_D_INPUT = /has shape \[\d+\]; the lab imports/;
const CONSTANT_VARIES = /with a constant of shape .*one number or one per channel/;
const MOVES_BATCH = /moves the batch|merges images of the batch|before the batch/;

/** Tests the importer refuses, each with why it does not apply and the refusal it gives. */
const REFUSED: Readonly<Record<string, { readonly why: string; readonly message: RegExp }>> = {
  ...Object.fromEntries(
    [
      'test_clip_default_inbounds',
      'test_clip_example',
      'test_clip_inbounds',
      'test_clip_outbounds',
      'test_clip_splitbounds',
      'test_concat_1d_axis_0',
      'test_concat_1d_axis_negative_1',
      'test_dropout_default_old',
      'test_gather_negative_indices',
      'test_hardsigmoid_example',
      'test_leakyrelu_example',
      'test_mul_example',
      'test_sigmoid_example',
      'test_tanh_example',
    ].map((t) => [t, { why: 'a 1-D input has no batch axis', message: ONE_D_INPUT }]),
  ),
  ...Object.fromEntries(
    ['test_add', 'test_add_bcast', 'test_mul', 'test_mul_bcast'].map((t) => [
      t,
      {
        why: 'the second operand (an initializer here) varies along the image, not per channel',
        message: CONSTANT_VARIES,
      },
    ]),
  ),
  ...Object.fromEntries(
    [
      'test_concat_2d_axis_0',
      'test_concat_2d_axis_1',
      'test_concat_2d_axis_negative_1',
      'test_concat_2d_axis_negative_2',
      'test_concat_3d_axis_0',
      'test_concat_3d_axis_1',
      'test_concat_3d_axis_2',
      'test_concat_3d_axis_negative_1',
      'test_concat_3d_axis_negative_2',
      'test_concat_3d_axis_negative_3',
    ].map((t) => [
      t,
      {
        why: 'the second operand becomes an initializer: a tensor concatenated with a constant',
        message: /expects a computed tensor as input 2/,
      },
    ]),
  ),
  ...Object.fromEntries(
    [
      'test_flatten_axis0',
      'test_flatten_axis2',
      'test_flatten_axis3',
      'test_flatten_negative_axis1',
      'test_flatten_negative_axis2',
      'test_flatten_negative_axis4',
      'test_reshape_allowzero_reordered',
      'test_reshape_negative_extended_dims',
      'test_reshape_one_dim',
      'test_reshape_reordered_all_dims',
      'test_transpose_all_permutations_2',
      'test_transpose_all_permutations_3',
      'test_transpose_all_permutations_4',
      'test_transpose_all_permutations_5',
      'test_transpose_default',
      'test_unsqueeze_axis_0',
    ].map((t) => [t, { why: 'mixes images of the batch (axis 0)', message: MOVES_BATCH }]),
  ),
  ...Object.fromEntries(
    [
      'test_shape',
      'test_shape_clip_end',
      'test_shape_clip_start',
      'test_shape_end_1',
      'test_shape_end_negative_1',
      'test_shape_example',
      'test_shape_start_1',
      'test_shape_start_1_end_2',
      'test_shape_start_1_end_negative_1',
      'test_shape_start_negative_1',
    ].map((t) => [
      t,
      {
        why: 'Shape is folded at import (static shapes); its output is no computed tensor',
        message: /the output is a constant/,
      },
    ]),
  ),
  ...Object.fromEntries(
    ['test_gather_0', 'test_gather_1', 'test_gather_2d_indices'].map((t) => [
      t,
      {
        why: 'Gather is folded in shape chains only; this one gathers from the images',
        message: /needs its data as a constant/,
      },
    ]),
  ),
  test_constant_pad: { why: 'pads with 1.2, the lab pads with zeros', message: /pads with 1\.2/ },
  test_ConstantPad2d: { why: 'pads with 2, the lab pads with zeros', message: /pads with 2/ },
  test_gemm_all_attributes: { why: 'transA = 1 transposes the batch', message: /transA = 1/ },
  test_gemm_transposeA: { why: 'transA = 1 transposes the batch', message: /transA = 1/ },
  test_gemm_default_matrix_bias: {
    why: 'a bias per batch row',
    message: /has C of shape \[3, 4\]/,
  },
  test_matmul_3d: { why: 'a batched matrix product', message: /needs flat features/ },
  test_matmul_4d: { why: 'a batched matrix product', message: /needs flat features/ },
  test_maxpool_2d_dilations: { why: 'tfjs pools without dilation', message: /dilated pool/ },
  test_softmax_axis_0: { why: 'softmax over the batch', message: /normalizes axis 0/ },
  test_softmax_axis_1: {
    why: 'softmax over an inner axis, not the class scores',
    message: /normalizes axis 1/,
  },
  test_softmax_functional_dim3: {
    why: 'softmax over the width of an image',
    message: /normalizes axis 3/,
  },
  test_Conv2d_dilated: {
    why: 'strides and dilation together (tfjs runs one at a time)',
    message: /both strides and dilations/,
  },
  test_Conv2d_groups: {
    why: 'grouped convolution other than depthwise',
    message: /has 2 groups of 2 channels/,
  },
  test_Conv2d_groups_thnn: {
    why: 'grouped convolution other than depthwise',
    message: /has 2 groups of 2 channels/,
  },
};

const tests = ['node', 'pytorch-converted'].flatMap((dir) =>
  readdirSync(join(ROOT, dir)).map((name) => ({ name, folder: join(ROOT, dir, name) })),
);

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe("ONNX's backend tests through the importer", () => {
  it('finds the vendored tests', () => {
    expect(tests.length).toBeGreaterThan(150);
    const names = new Set(tests.map((t) => t.name));
    expect(Object.keys(REFUSED).filter((t) => !names.has(t))).toEqual([]);
  });

  for (const { name, folder } of tests) {
    const refused = REFUSED[name];
    if (refused) {
      it(`${name}: refused (${refused.why})`, async () => {
        const error = await runConformance(folder, name).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OnnxError);
        expect((error as Error).message).toMatch(refused.message);
      });
    } else {
      it(`${name}: matches ONNX's expected output`, async () => {
        const { expected, actual } = await runConformance(folder, name);
        expect(actual.length).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) {
          const tolerance = 1e-4 + 1e-4 * Math.abs(expected[i]);
          if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
            expect.fail(`element ${i}: lab ${actual[i]}, ONNX ${expected[i]}`);
          }
        }
      });
    }
  }
});
