// Differentiable ops: each runs its forward kernel and records the rule that maps the output
// gradient to its inputs' gradients (the kernels' backward entry points).

import * as ew from '../kernels/elementwise.ts';
import * as conv from '../kernels/conv2d/index.ts';
import * as bn from '../kernels/batchnorm.ts';
import * as act from '../kernels/activation.ts';
import * as ps from '../kernels/pixelshuffle.ts';
import * as pool from '../kernels/maxpool.ts';
import * as fc from '../kernels/dense.ts';
import * as loss from '../kernels/loss.ts';
import { channelSum } from '../kernels/reduce.ts';
import { record, type Var } from './tape.ts';
import type { Tensor } from '../graph/tensor.ts';

export interface ConvOptions {
  stride?: 1 | 2;
  pad?: number;
}

export function conv2d(x: Var, w: Var, b: Var | null, opts: ConvOptions = {}): Var {
  const rt = x.rt;
  const inputs = b ? [x, w, b] : [x, w];
  // The weight gradient reuses the forward's transform of x (kept only while it may run).
  const { y, saved } = w.requiresGrad
    ? conv.conv2dTrain(rt, x.value, w.value, b?.value ?? null, opts)
    : { y: conv.conv2d(rt, x.value, w.value, b?.value ?? null, opts), saved: null };
  const rule = (g: Tensor) => [
    x.requiresGrad ? conv.conv2dBackwardInput(rt, g, w.value, x.shape, opts) : null,
    w.requiresGrad ? conv.conv2dBackwardWeights(rt, x.value, g, w.shape, opts, saved) : null,
    ...(b ? [b.requiresGrad ? channelSum(rt, g, g.shape.at(-1)!) : null] : []),
  ];
  return record(y, inputs, rule, saved ? [saved] : []);
}

export interface BatchNormState {
  runningMean: Var;
  runningVar: Var;
  eps: number;
  momentum: number;
}

const trainOptions = (s: BatchNormState): bn.BatchNormTrainOptions => ({
  eps: s.eps,
  momentum: s.momentum,
  runningMean: s.runningMean.value,
  runningVar: s.runningVar.value,
});

/** Training-mode batch norm (batch statistics; updates the running statistics in place). */
export function batchNormTrain(x: Var, gamma: Var, beta: Var, s: BatchNormState): Var {
  const rt = x.rt;
  const f = bn.batchNormTrain(rt, x.value, gamma.value, beta.value, trainOptions(s));
  const rule = (g: Tensor) => {
    const { dx, dgamma, dbeta } = bn.batchNormBackward(rt, x.value, g, gamma.value, f.mean, f.invStd);
    return [dx, dgamma, dbeta];
  };
  return record(f.y, [x, gamma, beta], rule, [f.mean, f.invStd]);
}

/**
 * Training-mode batch norm followed by PReLU (slopes alpha), fused: the same values, gradients
 * and running-statistics update as batchNormTrain then prelu, in fewer passes, and the batch
 * norm's output is not kept for the backward.
 */
export function batchNormPreluTrain(x: Var, gamma: Var, beta: Var, alpha: Var, s: BatchNormState): Var {
  const rt = x.rt;
  const f = bn.batchNormPreluTrain(rt, x.value, gamma.value, beta.value, alpha.value, trainOptions(s));
  const rule = (g: Tensor) => {
    const { dx, dgamma, dbeta, dalpha } = bn.batchNormPreluBackward(rt, x.value, g, gamma.value, beta.value, alpha.value, f.mean, f.invStd);
    return [dx, dgamma, dbeta, dalpha];
  };
  return record(f.y, [x, gamma, beta, alpha], rule, [f.mean, f.invStd]);
}

/**
 * Eval-mode batch norm (running statistics), a per-channel affine map; differentiable to the
 * input only (frozen statistics: VGG preprocessing, a discriminator in eval mode).
 */
export function batchNormEval(x: Var, gamma: Var, beta: Var, s: BatchNormState): Var {
  const rt = x.rt;
  const y = bn.batchNormEval(rt, x.value, gamma.value, beta.value, s.runningMean.value, s.runningVar.value, s.eps);
  return record(y, [x], (g) => {
    // dx = g·gamma/√(var+eps): the same map with zero mean and zero shift.
    const zeros = ew.fill(rt, rt.empty(gamma.shape), 0);
    const dx = bn.batchNormEval(rt, g, gamma.value, zeros, zeros, s.runningVar.value, s.eps);
    zeros.dispose();
    return [dx];
  });
}

export function prelu(x: Var, alpha: Var): Var {
  const rt = x.rt;
  return record(act.prelu(rt, x.value, alpha.value), [x, alpha], (g) => {
    const { dx, dalpha } = act.preluBackward(rt, x.value, alpha.value, g);
    return [dx, dalpha];
  });
}

export function leakyRelu(x: Var, slope: number): Var {
  const rt = x.rt;
  return record(act.leakyRelu(rt, x.value, slope), [x], (g) => [act.leakyReluBackward(rt, x.value, g, slope)]);
}

export function relu(x: Var): Var {
  const rt = x.rt;
  return record(act.relu(rt, x.value), [x], (g) => [act.reluBackward(rt, x.value, g)]);
}

export function tanh(x: Var): Var {
  const rt = x.rt;
  const y = act.tanh(rt, x.value);
  return record(y, [x], (g) => [act.tanhBackward(rt, y, g)]);
}

export function sigmoid(x: Var): Var {
  const rt = x.rt;
  const y = act.sigmoid(rt, x.value);
  return record(y, [x], (g) => [act.sigmoidBackward(rt, y, g)]);
}

export function pixelShuffle(x: Var, r: number): Var {
  const rt = x.rt;
  return record(ps.pixelShuffle(rt, x.value, r), [x], (g) => [ps.pixelShuffleBackward(rt, g, r)]);
}

export function maxPool2x2(x: Var): Var {
  const rt = x.rt;
  return record(pool.maxPool2x2(rt, x.value), [x], (g) => [pool.maxPool2x2Backward(rt, x.value, g)]);
}

export function dense(x: Var, w: Var, b: Var | null): Var {
  const rt = x.rt;
  const inputs = b ? [x, w, b] : [x, w];
  return record(fc.dense(rt, x.value, w.value, b?.value ?? null), inputs, (g) => {
    const { dx, dw, db } = fc.denseBackward(rt, x.value, w.value, g);
    if (!b) db.dispose();
    return b ? [dx, dw, db] : [dx, dw];
  });
}

/** alpha·a + beta·b (residual connections, loss sums). */
export function axpby(a: Var, b: Var, alpha = 1, beta = 1): Var {
  const rt = a.rt;
  return record(ew.axpby(rt, a.value, b.value, alpha, beta), [a, b], (g) => [a.requiresGrad ? scaled(g, alpha) : null, b.requiresGrad ? scaled(g, beta) : null]);
}

/** k·g as a new tensor; for k = 1 (the residual adds) a buffer copy, which on llvmpipe costs
 *  ~5% of the affine kernel's CPU time (34 copies of [16,24,24,64]: 4 vs 84 ms on GL). */
function scaled(g: Tensor, k: number): Tensor {
  return k === 1 ? copyAs(g, g.shape) : ew.affine(g.runtime, g, k);
}

export const add = (a: Var, b: Var): Var => axpby(a, b, 1, 1);

/** alpha·x + beta (input/output normalisation). */
export function affine(x: Var, alpha: number, beta = 0): Var {
  const rt = x.rt;
  return record(ew.affine(rt, x.value, alpha, beta), [x], (g) => [scaled(g, alpha)]);
}

function copyAs(t: Tensor, shape: readonly number[]): Tensor {
  const y = t.runtime.empty(shape);
  if (y.size !== t.size) throw new Error(`reshape: [${t.shape}] has ${t.size} values, [${shape}] needs ${y.size}`);
  t.runtime.copy(t, y);
  return y;
}

/** Reshape (a copy, so every tape value owns its buffer; used on small tensors only). */
export function reshape(x: Var, shape: readonly number[]): Var {
  return record(copyAs(x.value, shape), [x], (g) => [copyAs(g, x.shape)]);
}

/** Mean squared error between a prediction and a constant target: a scalar. */
export function mse(pred: Var, target: Var): Var {
  const rt = pred.rt;
  return record(loss.mseLoss(rt, pred.value, target.value), [pred], (g) => {
    const d = loss.mseBackward(rt, pred.value, target.value, 1);
    const scaled = ew.scaleByScalar(rt, d, g);
    d.dispose();
    return [scaled];
  });
}

/** Mean binary cross-entropy of logits against a constant label (0 or 1, or smoothed). */
export function bceWithLogits(logits: Var, target: number): Var {
  const rt = logits.rt;
  return record(loss.bceWithLogits(rt, logits.value, target), [logits], (g) => {
    const d = loss.bceWithLogitsBackward(rt, logits.value, target, 1);
    const scaled = ew.scaleByScalar(rt, d, g);
    d.dispose();
    return [scaled];
  });
}
