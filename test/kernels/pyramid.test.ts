import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/pyramid.ts';
import * as R from '../../src/reference/pyramid.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

describe('luma and pyramid kernels', () => {
  for (const [h, w, c] of [[7, 5, 3], [13, 11, 4], [1, 1, 3]] as const) {
    it(`luma of [1,${h},${w},${c}]`, () =>
      seeded('luma', async (rng) => {
        const rt = await gpu();
        const x = randn(rng, h * w * c).map((v) => 0.5 + 0.3 * v);
        const t = rt.tensor([1, h, w, c], Float32Array.from(x));
        const y = K.luma(rt, t);
        expect(y.shape).toEqual([1, h, w, 1]);
        expectClose(await y.read(), R.luma(x, h, w, c), 'luma');
        t.dispose();
        y.dispose();
      }));
  }

  for (const [h, w] of [[7, 5], [12, 9], [1, 1], [2, 3], [33, 17]] as const) {
    it(`downsample of [1,${h},${w},1]`, () =>
      seeded('downsample', async (rng) => {
        const rt = await gpu();
        const x = randn(rng, h * w);
        const t = rt.tensor([1, h, w, 1], Float32Array.from(x));
        const y = K.downsample(rt, t);
        expect(y.shape).toEqual([1, Math.ceil(h / 2), Math.ceil(w / 2), 1]);
        expectClose(await y.read(), R.downsample(x, h, w), 'downsample');
        t.dispose();
        y.dispose();
      }));
  }

  it('pyramid stops before the smaller side drops under minSide', async () => {
    const rt = await gpu();
    const t = rt.tensor([1, 37, 50, 1], new Float32Array(37 * 50));
    const levels = K.pyramid(rt, t, 5);
    expect(levels.map((l) => l.shape.slice(1, 3))).toEqual([[37, 50], [19, 25], [10, 13], [5, 7]]);
    for (const l of levels) l.dispose();
  });

  it('rejects a batch or a multi-channel plane', async () => {
    const rt = await gpu();
    const t = rt.empty([2, 3, 3, 1]);
    expect(() => K.downsample(rt, t)).toThrow(/one NHWC image/);
    const u = rt.empty([1, 3, 3, 3]);
    expect(() => K.downsample(rt, u)).toThrow(/expected a plane/);
    t.dispose();
    u.dispose();
  });
});
