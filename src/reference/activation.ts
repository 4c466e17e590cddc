// Float64 CPU references for shaders/activation.wgsl. Tensors are flat NHWC arrays; the
// channel of element i is i mod C. At x = 0 the slope branch applies (as PyTorch).

export type F64 = Float64Array;

export const relu = (x: F64): F64 => x.map((v) => (v > 0 ? v : 0));
export const reluBackward = (x: F64, dy: F64): F64 => x.map((v, i) => (v > 0 ? dy[i]! : 0));

export const leakyRelu = (x: F64, slope: number): F64 => x.map((v) => (v > 0 ? v : slope * v));
export const leakyReluBackward = (x: F64, dy: F64, slope: number): F64 => x.map((v, i) => (v > 0 ? dy[i]! : slope * dy[i]!));

export const sigmoid = (x: F64): F64 => x.map((v) => 1 / (1 + Math.exp(-v)));
/** From the forward output y. */
export const sigmoidBackward = (y: F64, dy: F64): F64 => y.map((s, i) => dy[i]! * s * (1 - s));

export const tanh = (x: F64): F64 => x.map((v) => Math.tanh(v));
/** From the forward output y. */
export const tanhBackward = (y: F64, dy: F64): F64 => y.map((t, i) => dy[i]! * (1 - t * t));

/** alpha has C values (per channel) or 1 (shared). */
export function prelu(x: F64, alpha: F64, channels: number): F64 {
  return x.map((v, i) => (v > 0 ? v : alpha[alpha.length === 1 ? 0 : i % channels]! * v));
}

export function preluBackward(x: F64, alpha: F64, dy: F64, channels: number): { dx: F64; dalpha: F64 } {
  const dx = new Float64Array(x.length);
  const dalpha = new Float64Array(alpha.length);
  for (let i = 0; i < x.length; i++) {
    const a = alpha.length === 1 ? 0 : i % channels;
    if (x[i]! > 0) dx[i] = dy[i]!;
    else {
      dx[i] = alpha[a]! * dy[i]!;
      dalpha[a] += dy[i]! * x[i]!;
    }
  }
  return { dx, dalpha };
}
