// Float64 CPU references for batch normalisation over the last axis of [..., C]
// (element i belongs to channel i % C).

import { prelu, preluBackward } from './activation.ts';
import { channelMoments } from './reduce.ts';

export type F64 = Float64Array;

/** Training-mode forward with batch statistics (biased variance). */
export function batchNormTrain(x: F64, gamma: ArrayLike<number>, beta: ArrayLike<number>, C: number, eps: number): { y: F64; mean: F64; var: F64; invStd: F64 } {
  const { mean, var: v } = channelMoments(x, C);
  const invStd = v.map((s) => 1 / Math.sqrt(s + eps));
  const y = x.map((xi, i) => (xi - mean[i % C]!) * invStd[i % C]! * gamma[i % C]! + beta[i % C]!);
  return { y, mean, var: v, invStd };
}

/** PyTorch running statistics: running = (1 − momentum)·running + momentum·batch (unbiased var). */
export function updateRunning(runningMean: F64, runningVar: F64, mean: F64, biasedVar: F64, rows: number, momentum: number): { runningMean: F64; runningVar: F64 } {
  return {
    runningMean: runningMean.map((r, c) => (1 - momentum) * r + momentum * mean[c]!),
    runningVar: runningVar.map((r, c) => (1 - momentum) * r + momentum * biasedVar[c]! * (rows / (rows - 1))),
  };
}

export function batchNormEval(x: F64, gamma: ArrayLike<number>, beta: ArrayLike<number>, runningMean: ArrayLike<number>, runningVar: ArrayLike<number>, eps: number): F64 {
  const C = gamma.length;
  return x.map((xi, i) => ((xi - runningMean[i % C]!) / Math.sqrt(runningVar[i % C]! + eps)) * gamma[i % C]! + beta[i % C]!);
}

/** Training-mode backward through the batch statistics, with x̂ = (x − mean)·invStd:
 *  dx = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)), dgamma = Σ dy·x̂, dbeta = Σ dy. */
export function batchNormBackward(x: F64, dy: ArrayLike<number>, gamma: ArrayLike<number>, mean: ArrayLike<number>, invStd: ArrayLike<number>): { dx: F64; dgamma: F64; dbeta: F64 } {
  const C = gamma.length;
  const rows = x.length / C;
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    const c = i % C;
    dbeta[c] += dy[i]!;
    dgamma[c] += dy[i]! * (x[i]! - mean[c]!) * invStd[c]!;
  }
  const dx = x.map((xi, i) => {
    const c = i % C;
    const xhat = (xi - mean[c]!) * invStd[c]!;
    return gamma[c]! * invStd[c]! * (dy[i]! - dbeta[c]! / rows - (xhat * dgamma[c]!) / rows);
  });
  return { dx, dgamma, dbeta };
}

/** Training-mode batch norm, then PReLU (slopes [C] or [1]); z is the batch norm's output. */
export function batchNormPreluTrain(x: F64, gamma: ArrayLike<number>, beta: ArrayLike<number>, alpha: F64, C: number, eps: number): { y: F64; z: F64; mean: F64; var: F64; invStd: F64 } {
  const bn = batchNormTrain(x, gamma, beta, C, eps);
  return { ...bn, y: prelu(bn.y, alpha, C), z: bn.y };
}

/** Backward of batchNormPreluTrain: PReLU's backward at z, then batch norm's. */
export function batchNormPreluBackward(x: F64, dy: F64, gamma: ArrayLike<number>, alpha: F64, fwd: { z: F64; mean: F64; invStd: F64 }): { dx: F64; dgamma: F64; dbeta: F64; dalpha: F64 } {
  const p = preluBackward(fwd.z, alpha, dy, gamma.length);
  return { ...batchNormBackward(x, p.dx, gamma, fwd.mean, fwd.invStd), dalpha: p.dalpha };
}
