// Inputs for the fused batch norm → PReLU tests: f32 and float64 may take different PReLU
// branches where the normalised value z is within rounding of 0, and one flipped element moves
// dx (and Σ g) by ~1e-3 relative on big tensors. Nudging those elements to |z| = delta moves the
// batch statistics by O(delta / rows), so every z stays far from the kink.

import * as R from '../../src/reference/batchnorm.ts';

export function awayFromKink(x: Float64Array, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number, delta = 1e-3): Float64Array {
  const C = gamma.length;
  const { mean, invStd } = R.batchNormTrain(x, gamma, beta, C, eps);
  const out = x.map((v, i) => {
    const c = i % C;
    const k = invStd[c]! * gamma[c]!;
    const z = (v - mean[c]!) * k + beta[c]!;
    return Math.abs(z) >= delta ? v : mean[c]! + ((z < 0 ? -delta : delta) - beta[c]!) / k;
  });
  return Float64Array.from(Float32Array.from(out));
}
