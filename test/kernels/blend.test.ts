import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/blend.ts';
import * as R from '../../src/reference/blend.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

describe('warp error and blend kernels', () => {
  for (const [h, w] of [[7, 5], [1, 1], [12, 19]] as const) {
    it(`warp error of [1,${h},${w},1]`, () =>
      seeded('warp-error', async (rng) => {
        const rt = await gpu();
        const a = randn(rng, h * w, 30), b = randn(rng, h * w, 30);
        const ta = rt.tensor([1, h, w, 1], Float32Array.from(a)), tb = rt.tensor([1, h, w, 1], Float32Array.from(b));
        const e = K.warpError(rt, ta, tb);
        expectClose(await e.read(), R.warpError(a, b, h, w), 'warp error');
        for (const t of [ta, tb, e]) t.dispose();
      }));
  }

  // [lh, lw, c, s]
  for (const [lh, lw, c, s] of [[5, 3, 3, 4], [7, 9, 3, 1], [3, 5, 4, 3]] as const) {
    it(`blends [1,${lh * s},${lw * s},${c}] by an LR error map ${lh}×${lw}`, () =>
      seeded('blend', async (rng) => {
        const rt = await gpu();
        const h = lh * s, w = lw * s;
        const sr = randn(rng, h * w * c), prev = randn(rng, h * w * c);
        const err = randn(rng, lh * lw).map((v) => Math.abs(v) * 8);
        const [alpha, sigma] = [rng.next(), 2 + 10 * rng.next()];
        const T = {
          sr: rt.tensor([1, h, w, c], Float32Array.from(sr)),
          prev: rt.tensor([1, h, w, c], Float32Array.from(prev)),
          err: rt.tensor([1, lh, lw, 1], Float32Array.from(err)),
        };
        const out = K.blendPrevious(rt, T, alpha, sigma);
        expectClose(await out.read(), R.blendPrevious(sr, prev, err, h, w, c, s, alpha, sigma), 'blend');
        for (const t of [...Object.values(T), out]) t.dispose();
      }));
  }

  it('alpha 0 is a reset: the output is the SR frame', async () => {
    const rt = await gpu();
    const sr = Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => i / 48);
    const T = { sr: rt.tensor([1, 4, 4, 3], sr), prev: rt.tensor([1, 4, 4, 3], new Float32Array(48).fill(7)), err: rt.tensor([1, 2, 2, 1], new Float32Array(4)) };
    const out = K.blendPrevious(rt, T, 0, 5);
    expect([...(await out.read())]).toEqual([...sr]);
  });

  it('rejects an error map that does not divide the frame', async () => {
    const rt = await gpu();
    const T = { sr: rt.empty([1, 10, 10, 3]), prev: rt.empty([1, 10, 10, 3]), err: rt.empty([1, 3, 3, 1]) };
    expect(() => K.blendPrevious(rt, T, 0.5, 5)).toThrow(/integer factor/);
    for (const t of Object.values(T)) t.dispose();
  });
});
