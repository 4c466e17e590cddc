import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/reduce.ts';
import * as R from '../../src/reference/reduce.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';
import type { Rng } from '../../src/util/rng.ts';

// Odd shapes that do not divide the workgroup size or the column tile; [4,48,48,64] takes two
// passes (589 824 values, 9216 per channel); [5,13,130] has a partial second column tile.
const SHAPES = [[1], [3, 7, 5, 11], [5, 13, 130], [4, 48, 48, 64]];

/** Inputs rounded to f32 once, so GPU and reference see the same values. Each channel gets its
 *  own offset and scale; offsets keep sums away from 0, where any f32 sum is ill-conditioned. */
function input(rng: Rng, shape: number[], offset = 1): Float64Array {
  const C = shape[shape.length - 1]!;
  const n = shape.reduce((a, b) => a * b, 1);
  const mu = randn(rng, C, offset).map((v) => v + offset);
  const s = Array.from({ length: C }, () => rng.uniform(0.2, 3));
  const x = randn(rng, n).map((v, i) => mu[i % C]! + s[i % C]! * v);
  return Float64Array.from(Float32Array.from(x));
}

describe('reduce kernels', () => {
  for (const shape of SHAPES) {
    it(`sum / mean / channelSum / channelMoments [${shape}]`, () =>
      seeded('reduce', async (rng) => {
        const rt = await gpu();
        const C = shape[shape.length - 1]!;
        const x = input(rng, shape);
        const t = rt.tensor(shape, Float32Array.from(x));
        expectClose(await K.sum(rt, t).read(), [R.sum(x)], 'sum');
        expectClose(await K.mean(rt, t).read(), [R.mean(x)], 'mean');
        expectClose(await K.channelSum(rt, t, C).read(), R.channelSum(x, C), 'channelSum');
        const m = K.channelMoments(rt, t, C);
        const ref = R.channelMoments(x, C);
        expectClose(await m.mean.read(), ref.mean, 'channel mean');
        expectClose(await m.var.read(), ref.var, 'channel var');
        for (const u of [t, m.mean, m.var]) u.dispose();
      }));
  }

  it('channelMoments keeps the variance accurate under a large mean (two-pass)', () =>
    seeded('reduce-large-mean', async (rng) => {
      const rt = await gpu();
      const shape = [4, 48, 48, 64];
      const x = input(rng, shape, 1000);
      const t = rt.tensor(shape, Float32Array.from(x));
      const m = K.channelMoments(rt, t, 64);
      const ref = R.channelMoments(x, 64);
      expectClose(await m.mean.read(), ref.mean, 'mean, offset 1000');
      expectClose(await m.var.read(), ref.var, 'var, offset 1000');
      for (const u of [t, m.mean, m.var]) u.dispose();
    }));

  it('rejects a tensor whose last axis is not C', async () => {
    const rt = await gpu();
    const t = rt.empty([2, 3, 4]);
    expect(() => K.channelSum(rt, t, 3)).toThrow(/last axis/);
    t.dispose();
  });
});
