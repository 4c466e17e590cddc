import { describe, it } from 'vitest';
import * as K from '../../src/kernels/batchnorm.ts';
import * as R from '../../src/reference/batchnorm.ts';
import { awayFromKink } from '../helpers/bn-prelu.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';
import type { Rng } from '../../src/util/rng.ts';

// Odd shapes; C = 130 spans three column tiles; [4,48,48,64] folds 9 partial rows per channel.
const SHAPES = [[3, 7, 5, 11], [2, 9, 130], [4, 48, 48, 64]];

const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

/** Activations with per-channel means and scales, so BN's output (≈ beta ± gamma) has both signs. */
function activations(rng: Rng, n: number, C: number): Float64Array {
  const mu = randn(rng, C, 3);
  const s = Array.from({ length: C }, () => rng.uniform(0.2, 3));
  return f32(randn(rng, n).map((v, i) => mu[i % C]! + s[i % C]! * v));
}

describe('fused batch norm → PReLU kernels', () => {
  for (const shape of SHAPES) {
    for (const shared of [false, true]) {
      it(`train forward + running stats, backward [${shape}], ${shared ? 'shared' : 'per-channel'} slope`, () =>
        seeded('batchnorm-prelu', async (rng) => {
          const rt = await gpu();
          const C = shape[shape.length - 1]!;
          const n = shape.reduce((a, b) => a * b, 1);
          const eps = 1e-5, momentum = 0.1;
          const gamma = f32(randn(rng, C, 0.5).map((v) => v + 1));
          const beta = f32(randn(rng, C, 0.5));
          const x = awayFromKink(activations(rng, n, C), gamma, beta, eps);
          const alpha = f32(randn(rng, shared ? 1 : C, 0.3));
          const rm = f32(randn(rng, C));
          const rv = f32(randn(rng, C).map((v) => 0.5 + Math.abs(v)));
          const dy = f32(randn(rng, n));
          const t = (a: Float64Array, s: number[] = [C]) => rt.tensor(s, Float32Array.from(a));
          const tx = t(x, shape), tg = t(gamma), tb = t(beta), ta = t(alpha, [alpha.length]), trm = t(rm), trv = t(rv), tdy = t(dy, shape);

          const fwd = K.batchNormPreluTrain(rt, tx, tg, tb, ta, { eps, momentum, runningMean: trm, runningVar: trv });
          const ref = R.batchNormPreluTrain(x, gamma, beta, alpha, C, eps);
          expectClose(await fwd.y.read(), ref.y, 'y');
          expectClose(await fwd.mean.read(), ref.mean, 'batch mean');
          expectClose(await fwd.invStd.read(), ref.invStd, 'batch invStd');
          const run = R.updateRunning(rm, rv, ref.mean, ref.var, n / C, momentum);
          expectClose(await trm.read(), run.runningMean, 'running mean');
          expectClose(await trv.read(), run.runningVar, 'running var (unbiased)');

          const back = K.batchNormPreluBackward(rt, tx, tdy, tg, tb, ta, fwd.mean, fwd.invStd);
          const rb = R.batchNormPreluBackward(x, dy, gamma, alpha, ref);
          expectClose(await back.dx.read(), rb.dx, 'dx');
          expectClose(await back.dgamma.read(), rb.dgamma, 'dgamma');
          expectClose(await back.dbeta.read(), rb.dbeta, 'dbeta');
          expectClose(await back.dalpha.read(), rb.dalpha, 'dalpha');

          for (const u of [tx, tg, tb, ta, trm, trv, tdy, fwd.y, fwd.mean, fwd.invStd, back.dx, back.dgamma, back.dbeta, back.dalpha]) u.dispose();
        }));
    }
  }

  it('reference backward matches finite differences (dx, dgamma, dbeta, dalpha)', () =>
    seeded('batchnorm-prelu-fd', (rng) => {
      const C = 5, n = 2 * 3 * 2 * C, eps = 1e-5;
      const gamma = randn(rng, C).map((v) => v + 1);
      const beta = randn(rng, C, 0.5);
      const x = awayFromKink(activations(rng, n, C), gamma, beta, eps);
      const dy = randn(rng, n);
      for (const alpha of [randn(rng, C, 0.3), randn(rng, 1, 0.3)]) {
        const y = (x: Float64Array, g: Float64Array, b: Float64Array, a: Float64Array) => R.batchNormPreluTrain(x, g, b, a, C, eps).y;
        const g = R.batchNormPreluBackward(x, dy, gamma, alpha, R.batchNormPreluTrain(x, gamma, beta, alpha, C, eps));
        const what = `${alpha.length} slopes`;
        expectGradient(`dx, ${what}`, (v) => y(v, gamma, beta, alpha), Float64Array.from(x), dy, g.dx, rng);
        expectGradient(`dgamma, ${what}`, (v) => y(x, v, beta, alpha), Float64Array.from(gamma), dy, g.dgamma, rng);
        expectGradient(`dbeta, ${what}`, (v) => y(x, gamma, v, alpha), Float64Array.from(beta), dy, g.dbeta, rng);
        expectGradient(`dalpha, ${what}`, (v) => y(x, gamma, beta, v), Float64Array.from(alpha), dy, g.dalpha, rng);
      }
    }));
});
