import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/maxpool.ts';
import * as R from '../../src/reference/maxpool.ts';
import type { Rng } from '../../src/util/rng.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

const CASES: Array<[number, number, number, number]> = [
  [3, 7, 5, 11],
  [2, 8, 6, 3],
  [2, 3, 9, 70],
  [1, 1, 3, 2], // no full window: empty output, all-zero gradient
];

/** Distinct values 0.01 apart in random order: no ties, and finite differences never cross a kink. */
function distinct(rng: Rng, n: number): Float64Array {
  const v = Float64Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
}

describe('max pool 2x2 kernels', () => {
  for (const [n, h, w, c] of CASES) {
    for (const ties of [false, true]) {
      it(`forward and backward, [${n},${h},${w},${c}]${ties ? ', with ties' : ''}`, () =>
        seeded('maxpool', async (rng) => {
          const rt = await gpu();
          const size = n * h * w * c;
          // Ties: a few small integers, so most windows hold equal maxima (first one wins).
          const x = ties ? Float64Array.from({ length: size }, () => rng.int(3)) : distinct(rng, size);
          const tx = rt.tensor([n, h, w, c], Float32Array.from(x));
          const y = K.maxPool2x2(rt, tx);
          const outShape = [n, Math.floor(h / 2), Math.floor(w / 2), c];
          expect(y.shape).toEqual(outShape);
          expectClose(await y.read(), R.maxPool2x2(x, n, h, w, c), 'max pool');
          const dy = randn(rng, y.size);
          const tdy = rt.tensor(outShape, Float32Array.from(dy));
          const dx = K.maxPool2x2Backward(rt, tx, tdy);
          expectClose(await dx.read(), R.maxPool2x2Backward(x, dy, n, h, w, c), 'max pool backward');
          for (const t of [tx, y, tdy, dx]) t.dispose();
        }));
    }
  }

  it('ties go to the first element in row-major window order', () => {
    const x = Float64Array.from([1, 5, 5, 5]); // [1, 2, 2, 1]
    expect([...R.maxPool2x2Backward(x, Float64Array.from([7]), 1, 2, 2, 1)]).toEqual([0, 7, 0, 0]);
  });

  it('reference gradient matches finite differences', () =>
    seeded('maxpool-fd', (rng) => {
      const [n, h, w, c] = [2, 5, 7, 3];
      const x = distinct(rng, n * h * w * c);
      const dy = randn(rng, n * 2 * 3 * c);
      expectGradient('max pool', (v) => R.maxPool2x2(v, n, h, w, c), x, dy, R.maxPool2x2Backward(x, dy, n, h, w, c), rng, { samples: 60 });
    }));
});
