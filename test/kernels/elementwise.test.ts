import { describe, it } from 'vitest';
import * as K from '../../src/kernels/elementwise.ts';
import * as R from '../../src/reference/elementwise.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

// Odd sizes that do not divide the workgroup size.
const SIZES = [1, 257, 3 * 37 * 41];

describe('elementwise kernels', () => {
  for (const n of SIZES) {
    it(`axpby / mul / affine / accumulate / clamp, n=${n}`, () =>
      seeded('elementwise', async (rng) => {
        const rt = await gpu();
        const a = randn(rng, n), b = randn(rng, n);
        const alpha = rng.uniform(-2, 2), beta = rng.uniform(-2, 2);
        const ta = rt.tensor([n], Float32Array.from(a)), tb = rt.tensor([n], Float32Array.from(b));
        expectClose(await K.axpby(rt, ta, tb, alpha, beta).read(), R.axpby(a, b, alpha, beta), 'axpby');
        expectClose(await K.mul(rt, ta, tb, alpha).read(), R.mul(a, b, alpha), 'mul');
        expectClose(await K.affine(rt, ta, alpha, beta).read(), R.affine(a, alpha, beta), 'affine');
        const s = rt.tensor([1], [beta]);
        expectClose(await K.scaleByScalar(rt, ta, s, alpha).read(), R.scaleByScalar(a, Math.fround(beta), alpha), 'scale by scalar');
        s.dispose();
        const acc = rt.tensor([n], Float32Array.from(b));
        K.accumulate(rt, acc, ta, alpha);
        expectClose(await acc.read(), R.axpby(b, a, 1, alpha), 'accumulate');
        expectClose(await K.clamp(rt, ta, -0.5, 0.7).read(), R.clamp(a, -0.5, 0.7), 'clamp');
        expectClose(await K.clampBackward(rt, ta, tb, -0.5, 0.7).read(), R.clampBackward(a, b, -0.5, 0.7), 'clamp backward');
        const filled = await K.fill(rt, rt.empty([n]), beta).read();
        expectClose(filled, new Float64Array(n).fill(beta), 'fill');
        for (const t of [ta, tb, acc]) t.dispose();
      }));
  }

  it('a problem over 65535 workgroups runs on a 2-D grid and writes every element', () =>
    seeded('elementwise-2d-grid', async (rng) => {
      const rt = await gpu();
      const n = 65536 * 256 + 77;
      const a = new Float64Array(n).map(() => rng.uniform(-1, 1));
      const ta = rt.tensor([n], Float32Array.from(a));
      expectClose(await K.affine(rt, ta, 2, 1).read(), R.affine(a, 2, 1), 'affine 2-D grid');
      ta.dispose();
    }));

  it('clamp reference gradient matches finite differences', () =>
    seeded('clamp-fd', (rng) => {
      const x = randn(rng, 50), dy = randn(rng, 50);
      expectGradient('clamp', (v) => R.clamp(v, -0.5, 0.7), x, dy, R.clampBackward(x, dy, -0.5, 0.7), rng);
    }));
});
