import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/warp.ts';
import * as R from '../../src/reference/warp.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

// [fh, fw, c, s]: the image is [fh·s, fw·s, c], the flow [fh, fw, 2].
const CASES: Array<[number, number, number, number]> = [
  [7, 5, 3, 1],
  [5, 3, 3, 4],
  [9, 11, 1, 3],
  [1, 1, 2, 1],
];

describe('backward warp kernel', () => {
  for (const sampling of ['bilinear', 'cubic'] as const) {
    for (const [fh, fw, c, s] of CASES) {
      it(`${sampling}: warps [1,${fh * s},${fw * s},${c}] by a flow ${s}× coarser`, () =>
        seeded(`warp-${sampling}`, async (rng) => {
          const rt = await gpu();
          const h = fh * s, w = fw * s;
          const src = randn(rng, h * w * c), flow = randn(rng, fh * fw * 2, 2);
          const ts = rt.tensor([1, h, w, c], Float32Array.from(src)), tf = rt.tensor([1, fh, fw, 2], Float32Array.from(flow));
          const y = K.warp(rt, ts, tf, sampling);
          expect(y.shape).toEqual([1, h, w, c]);
          expectClose(await y.read(), R.warp(src, h, w, c, flow, s, sampling === 'cubic' ? R.cubic : R.bilinear), `warp ${sampling}`);
          for (const t of [ts, tf, y]) t.dispose();
        }));
    }
  }

  it('cubic: the reference reproduces a quadratic inside the image, unlike bilinear', () => {
    const h = 6, w = 8, f = (x: number, y: number) => 0.3 * x * x - 0.2 * x * y + 0.5 * y + 1;
    const img = Float64Array.from({ length: h * w }, (_, i) => f(i % w, Math.floor(i / w)));
    const [px, py] = [3.37, 2.71];
    expect(R.cubic(img, h, w, 1, 0, px, py)).toBeCloseTo(f(px, py), 12);
    expect(Math.abs(R.bilinear(img, h, w, 1, 0, px, py) - f(px, py))).toBeGreaterThan(0.01);
  });

  for (const sampling of ['bilinear', 'cubic'] as const) {
    it(`${sampling}: an integer flow moves pixels exactly; zero flow is the identity`, async () => {
      const rt = await gpu();
      const src = Float32Array.from({ length: 4 * 6 }, (_, i) => i);
      const ts = rt.tensor([1, 4, 6, 1], src);
      const right = rt.tensor([1, 4, 6, 2], Float32Array.from({ length: 48 }, (_, i) => (i % 2 === 0 ? 1 : 0)));
      const y = await K.warp(rt, ts, right, sampling).read();
      // out[y, x] = src[y, min(x + 1, 5)]
      expect([...y.slice(0, 6)]).toEqual([1, 2, 3, 4, 5, 5]);
      const zero = rt.tensor([1, 2, 3, 2], new Float32Array(12));
      const hr = rt.tensor([1, 4, 6, 1], src);
      expect([...(await K.warp(rt, hr, zero, sampling).read())]).toEqual([...src]);
    });
  }

  it('rejects a flow that does not divide the image', async () => {
    const rt = await gpu();
    const ts = rt.empty([1, 10, 10, 3]);
    const tf = rt.empty([1, 3, 3, 2]);
    expect(() => K.warp(rt, ts, tf)).toThrow(/integer factor/);
    ts.dispose();
    tf.dispose();
  });
});
