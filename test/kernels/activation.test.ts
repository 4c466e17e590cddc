import { describe, it } from 'vitest';
import type { Runtime } from '../../src/graph/runtime.ts';
import type { Shape } from '../../src/graph/tensor.ts';
import * as K from '../../src/kernels/activation.ts';
import * as R from '../../src/reference/activation.ts';
import type { Rng } from '../../src/util/rng.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

const sizeOf = (s: Shape) => s.reduce((a, b) => a * b, 1);
/** Values as the GPU sees them, so the reference starts from the same inputs. */
const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
const up = (rt: Runtime, shape: Shape, a: Float64Array) => rt.tensor(shape, Float32Array.from(a));

/** Normal values with a few large ones, where naive sigmoid/tanh overflow. */
function inputs(rng: Rng, n: number): Float64Array {
  const x = f32(randn(rng, n, 3));
  for (const v of [40, -40, 100, -100]) if (n > 8) x[rng.int(n)] = v;
  return x;
}

describe('activation kernels', () => {
  for (const shape of [[3, 7, 5, 11], [1, 1, 1, 1], [2, 129, 1, 3]] as Shape[]) {
    it(`relu / leaky relu / sigmoid / tanh and backward, [${shape}]`, () =>
      seeded('activation-pointwise', async (rng) => {
        const rt = await gpu();
        const n = sizeOf(shape);
        const x = inputs(rng, n), dy = f32(randn(rng, n));
        const tx = up(rt, shape, x), tdy = up(rt, shape, dy);
        expectClose(await K.relu(rt, tx).read(), R.relu(x), 'relu');
        expectClose(await K.reluBackward(rt, tx, tdy).read(), R.reluBackward(x, dy), 'relu backward');
        for (const slope of [0.2, -0.3]) {
          expectClose(await K.leakyRelu(rt, tx, slope).read(), R.leakyRelu(x, slope), `leaky relu ${slope}`);
          expectClose(await K.leakyReluBackward(rt, tx, tdy, slope).read(), R.leakyReluBackward(x, dy, slope), `leaky relu backward ${slope}`);
        }
        const ys = await K.sigmoid(rt, tx).read();
        expectClose(ys, R.sigmoid(x), 'sigmoid');
        const yt = await K.tanh(rt, tx).read();
        expectClose(yt, R.tanh(x), 'tanh');
        // Backward from y: feed the reference's y, rounded to f32, to both sides.
        const ys64 = f32(R.sigmoid(x)), yt64 = f32(R.tanh(x));
        const tys = up(rt, shape, ys64), tyt = up(rt, shape, yt64);
        expectClose(await K.sigmoidBackward(rt, tys, tdy).read(), R.sigmoidBackward(ys64, dy), 'sigmoid backward');
        expectClose(await K.tanhBackward(rt, tyt, tdy).read(), R.tanhBackward(yt64, dy), 'tanh backward');
        for (const t of [tx, tdy, tys, tyt]) t.dispose();
      }));
  }

  // [2,9,31,37]: two channel tiles, the second partial. [4,300,500,2]: 600k rows per channel,
  // dy biased positive so dalpha is a large systematic sum where naive f32 summation drifts.
  for (const shape of [[3, 7, 5, 11], [2, 9, 31, 37], [4, 300, 500, 2]] as Shape[]) {
    for (const shared of [false, true]) {
      it(`prelu forward and backward, [${shape}], ${shared ? 'shared' : 'per-channel'} slope`, () =>
        seeded('prelu', async (rng) => {
          const rt = await gpu();
          const n = sizeOf(shape), c = shape[3]!;
          const x = f32(randn(rng, n)), dy = f32(randn(rng, n, 0.5).map((v) => v + 1));
          // Negative slopes too: no clamping.
          const alpha = f32(new Float64Array(shared ? 1 : c).map(() => rng.uniform(-0.5, 0.5)));
          const tx = up(rt, shape, x), tdy = up(rt, shape, dy), ta = up(rt, [alpha.length], alpha);
          expectClose(await K.prelu(rt, tx, ta).read(), R.prelu(x, alpha, c), 'prelu');
          const want = R.preluBackward(x, alpha, dy, c);
          const got = K.preluBackward(rt, tx, ta, tdy);
          expectClose(await got.dx.read(), want.dx, 'prelu dx');
          expectClose(await got.dalpha.read(), want.dalpha, 'prelu dalpha');
          for (const t of [tx, tdy, ta, got.dx, got.dalpha]) t.dispose();
        }));
    }
  }

  it('reference gradients match finite differences', () =>
    seeded('activation-fd', (rng) => {
      const n = 60, c = 5;
      const x = randn(rng, n, 2), dy = randn(rng, n);
      expectGradient('relu', R.relu, x, dy, R.reluBackward(x, dy), rng);
      expectGradient('leaky relu', (v) => R.leakyRelu(v, -0.3), x, dy, R.leakyReluBackward(x, dy, -0.3), rng);
      expectGradient('sigmoid', R.sigmoid, x, dy, R.sigmoidBackward(R.sigmoid(x), dy), rng);
      expectGradient('tanh', R.tanh, x, dy, R.tanhBackward(R.tanh(x), dy), rng);
      for (const na of [c, 1]) {
        const alpha = new Float64Array(na).map(() => rng.uniform(-0.5, 0.5));
        const g = R.preluBackward(x, alpha, dy, c);
        expectGradient(`prelu dx (${na} slopes)`, (v) => R.prelu(v, alpha, c), x, dy, g.dx, rng);
        expectGradient(`prelu dalpha (${na} slopes)`, (a) => R.prelu(x, a, c), alpha, dy, g.dalpha, rng);
      }
    }));
});
