/** BatchNormalization (inference form: moving mean and variance) -> the lab's BatchNormalization. */
import { alongLabChannels } from './channels.ts';
import type { Conversion } from './conversion.ts';

export function convertBatchNormalization(cx: Conversion): void {
  cx.onlyAttributes([
    'epsilon',
    'momentum',
    'spatial',
    'training_mode',
    'is_test',
    'consumed_inputs',
  ]);
  if (cx.attrInt('training_mode', 0) !== 0) throw cx.refuse('is in training mode');
  if (cx.attrInt('spatial', 1) !== 1) throw cx.refuse('normalizes per position (spatial = 0)');
  for (const extra of cx.current.node.outputs.slice(1)) {
    if (extra !== '' && cx.readCount(extra) > 0) throw cx.refuse('has its running statistics read');
  }
  const x = cx.tensor(0);
  const channels = x.shape[0];
  const param = (i: number, what: string) => {
    const c = cx.floatInput(i, what);
    if (c.values.length !== channels) {
      throw cx.refuse(`has ${c.values.length} values of ${what} for ${channels} channels`);
    }
    return alongLabChannels(cx, x, c.values);
  };
  const gamma = param(1, 'scale');
  const beta = param(2, 'bias');
  const mean = param(3, 'mean');
  const variance = param(4, 'variance');
  const c = gamma.length;
  const node = cx.emit(
    'BatchNormalization',
    {
      axis: -1,
      epsilon: cx.attrFloat('epsilon', 1e-5),
      momentum: cx.attrFloat('momentum', 0.9),
      center: true,
      scale: true,
    },
    [x.node],
    [
      ['gamma', [c], gamma],
      ['beta', [c], beta],
      ['moving_mean', [c], mean],
      ['moving_variance', [c], variance],
    ],
  );
  cx.define({ ...x, node });
}
