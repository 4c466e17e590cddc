// Each differentiable op's gradients, through the tape, against the float64 CPU references.
// (The kernels have their own tests; these check the wiring: which tensor goes where.)

import { describe, expect, it } from 'vitest';
import * as op from '../../src/autograd/ops.ts';
import { backward, clearTape, constant, record, Var } from '../../src/autograd/tape.ts';
import type { Runtime } from '../../src/graph/runtime.ts';
import type { Tensor } from '../../src/graph/tensor.ts';
import * as Ract from '../../src/reference/activation.ts';
import * as Rbn from '../../src/reference/batchnorm.ts';
import * as Rconv from '../../src/reference/conv2d.ts';
import * as Rdense from '../../src/reference/dense.ts';
import * as Rloss from '../../src/reference/loss.ts';
import * as Rpool from '../../src/reference/maxpool.ts';
import * as Rps from '../../src/reference/pixelshuffle.ts';
import * as Rred from '../../src/reference/reduce.ts';
import type { Rng } from '../../src/util/rng.ts';
import { awayFromKink } from '../helpers/bn-prelu.ts';
import { dispatched, expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

const f32 = (a: Float64Array) => Float32Array.from(a);
const leaf = (rt: Runtime, shape: number[], data: Float64Array) => new Var(rt.tensor(shape, f32(data)), true);
const grad = (v: Var) => v.grad!.read();

/** Run op on leaves, backpropagate a random upstream gradient, return it with the leaves. */
async function through(rt: Runtime, rng: Rng, out: Var): Promise<Float64Array> {
  const dy = randn(rng, out.value.size);
  backward(out, rt.tensor(out.shape, f32(dy)));
  return dy;
}

describe('autograd ops against CPU references', () => {
  it('conv2d (stride 1 and 2, with bias): dx, dw, db', () =>
    seeded('op-conv2d', async (rng) => {
      const rt = await gpu();
      for (const stride of [1, 2] as const) {
        const xs = [2, 7, 6, 3] as const, ws = [3, 3, 3, 5] as const;
        const x = randn(rng, 2 * 7 * 6 * 3), w = randn(rng, 3 * 3 * 3 * 5, 0.3), b = randn(rng, 5);
        const vx = leaf(rt, [...xs], x), vw = leaf(rt, [...ws], w), vb = leaf(rt, [5], b);
        const y = op.conv2d(vx, vw, vb, { stride, pad: 1 });
        const dy = await through(rt, rng, y);
        const g = { stride, pad: 1 };
        expectClose(await grad(vx), Rconv.conv2dBackwardInput(dy, w, ws, xs, g), `conv dx s${stride}`);
        expectClose(await grad(vw), Rconv.conv2dBackwardWeights(x, xs, dy, ws, g), `conv dw s${stride}`);
        expectClose(await grad(vb), Rred.channelSum(dy, 5), `conv db s${stride}`);
      }
    }));

  it('conv2d on Winograd F(6×6): the weight gradient from the forward\'s kept transform', () =>
    seeded('op-conv2d-wino', async (rng) => {
      const rt = await gpu();
      const xs = [2, 7, 9, 16] as const, ws = [3, 3, 16, 16] as const;
      const x = randn(rng, 2 * 7 * 9 * 16), w = randn(rng, 3 * 3 * 16 * 16, 0.3);
      const vx = leaf(rt, [...xs], x), vw = leaf(rt, [...ws], w);
      let dy!: Float64Array;
      const entries = (await dispatched(rt, async () => (dy = await through(rt, rng, op.conv2d(vx, vw, null))))).map((s) => s.entry);
      // One input transform of x (the forward's, which the weight gradient reuses), one of dy
      // (the input gradient's).
      expect(entries.filter((e) => e === 'wino6_input')).toHaveLength(2);
      const g = { stride: 1, pad: 1 };
      expectClose(await grad(vx), Rconv.conv2dBackwardInput(dy, w, ws, xs, g), 'conv dx');
      expectClose(await grad(vw), Rconv.conv2dBackwardWeights(x, xs, dy, ws, g), 'conv dw');
    }));

  it('saved tensors are freed after the rule ran, with a dropped tape, or at once off the tape', async () => {
    const rt = await gpu();
    const leafVar = new Var(rt.tensor([1], [2]), true);
    const op1 = (saved: Tensor) => record(rt.tensor([1], [3]), [leafVar], (g) => [g], [saved]);
    const a = rt.tensor([1], [0]);
    backward(op1(a));
    const b = rt.tensor([1], [0]);
    op1(b);
    expect([a.disposed, b.disposed]).toEqual([true, false]);
    clearTape();
    expect(b.disposed).toBe(true);
    const c = rt.tensor([1], [0]);
    record(rt.tensor([1], [3]), [constant(rt.tensor([1], [1]))], (g) => [g], [c]).value.dispose();
    expect(c.disposed).toBe(true);
    leafVar.grad?.dispose();
  });

  it('batch norm (training): dx, dgamma, dbeta', () =>
    seeded('op-bn', async (rng) => {
      const rt = await gpu();
      const C = 5, n = 3 * 4 * 7;
      const x = randn(rng, n * C, 2).map((v) => v + 1), gamma = randn(rng, C), beta = randn(rng, C);
      const vx = leaf(rt, [3, 4, 7, C], x), vg = leaf(rt, [C], gamma), vb = leaf(rt, [C], beta);
      const state = { runningMean: constant(rt.tensor([C], new Float32Array(C))), runningVar: constant(rt.tensor([C], new Float32Array(C).fill(1))), eps: 1e-5, momentum: 0.1 };
      const y = op.batchNormTrain(vx, vg, vb, state);
      const dy = await through(rt, rng, y);
      const fwd = Rbn.batchNormTrain(x, gamma, beta, C, 1e-5);
      const ref = Rbn.batchNormBackward(x, dy, gamma, fwd.mean, fwd.invStd);
      expectClose(await grad(vx), ref.dx, 'bn dx');
      expectClose(await grad(vg), ref.dgamma, 'bn dgamma');
      expectClose(await grad(vb), ref.dbeta, 'bn dbeta');
    }));

  it('batch norm → PReLU (training, fused): dx, dgamma, dbeta, dalpha, running statistics', () =>
    seeded('op-bn-prelu', async (rng) => {
      const rt = await gpu();
      const C = 5, n = 3 * 4 * 7;
      const gamma = randn(rng, C), beta = randn(rng, C), alpha = randn(rng, C, 0.3);
      const x = awayFromKink(randn(rng, n * C, 2).map((v) => v + 1), gamma, beta, 1e-5);
      const vx = leaf(rt, [3, 4, 7, C], x), vg = leaf(rt, [C], gamma), vb = leaf(rt, [C], beta), va = leaf(rt, [C], alpha);
      const state = { runningMean: constant(rt.tensor([C], new Float32Array(C))), runningVar: constant(rt.tensor([C], new Float32Array(C).fill(1))), eps: 1e-5, momentum: 0.1 };
      const y = op.batchNormPreluTrain(vx, vg, vb, va, state);
      const dy = await through(rt, rng, y);
      const fwd = Rbn.batchNormPreluTrain(x, gamma, beta, alpha, C, 1e-5);
      const ref = Rbn.batchNormPreluBackward(x, dy, gamma, alpha, fwd);
      expectClose(await grad(vx), ref.dx, 'dx');
      expectClose(await grad(vg), ref.dgamma, 'dgamma');
      expectClose(await grad(vb), ref.dbeta, 'dbeta');
      expectClose(await grad(va), ref.dalpha, 'dalpha');
      const run = Rbn.updateRunning(new Float64Array(C), new Float64Array(C).fill(1), fwd.mean, fwd.var, n, 0.1);
      expectClose(await state.runningMean.value.read(), run.runningMean, 'running mean');
      expectClose(await state.runningVar.value.read(), run.runningVar, 'running var');
    }));

  it('prelu, leaky relu, relu, tanh, sigmoid', () =>
    seeded('op-activations', async (rng) => {
      const rt = await gpu();
      const C = 6, shape = [2, 3, 5, C];
      const x = randn(rng, 2 * 3 * 5 * C), alpha = randn(rng, C, 0.3);
      const vx = leaf(rt, shape, x), va = leaf(rt, [C], alpha);
      const dy = await through(rt, rng, op.prelu(vx, va));
      const ref = Ract.preluBackward(x, alpha, dy, C);
      expectClose(await grad(vx), ref.dx, 'prelu dx');
      expectClose(await grad(va), ref.dalpha, 'prelu dalpha');
      const cases: Array<[string, (v: Var) => Var, (dy: Float64Array) => Float64Array]> = [
        ['leaky', (v) => op.leakyRelu(v, 0.2), (d) => Ract.leakyReluBackward(x, d, 0.2)],
        ['relu', (v) => op.relu(v), (d) => Ract.reluBackward(x, d)],
        ['tanh', (v) => op.tanh(v), (d) => Ract.tanhBackward(Ract.tanh(x), d)],
        ['sigmoid', (v) => op.sigmoid(v), (d) => Ract.sigmoidBackward(Ract.sigmoid(x), d)],
      ];
      for (const [name, f, ref] of cases) {
        const v = leaf(rt, shape, x);
        const d = await through(rt, rng, f(v));
        expectClose(await grad(v), ref(d), `${name} dx`);
      }
    }));

  it('pixel shuffle, max-pool, reshape, affine, axpby', () =>
    seeded('op-shape', async (rng) => {
      const rt = await gpu();
      const x = randn(rng, 2 * 3 * 5 * 8);
      const v1 = leaf(rt, [2, 3, 5, 8], x);
      let dy = await through(rt, rng, op.pixelShuffle(v1, 2));
      expectClose(await grad(v1), Rps.pixelShuffleBackward(dy, 2, 3, 5, 2, 2), 'pixel shuffle dx');
      const v2 = leaf(rt, [2, 3, 5, 8], x);
      dy = await through(rt, rng, op.maxPool2x2(v2));
      expectClose(await grad(v2), Rpool.maxPool2x2Backward(x, dy, 2, 3, 5, 8), 'max-pool dx');
      const v3 = leaf(rt, [2, 3, 5, 8], x);
      dy = await through(rt, rng, op.affine(op.reshape(v3, [2, 120]), 0.5, 3));
      expectClose(await grad(v3), dy.map((d) => 0.5 * d), 'reshape+affine dx');
      const a = leaf(rt, [240], x), b = leaf(rt, [240], x.map((v) => -v));
      dy = await through(rt, rng, op.axpby(a, b, 2, -3));
      expectClose(await grad(a), dy.map((d) => 2 * d), 'axpby da');
      expectClose(await grad(b), dy.map((d) => -3 * d), 'axpby db');
      // add: both gradients are copies of dy (buffer copies, not the affine kernel).
      const c = leaf(rt, [240], x), d = leaf(rt, [240], x.map((v) => 2 * v));
      dy = await through(rt, rng, op.add(c, d));
      expectClose(await grad(c), dy, 'add da');
      expectClose(await grad(d), dy, 'add db');
    }));

  it('dense: dx, dw, db', () =>
    seeded('op-dense', async (rng) => {
      const rt = await gpu();
      const n = 3, fin = 17, fout = 5;
      const x = randn(rng, n * fin), w = randn(rng, fin * fout, 0.3), b = randn(rng, fout);
      const vx = leaf(rt, [n, fin], x), vw = leaf(rt, [fin, fout], w), vb = leaf(rt, [fout], b);
      const dy = await through(rt, rng, op.dense(vx, vw, vb));
      const ref = Rdense.denseBackward(x, w, dy, n, fin, fout);
      expectClose(await grad(vx), ref.dx, 'dense dx');
      expectClose(await grad(vw), ref.dw, 'dense dw');
      expectClose(await grad(vb), ref.db, 'dense db');
    }));

  it('losses: mse and bce-with-logits, scaled by the upstream scalar', () =>
    seeded('op-loss', async (rng) => {
      const rt = await gpu();
      const p = randn(rng, 37), t = randn(rng, 37);
      const vp = leaf(rt, [37], p);
      const loss = op.affine(op.mse(vp, constant(rt.tensor([37], f32(t)))), 2.5);
      backward(loss);
      expectClose(await grad(vp), Rloss.mseBackward(p, t, 2.5), 'mse dpred');
      const z = randn(rng, 11, 3);
      const vz = leaf(rt, [11, 1], z);
      backward(op.affine(op.bceWithLogits(vz, 1), 0.7));
      expectClose(await grad(vz), Rloss.bceWithLogitsBackward(z, 1, 0.7), 'bce dlogits');
    }));
});
