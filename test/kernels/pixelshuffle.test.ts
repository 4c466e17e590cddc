import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/pixelshuffle.ts';
import * as R from '../../src/reference/pixelshuffle.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

// [n, h, w, c, r]: odd sizes; r = 2 (SRGAN) and r = 3.
const CASES: Array<[number, number, number, number, number]> = [
  [3, 7, 5, 11, 2],
  [2, 5, 3, 3, 3],
  [1, 1, 1, 1, 2],
  [2, 13, 9, 64, 2],
];

describe('pixel shuffle kernels', () => {
  for (const [n, h, w, c, r] of CASES) {
    it(`forward and backward, in [${n},${h},${w},${c * r * r}], r=${r}`, () =>
      seeded('pixelshuffle', async (rng) => {
        const rt = await gpu();
        const size = n * h * w * c * r * r;
        const x = randn(rng, size), dy = randn(rng, size);
        const tx = rt.tensor([n, h, w, c * r * r], Float32Array.from(x));
        const y = K.pixelShuffle(rt, tx, r);
        expect(y.shape).toEqual([n, h * r, w * r, c]);
        expectClose(await y.read(), R.pixelShuffle(x, n, h, w, c, r), 'pixel shuffle');
        const tdy = rt.tensor([n, h * r, w * r, c], Float32Array.from(dy));
        const dx = K.pixelShuffleBackward(rt, tdy, r);
        expect(dx.shape).toEqual([n, h, w, c * r * r]);
        expectClose(await dx.read(), R.pixelShuffleBackward(dy, n, h, w, c, r), 'pixel shuffle backward');
        for (const t of [tx, y, tdy, dx]) t.dispose();
      }));
  }

  it("matches PyTorch's NCHW formula out[c, r·y+i, r·x+j] = in[c·r²+i·r+j, y, x]", () => {
    // in NHWC [1, 1, 1, 8] with values = channel index, r = 2, C = 2: out[c, i, j] = 4c + 2i + j.
    const x = Float64Array.from({ length: 8 }, (_, k) => k);
    const y = R.pixelShuffle(x, 1, 1, 1, 2, 2);
    // out NHWC [1, 2, 2, 2]: (i, j, c)
    expect([...y]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });

  it('reference gradient matches finite differences', () =>
    seeded('pixelshuffle-fd', (rng) => {
      const [n, h, w, c, r] = [2, 3, 2, 2, 3];
      const x = randn(rng, n * h * w * c * r * r), dy = randn(rng, x.length);
      expectGradient('pixel shuffle', (v) => R.pixelShuffle(v, n, h, w, c, r), x, dy, R.pixelShuffleBackward(dy, n, h, w, c, r), rng);
    }));
});
