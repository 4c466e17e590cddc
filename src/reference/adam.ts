// Float64 CPU references for shaders/adam.wgsl.

export type F64 = Float64Array;

export interface AdamState {
  param: F64;
  m: F64;
  v: F64;
}

/** One bias-corrected Adam update (returns the new state; the inputs are not changed). */
export function adamStep(s: AdamState, grad: ArrayLike<number>, o: { lr: number; beta1: number; beta2: number; eps: number; step: number }): AdamState {
  const m = s.m.map((mi, i) => o.beta1 * mi + (1 - o.beta1) * grad[i]!);
  const v = s.v.map((vi, i) => o.beta2 * vi + (1 - o.beta2) * grad[i]! * grad[i]!);
  const c1 = 1 - o.beta1 ** o.step;
  const c2 = 1 - o.beta2 ** o.step;
  const param = s.param.map((p, i) => p - (o.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + o.eps));
  return { param, m, v };
}

export function nonFinite(arrays: ArrayLike<number>[]): number {
  let count = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) count++;
  return count;
}
