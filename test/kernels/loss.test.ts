import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/loss.ts';
import * as R from '../../src/reference/loss.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

// Odd shapes; [4,48,48,64] (589 824 values) takes two reduction passes.
const SHAPES = [[3, 7, 5, 11], [4, 48, 48, 64]];

const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe('loss kernels', () => {
  for (const shape of SHAPES) {
    it(`mse and bce with logits, forward and backward [${shape}]`, () =>
      seeded('loss', async (rng) => {
        const rt = await gpu();
        const n = shape.reduce((x, y) => x * y, 1);
        const a = f32(randn(rng, n)), b = f32(randn(rng, n).map((v) => v + 0.3));
        const z = f32(randn(rng, n, 3));
        const scale = rng.uniform(0.5, 2);
        const ta = rt.tensor(shape, Float32Array.from(a)), tb = rt.tensor(shape, Float32Array.from(b)), tz = rt.tensor(shape, Float32Array.from(z));
        expectClose(await K.mseLoss(rt, ta, tb).read(), [R.mseLoss(a, b)], 'mse');
        expectClose(await K.mseBackward(rt, ta, tb, scale).read(), R.mseBackward(a, b, scale), 'mse backward');
        for (const t of [0, 1, 0.9]) {
          expectClose(await K.bceWithLogits(rt, tz, t).read(), [R.bceWithLogits(z, t)], `bce t=${t}`);
          expectClose(await K.bceWithLogitsBackward(rt, tz, t, scale).read(), R.bceWithLogitsBackward(z, t, scale), `bce backward t=${t}`);
        }
        for (const u of [ta, tb, tz]) u.dispose();
      }));
  }

  it('bce with logits is finite and correct for extreme logits', async () => {
    const rt = await gpu();
    for (const z of [1e4, -1e4, 100, -100, 20, -20, 1e-3, 0]) {
      const tz = rt.tensor([1], [z]);
      for (const t of [0, 1, 0.9]) {
        const loss = (await K.bceWithLogits(rt, tz, t).read())[0]!;
        const grad = (await K.bceWithLogitsBackward(rt, tz, t).read())[0]!;
        const want = R.bceWithLogits([z], t);
        const wantGrad = R.bceWithLogitsBackward(Float64Array.of(z), t)[0]!;
        expect(Number.isFinite(loss) && Number.isFinite(grad), `z=${z} t=${t}: loss ${loss}, grad ${grad}`).toBe(true);
        // Relative where the value is not tiny; absolute 1e-9 where it is (e.g. log1p(e^−20) ≈ 2e-9).
        expect(Math.abs(loss - want), `bce z=${z} t=${t}: ${loss} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9);
        expect(Math.abs(grad - wantGrad), `bce grad z=${z} t=${t}: ${grad} vs ${wantGrad}`).toBeLessThanOrEqual(1e-6 * Math.abs(wantGrad) + 1e-9);
      }
      tz.dispose();
    }
  });

  it('reference backwards match finite differences (mse, bce)', () =>
    seeded('loss-fd', (rng) => {
      const n = 37;
      const a = randn(rng, n), b = randn(rng, n), z = randn(rng, n, 3);
      const scale = 1.7;
      expectGradient('mse', (v) => [scale * R.mseLoss(v, b)], a, [1], R.mseBackward(a, b, scale), rng);
      for (const t of [0, 1, 0.9]) {
        expectGradient(`bce t=${t}`, (v) => [scale * R.bceWithLogits(v, t)], z, [1], R.bceWithLogitsBackward(z, t, scale), rng);
      }
    }));
});
