// Name maps from PyTorch checkpoints to our generator: detection, layout, and the errors a
// wrong or damaged file gives.

import { describe, expect, it } from 'vitest';
import { loadWeightsFile } from '../../src/io/weights/index.ts';
import { Generator } from '../../src/models/generator.ts';
import { loadGenerator } from '../../src/models/load.ts';
import type { HostTensor } from '../../src/graph/tensor.ts';
import { detectPytorchGenerator, hwioToOihw, mapPytorchGenerator, oihwToHwio } from '../../src/models/pytorch-import.ts';
import { gpu } from '../helpers/gpu.ts';
import { sharedPath } from '../helpers/shared.ts';

function floats(path: string): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [k, t] of loadWeightsFile(path)) if (t.data instanceof Float32Array) out.set(k, { shape: t.shape, data: t.data });
  return out;
}

describe('PyTorch generator import', () => {
  it('detects both published generators and every leftthomas scale', () => {
    for (const [scale, file] of [[2, 'netG_epoch_2_100.pth'], [4, 'netG_epoch_4_100.pth'], [8, 'netG_epoch_8_100.pth']] as const) {
      const d = detectPytorchGenerator(floats(sharedPath('weights/leftthomas-srgan', file)));
      expect(d.arch).toBe('leftthomas');
      expect(d.config).toMatchObject({ scale, blocks: 5, channels: 64, prelu: 'shared', post: 'conv-prelu', head: 'tanh', blockBias: true });
    }
    const d = detectPytorchGenerator(floats(sharedPath('weights/srresnet8-pytorch/srresnet8_x4.pth')));
    expect(d).toEqual({ arch: 'srresnet-tutorial', config: { scale: 4, blocks: 8, channels: 64, batchNorm: true, prelu: 'channel', blockBias: false, post: 'conv-bn', head: 'shift' } });
  });

  it('maps every tensor onto the generator with HWIO kernels', async () => {
    const rt = await gpu();
    const loaded = loadGenerator(sharedPath('weights/srresnet8-pytorch/srresnet8_x4.pth'));
    const g = new Generator(rt, loaded.config);
    expect(() => g.load(loaded.weights)).not.toThrow();
    const raw = floats(sharedPath('weights/srresnet8-pytorch/srresnet8_x4.pth')).get('conv1.weight')!;
    const hwio = loaded.weights.get('head.conv.w')!;
    expect(hwio.shape).toEqual([9, 9, 3, 64]);
    // w[o=5, i=2, y=3, x=7] in OIHW is w[3, 7, 2, 5] in HWIO.
    expect(hwio.data[((3 * 9 + 7) * 3 + 2) * 64 + 5]).toBe(raw.data[((5 * 3 + 2) * 9 + 3) * 9 + 7]);
    g.dispose();
  });

  it('OIHW → HWIO is a permutation', () => {
    const t = { shape: [2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
    const hwio = oihwToHwio(t);
    expect(hwio.shape).toEqual([1, 2, 3, 2]);
    expect([...hwio.data]).toEqual([0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11]);
    const back = hwioToOihw(hwio);
    expect(back.shape).toEqual(t.shape);
    expect([...back.data], 'HWIO → OIHW undoes it').toEqual([...t.data]);
  });

  it('lists missing and unexpected tensors by name and shape', () => {
    const t = floats(sharedPath('weights/leftthomas-srgan/netG_epoch_4_100.pth'));
    const { config } = detectPytorchGenerator(t);
    t.delete('block3.bn1.running_var');
    t.set('block3.extra.weight', { shape: [7], data: new Float32Array(7) });
    expect(() => mapPytorchGenerator(t, 'leftthomas', config)).toThrow(/missing: block3\.bn1\.running_var[\s\S]*unexpected: block3\.extra\.weight \[7\]/);
  });

  it('rejects a shape mismatch naming the tensor, and an unknown layout', async () => {
    const rt = await gpu();
    const loaded = loadGenerator(sharedPath('weights/srresnet8-pytorch/srresnet8_x4.pth'));
    const g = new Generator(rt, { ...loaded.config, channels: 32 });
    expect(() => g.load(loaded.weights, 'srresnet8_x4.pth')).toThrow(/srresnet8_x4\.pth do not fit the model:[\s\S]*head\.conv\.w: expected \[9,9,3,32\], got \[9,9,3,64\]/);
    g.dispose();
    expect(() => detectPytorchGenerator(new Map([['fc.weight', { shape: [2, 2] }]]))).toThrow(/not a known PyTorch SRGAN generator.*fc\.weight/);
  });
});
