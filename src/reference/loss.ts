// Float64 CPU references for the losses (means over all elements).

export type F64 = Float64Array;

export function mseLoss(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

export const mseBackward = (a: F64, b: ArrayLike<number>, scale = 1): F64 => a.map((v, i) => (2 * scale * (v - b[i]!)) / a.length);

/** Stable per-element BCE with logits: max(z, 0) − z·t + log1p(e^(−|z|)). */
export function bceWithLogits(z: ArrayLike<number>, t: number): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.max(z[i]!, 0) - z[i]! * t + Math.log1p(Math.exp(-Math.abs(z[i]!)));
  return s / z.length;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** scale·(σ(z) − t)/n, as (1 − t)·σ(z) − t·σ(−z) so saturated logits keep their tiny gradients. */
export const bceWithLogitsBackward = (z: F64, t: number, scale = 1): F64 =>
  z.map((v) => (scale * ((1 - t) * sigmoid(v) - t * sigmoid(-v))) / z.length);
