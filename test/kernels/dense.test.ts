import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/dense.ts';
import * as R from '../../src/reference/dense.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

// [n, in, out]: odd sizes off the 4×4 tile and the workgroup; 1024 → 1 is the discriminator head.
const CASES: Array<[number, number, number]> = [
  [5, 37, 29],
  [1, 1, 1],
  [17, 130, 67],
  [16, 1024, 1],
];

describe('dense kernels', () => {
  for (const [n, fin, fout] of CASES) {
    for (const withBias of [true, false]) {
      it(`forward and backward, N=${n}, ${fin}→${fout}${withBias ? '' : ', no bias'}`, () =>
        seeded('dense', async (rng) => {
          const rt = await gpu();
          const x = randn(rng, n * fin), w = randn(rng, fin * fout, 1 / Math.sqrt(fin));
          const b = withBias ? randn(rng, fout) : null, dy = randn(rng, n * fout);
          const tx = rt.tensor([n, fin], Float32Array.from(x)), tw = rt.tensor([fin, fout], Float32Array.from(w));
          const tb = b ? rt.tensor([fout], Float32Array.from(b)) : null;
          const tdy = rt.tensor([n, fout], Float32Array.from(dy));
          const y = K.dense(rt, tx, tw, tb);
          expect(y.shape).toEqual([n, fout]);
          expectClose(await y.read(), R.dense(x, w, b, n, fin, fout), 'dense');
          const got = K.denseBackward(rt, tx, tw, tdy);
          const want = R.denseBackward(x, w, dy, n, fin, fout);
          expectClose(await got.dx.read(), want.dx, 'dense dx');
          expectClose(await got.dw.read(), want.dw, 'dense dw');
          expectClose(await got.db.read(), want.db, 'dense db');
          for (const t of [tx, tw, tdy, y, got.dx, got.dw, got.db]) t.dispose();
          tb?.dispose();
        }));
    }
  }

  it('discriminator size: N=4, [4,6,6,512] (18432) → 1024, x given as a feature map', () =>
    seeded('dense-big', async (rng) => {
      const rt = await gpu();
      const [n, fin, fout] = [4, 18432, 1024];
      const x = randn(rng, n * fin), w = randn(rng, fin * fout, 1 / Math.sqrt(fin));
      const b = randn(rng, fout), dy = randn(rng, n * fout);
      const tx = rt.tensor([n, 6, 6, 512], Float32Array.from(x)), tw = rt.tensor([fin, fout], Float32Array.from(w));
      const tb = rt.tensor([fout], Float32Array.from(b)), tdy = rt.tensor([n, fout], Float32Array.from(dy));
      expectClose(await K.dense(rt, tx, tw, tb).read(), R.dense(x, w, b, n, fin, fout), 'dense');
      const got = K.denseBackward(rt, tx, tw, tdy);
      expect(got.dx.shape).toEqual([n, 6, 6, 512]);
      const want = R.denseBackward(x, w, dy, n, fin, fout);
      expectClose(await got.dx.read(), want.dx, 'dense dx');
      expectClose(await got.dw.read(), want.dw, 'dense dw');
      expectClose(await got.db.read(), want.db, 'dense db');
      for (const t of [tx, tw, tb, tdy, got.dx, got.dw, got.db]) t.dispose();
    }));

  it('reference gradients match finite differences', () =>
    seeded('dense-fd', (rng) => {
      const [n, fin, fout] = [3, 7, 5];
      const x = randn(rng, n * fin), w = randn(rng, fin * fout), b = randn(rng, fout), dy = randn(rng, n * fout);
      const g = R.denseBackward(x, w, dy, n, fin, fout);
      expectGradient('dense dx', (v) => R.dense(v, w, b, n, fin, fout), x, dy, g.dx, rng);
      expectGradient('dense dw', (v) => R.dense(x, v, b, n, fin, fout), w, dy, g.dw, rng);
      expectGradient('dense db', (v) => R.dense(x, w, v, n, fin, fout), b, dy, g.db, rng);
    }));
});
