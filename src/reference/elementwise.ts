// Float64 CPU references for shaders/elementwise.wgsl.

export type F64 = Float64Array;

export const axpby = (a: F64, b: F64, alpha: number, beta: number): F64 => a.map((v, i) => alpha * v + beta * b[i]!);
export const mul = (a: F64, b: F64, alpha: number): F64 => a.map((v, i) => alpha * v * b[i]!);
export const affine = (a: F64, alpha: number, beta: number): F64 => a.map((v) => alpha * v + beta);
export const clamp = (x: F64, lo: number, hi: number): F64 => x.map((v) => Math.min(hi, Math.max(lo, v)));
export const clampBackward = (x: F64, dy: F64, lo: number, hi: number): F64 => x.map((v, i) => (v > lo && v < hi ? dy[i]! : 0));
export const scaleByScalar = (a: F64, s: number, alpha: number): F64 => a.map((v) => alpha * v * s);
