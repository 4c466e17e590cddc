import { describe, expect, it } from 'vitest';
import { imresize } from '../../src/data/resize.ts';
import * as K from '../../src/kernels/backproject.ts';
import * as R from '../../src/reference/backproject.ts';
import type { Rng } from '../../src/util/rng.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

/** rows × cols, each row nonzero on a random span of ≤ width columns; row 0 all zeros. */
function randomBanded(rng: Rng, rows: number, cols: number, width: number): Float64Array[] {
  return Array.from({ length: rows }, (_, i) => {
    const row = new Float64Array(cols);
    if (i === 0) return row;
    const span = 1 + rng.int(Math.min(width, cols));
    const first = rng.int(cols - span + 1);
    for (let t = 0; t < span; t++) row[first + t] = rng.normal();
    return row;
  });
}

// [h, w, c, rows, band width]
const CASES: Array<[number, number, number, number, number]> = [
  [7, 5, 3, 11, 4],
  [9, 13, 1, 4, 13],
  [1, 1, 2, 3, 1],
  [6, 17, 3, 5, 6],
];

describe('banded matrix along an image axis', () => {
  for (const [h, w, c, rows, width] of CASES) {
    for (const axis of [0, 1] as const) {
      it(`[1,${h},${w},${c}], a ${rows}-row band of ≤ ${width} along axis ${axis}`, () =>
        seeded('backproject-band', async (rng) => {
          const rt = await gpu();
          const m = randomBanded(rng, rows, axis === 0 ? h : w, width);
          const x = randn(rng, h * w * c);
          const tx = rt.tensor([1, h, w, c], Float32Array.from(x));
          const band = K.bandMatrix(rt, m);
          const y = K.applyBand(rt, tx, band, axis);
          expect(y.shape).toEqual(axis === 0 ? [1, rows, w, c] : [1, h, rows, c]);
          expectClose(await y.read(), R.applyAlongAxis(x, h, w, c, m, axis), `band along axis ${axis}`);
          for (const t of [tx, band.tensor, y]) t.dispose();
        }));
    }
  }

  it('refuses a matrix whose columns do not match the axis', async () => {
    const rt = await gpu();
    const band = K.bandMatrix(rt, [Float64Array.of(1, 2, 3)]);
    const x = rt.empty([1, 4, 3, 1]);
    expect(() => K.applyBand(rt, x, band, 0)).toThrow(/3 columns cannot act on axis 0/);
    x.dispose();
    band.tensor.dispose();
  });
});

describe('inverseGram', () => {
  it('(M·Mᵀ)⁻¹ of a random banded M times M·Mᵀ is the identity; a zero row is refused', () =>
    seeded('backproject-gram', (rng) => {
      // Rows 1..8, each with its own column 3i weighted up: independent, so M·Mᵀ is invertible.
      const m = randomBanded(rng, 9, 31, 7).slice(1).map((row, i) => ((row[3 * i]! += 5), row));
      const n = m.length;
      const g = m.map((a) => Float64Array.from(m, (b) => a.reduce((s, v, k) => s + v * b[k]!, 0)));
      const inv = K.inverseGram(m);
      let worst = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(g[i]!.reduce((s, v, k) => s + v * inv[k]![j]!, 0) - (i === j ? 1 : 0)));
      expect(worst).toBeLessThan(1e-9);
      expect(() => K.inverseGram([new Float64Array(4), Float64Array.of(1, 0, 0, 0)])).toThrow(/singular at row 0/);
    }));
});

// The downscale the projector must satisfy, from the MATLAB-exact imresize (src/data/resize.ts).
const downscale = (x: ArrayLike<number>, h: number, w: number, s: number) =>
  imresize({ width: w, height: h, channels: 3, data: Float32Array.from(x) }, 1 / s).data;

const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v - b[i]!);
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

describe('back-projection onto the LR frame', () => {
  // [LR height, LR width, scale]
  for (const [lh, lw, s] of [[7, 5, 4], [6, 9, 3], [1, 2, 2]] as const) {
    it(`${lw}×${lh} ×${s}: strength 1 makes the downscale the LR frame, 0.25 a quarter of the way; a projected image stays`, () =>
      seeded('backproject', async (rng) => {
        const rt = await gpu();
        const h = lh * s, w = lw * s;
        const x = randn(rng, h * w * 3), lr = randn(rng, lh * lw * 3);
        const tx = rt.tensor([1, h, w, 3], Float32Array.from(x)), tlr = rt.tensor([1, lh, lw, 3], Float32Array.from(lr));
        const bp = new K.BackProjector(rt, lh, lw, s);
        const full = bp.project(tx, tlr, 1), quarter = bp.project(tx, tlr, 0.25);
        const before = diff(downscale(x, h, w, s), lr);
        const p = await full.read();
        const after = norm(diff(downscale(p, h, w, s), lr)) / norm(before);
        expect(after, `residual after projection ${after.toExponential(2)} of the residual before`).toBeLessThan(1e-4);
        expectClose(diff(downscale(await quarter.read(), h, w, s), lr), before.map((v) => 0.75 * v), 'residual after a quarter step');
        const again = bp.project(full, tlr, 1);
        expectClose(await again.read(), p, 'a projected image projected again');
        for (const t of [tx, tlr, full, quarter, again]) t.dispose();
        bp.dispose();
      }));
  }

  it('refuses an image that is not the LR frame upscaled by its scale', async () => {
    const rt = await gpu();
    const bp = new K.BackProjector(rt, 4, 5, 2);
    const x = rt.empty([1, 8, 9, 3]), lr = rt.empty([1, 4, 5, 3]);
    expect(() => bp.project(x, lr, 1)).toThrow(/not 5×4 ×2/);
    for (const t of [x, lr]) t.dispose();
    bp.dispose();
  });
});
