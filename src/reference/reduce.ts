// Float64 CPU references for shaders/reduce.wgsl. An [..., C] tensor is a flat array whose
// element i belongs to channel i % C.

export type F64 = Float64Array;

export function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

export const mean = (x: ArrayLike<number>): number => sum(x) / x.length;

export function channelSum(x: ArrayLike<number>, C: number): F64 {
  const out = new Float64Array(C);
  for (let i = 0; i < x.length; i++) out[i % C] += x[i]!;
  return out;
}

/** Per-channel mean and biased variance (two-pass). */
export function channelMoments(x: ArrayLike<number>, C: number): { mean: F64; var: F64 } {
  const n = x.length / C;
  const m = channelSum(x, C).map((s) => s / n);
  const v = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - m[i % C]!;
    v[i % C] += d * d;
  }
  return { mean: m, var: v.map((s) => s / n) };
}
