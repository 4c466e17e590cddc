import { describe, it } from 'vitest';
import * as K from '../../src/kernels/batchnorm.ts';
import * as R from '../../src/reference/batchnorm.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';
import type { Rng } from '../../src/util/rng.ts';

// Odd shapes; [4,48,48,64] takes two reduction passes (9216 values per channel).
const SHAPES = [[3, 7, 5, 11], [2, 9, 130], [4, 48, 48, 64]];

/** Values rounded to f32 once, so GPU and reference see the same inputs. */
const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

/** Activations with per-channel means and scales (offset 3 ± 3, scale 0.2…3). */
function activations(rng: Rng, n: number, C: number): Float64Array {
  const mu = randn(rng, C, 3);
  const s = Array.from({ length: C }, () => rng.uniform(0.2, 3));
  return f32(randn(rng, n).map((v, i) => mu[i % C]! + 3 + s[i % C]! * v));
}

describe('batch norm kernels', () => {
  for (const shape of SHAPES) {
    it(`train forward + running stats, eval forward, backward [${shape}]`, () =>
      seeded('batchnorm', async (rng) => {
        const rt = await gpu();
        const C = shape[shape.length - 1]!;
        const n = shape.reduce((a, b) => a * b, 1);
        const rows = n / C;
        const eps = 1e-5, momentum = 0.1;
        const x = activations(rng, n, C);
        const gamma = f32(randn(rng, C, 0.5).map((v) => v + 1));
        const beta = f32(randn(rng, C));
        const rm = f32(randn(rng, C));
        const rv = f32(randn(rng, C).map((v) => 0.5 + Math.abs(v)));
        const dy = f32(randn(rng, n));
        const t = (a: Float64Array, s: number[] = [C]) => rt.tensor(s, Float32Array.from(a));
        const tx = t(x, shape), tg = t(gamma), tb = t(beta), trm = t(rm), trv = t(rv), tdy = t(dy, shape);

        const fwd = K.batchNormTrain(rt, tx, tg, tb, { eps, momentum, runningMean: trm, runningVar: trv });
        const ref = R.batchNormTrain(x, gamma, beta, C, eps);
        expectClose(await fwd.y.read(), ref.y, 'train y');
        expectClose(await fwd.mean.read(), ref.mean, 'batch mean');
        expectClose(await fwd.invStd.read(), ref.invStd, 'batch invStd');
        const run = R.updateRunning(rm, rv, ref.mean, ref.var, rows, momentum);
        expectClose(await trm.read(), run.runningMean, 'running mean');
        expectClose(await trv.read(), run.runningVar, 'running var (unbiased)');

        const back = K.batchNormBackward(rt, tx, tdy, tg, fwd.mean, fwd.invStd);
        const rb = R.batchNormBackward(x, dy, gamma, ref.mean, ref.invStd);
        expectClose(await back.dx.read(), rb.dx, 'dx');
        expectClose(await back.dgamma.read(), rb.dgamma, 'dgamma');
        expectClose(await back.dbeta.read(), rb.dbeta, 'dbeta');

        const ev = K.batchNormEval(rt, tx, tg, tb, trm, trv, eps);
        expectClose(await ev.read(), R.batchNormEval(x, gamma, beta, run.runningMean, run.runningVar, eps), 'eval y');

        for (const u of [tx, tg, tb, trm, trv, tdy, fwd.y, fwd.mean, fwd.invStd, back.dx, back.dgamma, back.dbeta, ev]) u.dispose();
      }));
  }

  it('reference backward matches finite differences (dx, dgamma, dbeta)', () =>
    seeded('batchnorm-fd', (rng) => {
      const C = 5, n = 2 * 3 * 2 * C, eps = 1e-5;
      const x = activations(rng, n, C);
      const gamma = randn(rng, C).map((v) => v + 1);
      const beta = randn(rng, C);
      const dy = randn(rng, n);
      const ref = R.batchNormTrain(x, gamma, beta, C, eps);
      const g = R.batchNormBackward(x, dy, gamma, ref.mean, ref.invStd);
      expectGradient('bn dx', (v) => R.batchNormTrain(v, gamma, beta, C, eps).y, Float64Array.from(x), dy, g.dx, rng);
      expectGradient('bn dgamma', (v) => R.batchNormTrain(x, v, beta, C, eps).y, Float64Array.from(gamma), dy, g.dgamma, rng);
      expectGradient('bn dbeta', (v) => R.batchNormTrain(x, gamma, v, C, eps).y, Float64Array.from(beta), dy, g.dbeta, rng);
    }));
});
